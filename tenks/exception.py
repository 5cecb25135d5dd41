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

"""The one exception hierarchy of Tenks.

Every error a user can cause or fix is a TenksError whose message says what
is wrong and, where it helps, what to do; the command line prints it on one
line without a traceback.
"""


class TenksError(Exception):
    """Base of all Tenks errors; ``message`` is a template of keywords."""

    message = 'An unknown error occurred.'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        super().__init__(message or self.message.format(**kwargs))


class ConfigError(TenksError):
    """The cluster file or tenks.conf is invalid."""

    message = '{source}: {path}: {problem}'


class ScheduleError(TenksError):
    """A spec cannot be placed on any hypervisor."""


class StateError(TenksError):
    """The state file cannot be read, written or locked."""


class StateLocked(StateError):
    message = ('State file {path} is in use by PID {pid} ({command}); '
               'wait for it to finish or stop it.')


class HostError(TenksError):
    """A command on a hypervisor failed."""

    message = '{host}: `{command}` failed (exit {code}): {stderr}'


class OwnershipError(TenksError):
    """A resource Tenks would manage exists but was not made by Tenks."""

    message = ('{kind} {name} exists on {host} but was not created by this '
               'Tenks cluster; rename or remove it, or choose another name.')


class ProviderError(TenksError):
    """The node provider (libvirt) failed."""


class BMCError(TenksError):
    """A BMC emulator failed."""


class IronicError(TenksError):
    """Ironic refused an operation or cannot be reached."""
