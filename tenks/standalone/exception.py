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

"""The errors of the throwaway Ironic, its Keystone and its network.

One family, StandaloneIronicError, which is what callers catch; each class
words its message from the fields its raise site names, as Tenks' own
errors do (tenks/exception.py).
"""

from tenks import exception


class StandaloneIronicError(exception.TenksError):
    """Ironic (or its Keystone) could not be started, stopped or inspected."""


class AlreadyRunning(StandaloneIronicError):
    message = '{service} is already running from {workdir} (PID {pid})'


class PortInUse(StandaloneIronicError):
    message = 'Port {host}:{port} is already in use'


class PackageMissing(StandaloneIronicError):
    message = ('{missing} is missing ({needed_for}): install {package} '
               '(tools/setup-host.sh)')


class ExecutableMissing(StandaloneIronicError):
    message = 'Cannot find the {name!r} executable'


class CommandFailed(StandaloneIronicError):
    message = '{what} failed ({code}):\n{output}'


class WouldNotExit(StandaloneIronicError):
    message = 'PID {pid} would not exit'


class IronicNotAnswering(StandaloneIronicError):
    message = ('Ironic did not answer on {where} (waited up to {timeout} s); '
               'from {log}:\n{excerpt}')


class KeystoneNotAnswering(StandaloneIronicError):
    message = ('Keystone did not answer on {where} (waited up to {timeout} '
               's); see {log}')


class BadDeviceName(StandaloneIronicError):
    message = ('Provisioning network device {name!r}: want 1-15 letters, '
               'digits, ".", "_" or "-"')


class DeviceNotOurs(StandaloneIronicError):
    message = ('Device {device} already exists and is not the provisioning '
               'network of {workdir}')


class NamespaceNotOurs(StandaloneIronicError):
    message = 'Network namespace {namespace} exists and is not ours'


class ServersDidNotStart(StandaloneIronicError):
    message = ('Provisioning network servers in {namespace} did not start; '
               'see the logs in {workdir}')


class DeviceNotRemoved(StandaloneIronicError):
    message = 'Cannot remove device {device}'


class UrlLeavesHost(StandaloneIronicError):
    message = ('{option} {url}: {address} is {where}; the throwaway Ironic '
               'may reach only {allowed}')
