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

import logging

from cliff import columns

from tenks import exception
from tenks import hypervisors as hypervisors_module
from tenks.ironic import client as ironic_client
from tenks import plugins
from tenks import state as state_module

LOG = logging.getLogger(__name__)

COLUMNS = ('Node', 'Hypervisor', 'State', 'Memory MB', 'vCPUs', 'BMC',
           'MACs', 'Bridge ports', 'Ironic UUID', 'Provision state',
           'Power state')


class ListColumn(columns.FormattableColumn):
    """A list: comma-separated in tables, a real list in JSON and YAML."""

    def human_readable(self):
        return ', '.join(self._value)

    def machine_readable(self):
        return list(self._value)


def rows(path, conf, cluster_file=None):
    data = state_module.load(path, cluster_file)
    states = _power_states(conf, path, data)
    enrolled = _ironic_nodes(data, conf)
    return [_row(node, states.get(node.name, 'missing'),
                 enrolled.get(node.outcome.ironic_uuid),
                 data.redfish_tls_on(node.hypervisor))
            for node in sorted(data.nodes.values(),
                               key=lambda node: node.name)]


def _row(node, power, ironic_node, tls):
    ironic_node = ironic_node or {}
    return (node.name, node.hypervisor, power, node.memory_mb,
            node.vcpus, node.bmc_endpoint(tls),
            ListColumn([nic.mac for nic in node.nics]),
            ListColumn(['%s:%s' % (nic.bridge, nic.veth_bridge)
                        for nic in node.nics]),
            node.outcome.ironic_uuid or '',
            ironic_node.get('provision_state', ''),
            ironic_node.get('power_state') or '')


def _ironic_nodes(data, conf):
    """Ironic's view of enrolled nodes by UUID; {} if it cannot be had."""
    if not any(node.outcome.ironic_uuid for node in data.nodes.values()):
        return {}
    if not ironic_client.configured(conf):
        return {}
    try:
        nodes = ironic_client.Ironic(conf).nodes()
    except exception.IronicError as err:
        LOG.warning('Ironic states unknown: %s', err)
        return {}
    return {node['id']: node for node in nodes.values()}


def _power_states(conf, path, data):
    provider = plugins.provider()
    hypervisors = hypervisors_module.Hypervisors.from_state(
        conf, data, path, provider)
    states = {}
    try:
        for hypervisor in hypervisors.members:
            if not hypervisor.libvirt_uri:
                continue
            try:
                conn = hypervisors.connection(hypervisor)
            except exception.ProviderError as err:
                raise exception.NodeStatesUnreadable(
                    hypervisor=hypervisor.name, uri=hypervisor.libvirt_uri,
                    reason=err)
            states.update(provider.power_states(conn))
    finally:
        hypervisors.close()
    return states
