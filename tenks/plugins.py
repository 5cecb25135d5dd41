# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Finding plugins through stevedore, each checked against its contract.

Each namespace has its contract (tenks.contracts); a plugin missing, that
cannot be imported or that does not derive from its contract is a
ConfigError naming the namespace and the plugin, on one line.
"""

import importlib.metadata

from stevedore import driver
from stevedore import exception as stevedore_exception
from stevedore import extension

from tenks import contracts
from tenks import exception

PROVIDERS = 'tenks.providers'
BMC_EMULATORS = 'tenks.bmc_emulators'
SCHEDULERS = 'tenks.schedulers'

# The node provider every run uses; the namespace allows others.
PROVIDER = 'libvirt'

CONTRACTS = {
    PROVIDERS: contracts.Provider,
    BMC_EMULATORS: contracts.BMCEmulator,
    SCHEDULERS: contracts.Scheduler,
}


def _error(namespace, problem):
    return exception.ConfigError(source='tenks.conf', path=namespace,
                                 problem=problem)


def _checked(namespace, name, plugin):
    contract = CONTRACTS[namespace]
    if not (isinstance(plugin, type) and issubclass(plugin, contract)):
        raise _error(namespace, 'plugin %r (%r) is not a tenks.contracts.%s'
                     % (name, plugin, contract.__name__))
    return plugin


def load(namespace, name):
    """The plugin class called name in namespace."""
    try:
        plugin = driver.DriverManager(namespace, name).driver
    except stevedore_exception.NoMatches:
        raise _error(namespace, 'no plugin %r; installed: %s' % (
            name, ', '.join(names(namespace)) or 'none'))
    except Exception as err:
        raise _error(namespace, 'plugin %r cannot be loaded: %s: %s' % (
            name, type(err).__name__, err))
    return _checked(namespace, name, plugin)


def names(namespace):
    """The names of the plugins installed in namespace, sorted."""
    return sorted({entry_point.name for entry_point in
                   importlib.metadata.entry_points(group=namespace)})


def load_all(namespace):
    """[(name, plugin class)] of every plugin in namespace, by name."""
    def failed(manager, entry_point, err):
        raise _error(namespace, 'plugin %r cannot be loaded: %s: %s' % (
            entry_point.name, type(err).__name__, err))
    manager = extension.ExtensionManager(
        namespace, on_load_failure_callback=failed)
    return [(ext.name, _checked(namespace, ext.name, ext.plugin))
            for ext in sorted(manager, key=lambda ext: ext.name)]


def provider():
    """An instance of the node provider."""
    return load(PROVIDERS, PROVIDER)()
