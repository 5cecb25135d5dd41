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

"""Cluster-file keys that override tenks.conf options, in one table.

A key the cluster file gives wins over its option in tenks.conf; a key it
leaves out takes the option's value. A given value is checked with the
option's own oslo.config type (choices, bounds, address syntax), so each
limit is written once, on the option.
"""

from oslo_config import types

from tenks.conf import opts

# Cluster-file key: (tenks.conf group, option). The original Tenks' names,
# at the top level of the file unless a comment says where else.
TABLE = {
    'bridge_prefix': ('network', 'bridge_prefix'),
    'bridge_type': ('network', 'bridge_type'),
    # Also per node type.
    'console_log_enabled': ('libvirt', 'console_log_enabled'),
    # Also per node type.
    'cpu_mode': ('libvirt', 'cpu_mode'),
    'ipmi_address': ('ipmi', 'address'),
    'ipmi_password': ('ipmi', 'password'),
    'ipmi_port_range_end': ('ipmi', 'port_range_end'),
    'ipmi_port_range_start': ('ipmi', 'port_range_start'),
    'ipmi_username': ('ipmi', 'username'),
    'ironic_target_state': ('ironic', 'target_state'),
    # The libvirt-vm role's name for the default of cpu_mode.
    'libvirt_cpu_mode_default': ('libvirt', 'cpu_mode'),
    'libvirt_local_uri': ('libvirt', 'uri'),
    'libvirt_pool_name': ('libvirt', 'pool_name'),
    'libvirt_pool_path': ('libvirt', 'pool_path'),
    'libvirt_vm_emulator': ('libvirt', 'emulator'),
    'libvirt_vm_engine': ('libvirt', 'engine'),
    'log_directory': ('DEFAULT', 'log_dir'),
    'ovs_datapath_type': ('network', 'ovs_datapath_type'),
    'redfish_address': ('redfish', 'address'),
    'redfish_password': ('redfish', 'password'),
    'redfish_port': ('redfish', 'port'),
    'redfish_tls': ('redfish', 'tls'),
    'redfish_username': ('redfish', 'username'),
    # Per hypervisor.
    'ssh_key': ('ssh', 'key_file'),
    'ssh_port': ('ssh', 'port'),
    'ssh_user': ('ssh', 'user'),
    'state_file_path': ('DEFAULT', 'state_file_path'),
}


def options():
    """{(group, option name): Opt} of every tenks.conf option."""
    return {(getattr(group, 'name', group), opt.name): opt
            for group, group_opts in opts.list_opts()
            for opt in group_opts}


class Overrides:
    """The cluster file's overrides of one tenks.conf, read and checked."""

    def __init__(self, conf):
        self.conf = conf
        self._options = options()

    def option(self, key):
        """tenks.conf's value of the option key overrides."""
        group, name = TABLE[key]
        return self.conf[name] if group == 'DEFAULT' else \
            self.conf[group][name]

    def given(self, key, entry):
        """key's value in entry (a tenks.reader.Reader), checked; or None."""
        opt_type = self._options[TABLE[key]].type
        value = entry.get(key, _yaml_kind(opt_type))
        if value is not None:
            try:
                opt_type(value)
            except ValueError as err:
                entry.fail(_problem(opt_type, value, err), key)
        return value

    def value(self, key, *entries):
        """key's value in the first of entries giving it, else tenks.conf's.

        Entries go from the innermost (a node type, say) to the top of
        the file; every one that gives key is checked, the top first.
        """
        values = [self.given(key, entry) for entry in reversed(entries)]
        given = [value for value in values if value is not None]
        return given[-1] if given else self.option(key)


def _yaml_kind(opt_type):
    """What YAML must give for an option: its type's, never a string."""
    if isinstance(opt_type, types.Boolean):
        return bool
    if isinstance(opt_type, types.Integer):
        return int
    return str


def _problem(opt_type, value, err):
    choices = getattr(opt_type, 'choices', None)
    if choices:
        return '%r is not one of %s' % (value, ', '.join(choices))
    if isinstance(opt_type, types.Integer):
        if opt_type.min is not None and value < opt_type.min:
            return '%r must be at least %d' % (value, opt_type.min)
        return '%r must be at most %d' % (value, opt_type.max)
    if isinstance(opt_type, types.HostAddress):
        return '%r is not an IP address or host name' % (value,)
    return '%r is not valid: %s' % (value, err)
