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

import types

import testtools

from tenks import exception
from tenks.ironic import fields
from tenks.ironic import kinds
from tenks import naming
from tenks import plan

CLUSTER = 'c0ffee00'
HYPERVISOR = types.SimpleNamespace(name='localhost')


def node(name, mac):
    return {'name': name, 'hypervisor': 'localhost',
            'ironic_config': {'resource_class': 'rc'},
            'nics': [{'mac': mac, 'physnet': 'physnet1', 'bridge': 'tkbr0',
                      'veth_bridge': '%s-0b' % name}]}


class FakeContext:
    """What Ports.plan reads of a Context: its nodes and Ironic's."""

    cluster_id = CLUSTER
    teardown = False

    def __init__(self, present, ironic_nodes, ironic_ports):
        self.state = {'nodes': {n['name']: n for n in present}}
        self._present = present
        self._ironic = types.SimpleNamespace(
            nodes=lambda: ironic_nodes, ports=lambda: ironic_ports)

    def present_nodes(self, hypervisor):
        return self._present

    def ironic(self):
        return self._ironic


def ironic_node(name):
    return {'id': 'id-' + name, 'name': name,
            'extra': {fields.MARK: CLUSTER, fields.HYPERVISOR: 'localhost'}}


def ironic_port(name, mac):
    """The port Tenks would have made for node name's NIC."""
    port = fields.port_fields(node(name, mac)['nics'][0],
                              naming.bridge_mac(CLUSTER, 'tkbr0'),
                              'localhost', CLUSTER)
    port.update(id='port-' + name, node_id='id-' + name)
    return port


class TestPortsPlan(testtools.TestCase):

    def plan(self, present, enrolled_names):
        nodes = {n: ironic_node(n) for n in enrolled_names}
        ports = {}
        for index, name in enumerate(enrolled_names):
            port = ironic_port(name, '52:54:00:00:00:%02x' % index)
            ports[port['address']] = port
        return kinds.Ports().plan(FakeContext(present, nodes, ports),
                                  HYPERVISOR)

    def test_ports_of_a_deleted_node_go_with_it(self):
        # node1 leaves the cluster: Ironic deletes its port with the node.
        present = [node('node0', '52:54:00:00:00:00')]
        self.assertEqual([], self.plan(present, ['node0', 'node1']))

    def test_a_kept_nodes_stray_port_is_deleted(self):
        present = [node('node0', '52:54:00:00:00:99')]
        actions = self.plan(present, ['node0'])
        self.assertEqual(
            [(plan.CREATE, '52:54:00:00:00:99'),
             (plan.DELETE, '52:54:00:00:00:00')],
            sorted((a.verb, a.name) for a in actions))


class TestPortsApply(testtools.TestCase):

    def test_node_of_a_new_port_from_the_plan_or_this_runs_create(self):
        writes = []
        ironic = types.SimpleNamespace(
            write=lambda method, **fields: writes.append(
                (method, fields['address'], fields['node_id'])),
            forget=lambda: None,
            map=lambda function, items: [function(i) for i in items])
        ctx = FakeContext([node('node0', 'm0'), node('node1', 'm1')], {}, {})
        ctx.state['nodes']['node1']['ironic_uuid'] = 'created-now'
        ctx.ironic = lambda: ironic
        kinds.Ports().apply(ctx, HYPERVISOR, [
            plan.Action('ironic-port', plan.CREATE, mac, 'localhost',
                        want={'address': mac, 'node': name,
                              'node_id': node_id})
            for mac, name, node_id in (('m0', 'node0', 'id-node0'),
                                       ('m1', 'node1', None))])
        self.assertEqual([('create_port', 'm0', 'id-node0'),
                          ('create_port', 'm1', 'created-now')], writes)

    def test_one_failed_port_does_not_stop_the_others(self):
        writes = []

        def write(method, **fields):
            if fields['address'] == 'm0':
                raise exception.IronicError('Ironic: MAC in use')
            writes.append(fields['address'])

        ironic = types.SimpleNamespace(
            write=write, forget=lambda: None,
            map=lambda function, items: [function(i) for i in items])
        ctx = FakeContext([node('node0', 'm0'), node('node1', 'm1')], {}, {})
        ctx.ironic = lambda: ironic
        err = self.assertRaises(exception.IronicError, kinds.Ports().apply,
                                ctx, HYPERVISOR, [
            plan.Action('ironic-port', plan.CREATE, mac, 'localhost',
                        want={'address': mac, 'node': name, 'node_id': 'id'})
            for mac, name in (('m0', 'node0'), ('m1', 'node1'))])
        self.assertEqual('port m0 of node0: Ironic: MAC in use', str(err))
        self.assertEqual(['m1'], writes)
