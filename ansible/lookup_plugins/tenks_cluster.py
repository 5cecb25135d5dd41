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

"""The cluster file Tenks reads, from what ansible-playbook was given.

The Ansible Tenks took its configuration as extra variables
(``-e @file``) and its hypervisors from the inventory. This gives the
``tenks`` command the same: the extra variables as they were written (Jinja
left for Tenks to render, so that an error names the variable), the
original's BMC defaults beneath them, and the inventory's hypervisors.
It runs inside Ansible, so Tenks' own code never imports Ansible.
"""

import os

import yaml

from ansible import context
from ansible.errors import AnsibleError
from ansible.parsing.splitter import parse_kv
from ansible.plugins.lookup import LookupBase

# The original's defaults (its group_vars/hypervisors) where the tenks
# command's are safer: BMCs on every address, with well-known credentials,
# as CI inventories written for the original expect.
ORIGINAL_DEFAULTS = {
    'ipmi_address': '0.0.0.0',
    'ipmi_port_range_start': 6230,
    'ipmi_port_range_end': 6240,
    'ipmi_username': 'username',
    'ipmi_password': 'password',
    'redfish_address': '0.0.0.0',
    'redfish_username': 'username',
    'redfish_password': 'password',
}
# Variables of these entry points, not of the cluster.
LAYER_VARIABLES = ('cmd', 'tenks_config_file')
# A hypervisor's host variables that are Tenks' own hypervisor keys.
HOST_KEYS = ('libvirt_uri', 'bmc_address', 'capacity')


def extra_vars():
    """The -e variables, merged as Ansible merges them, unrendered."""
    merged = {}
    for given in context.CLIARGS.get('extra_vars') or ():
        merged.update(_one(given))
    return merged


def _one(given):
    given = given.strip()
    if given.startswith('@'):
        path = os.path.expanduser(given[1:])
        try:
            with open(path) as stream:
                data = yaml.safe_load(stream)
        except (OSError, yaml.YAMLError) as err:
            raise AnsibleError('%s: %s' % (path, err))
    elif given[:1] in ('{', '['):
        data = yaml.safe_load(given)
    else:
        data = parse_kv(given)
    if not isinstance(data, dict):
        raise AnsibleError('extra variables %r are not a mapping' % given)
    return data


def hypervisors(hosts, given, mappings):
    """Tenks' hypervisors entry for the inventory's hosts, or None.

    hosts maps each host of the hypervisors group to its connection
    variables; mappings(host) is its physnet_mappings host variable. A
    single local hypervisor is Tenks' default: no entry.
    """
    if len(hosts) == 1 and next(iter(hosts.values())).get('local'):
        return None
    result = {}
    for name, host in hosts.items():
        entry = {'address': 'localhost' if host.get('local')
                 else host.get('address') or name}
        for key, source in (('ssh_user', 'user'), ('ssh_port', 'port'),
                            ('ssh_key', 'key')):
            if host.get(source) not in (None, '') and not host.get('local'):
                entry[key] = int(host[source]) if key == 'ssh_port' \
                    else host[source]
        # Extra variables win over host variables, in Ansible as here;
        # and theirs are left for Tenks to render.
        if 'physnet_mappings' not in given and mappings(name):
            entry['physnet_mappings'] = dict(mappings(name))
        for key in HOST_KEYS:
            if host.get(key) not in (None, ''):
                entry[key] = host[key]
        result[name] = entry
    return result


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        given = extra_vars()
        cluster = dict(ORIGINAL_DEFAULTS)
        hostvars = (variables or {}).get('hostvars') or {}
        found = hypervisors(
            kwargs.get('hosts') or {}, given,
            lambda name: hostvars[name].get('physnet_mappings'))
        if found:
            cluster['hypervisors'] = found
        cluster.update((key, value) for key, value in given.items()
                       if key not in LAYER_VARIABLES)
        return [yaml.safe_dump(_plain(cluster), default_flow_style=False)]


def _plain(value):
    """value in plain Python types: Ansible's own do not dump as YAML."""
    if isinstance(value, dict):
        return {_plain(key): _plain(each) for key, each in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(each) for each in value]
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value
