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

"""The resource kinds of a run, in the order their creations apply.

The network before the nodes, the nodes before their BMCs, Ironic's
records after; deletions go the other way. The provider and the BMC
emulators, plugins, bring kinds of their own.
"""

from tenks.ironic import flavors
from tenks.ironic import kinds as ironic_kinds
from tenks.ironic import provision
from tenks.lldp import kind as lldp
from tenks.network import kinds as network_kinds


def of_run(provider, emulators, ironic=True):
    """Instances of every kind, the plugins' among the built-in ones.

    Without ironic, only the kinds of what Tenks makes on hypervisors.
    """
    return ([network_kinds.Physnets(), network_kinds.Veths(),
             lldp.Sender()]
            + provider.kinds()
            + [kind for emulator in emulators for kind in emulator.kinds()]
            + ([ironic_kinds.Nodes(), ironic_kinds.Ports(),
                provision.ProvisionStates(), flavors.Flavors()]
               if ironic else []))
