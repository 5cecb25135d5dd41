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

"""The node table of `tenks list`: recorded state joined with live state."""

from cliff import columns
import libvirt

from tenks import exception
from tenks import state as state_module

COLUMNS = ('Node', 'Hypervisor', 'State', 'Memory MB', 'vCPUs', 'BMC',
           'MACs', 'Bridge ports')

_POWER = {
    libvirt.VIR_DOMAIN_RUNNING: 'running',
    libvirt.VIR_DOMAIN_BLOCKED: 'running',
    libvirt.VIR_DOMAIN_PAUSED: 'paused',
    libvirt.VIR_DOMAIN_SHUTDOWN: 'shutting down',
    libvirt.VIR_DOMAIN_SHUTOFF: 'shut off',
    libvirt.VIR_DOMAIN_CRASHED: 'crashed',
}


class ListColumn(columns.FormattableColumn):
    """A list: comma-separated in tables, a real list in JSON and YAML."""

    def human_readable(self):
        return ', '.join(self._value)

    def machine_readable(self):
        return list(self._value)


def rows(path):
    data = state_module.load(path)
    states = _power_states(data)
    return [_row(node, states.get(node['name'], 'missing'))
            for node in sorted(data['nodes'].values(),
                               key=lambda node: node['name'])]


def _row(node, power):
    bmc = node['bmc']
    return (node['name'], node['hypervisor'], power, node['memory_mb'],
            node['vcpus'], '%s:%s' % (bmc['address'], bmc['port']),
            ListColumn([nic['mac'] for nic in node['nics']]),
            ListColumn(['%s:%s' % (nic['bridge'], nic['veth_bridge'])
                        for nic in node['nics']]))


def _power_states(data):
    states = {}
    for name, record in data['hypervisors'].items():
        uri = record.get('libvirt_uri')
        if not uri:
            continue
        try:
            conn = libvirt.open(uri)
        except libvirt.libvirtError as err:
            raise exception.ProviderError(
                'Cannot read node states from %s (%s): %s' % (name, uri, err))
        try:
            for domain in conn.listAllDomains():
                states[domain.name()] = _POWER.get(domain.state()[0],
                                                   'unknown')
        finally:
            conn.close()
    return states
