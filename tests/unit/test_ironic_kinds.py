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

import copy
import dataclasses
import types
from unittest import mock

import testtools

from tenks import exception
from tenks.ironic import fields
from tenks.ironic import flavors
from tenks.ironic import kinds
from tenks import naming
from tenks import plan
from tests.unit import fakes


def enrolled(count, previous=None):
    """(cluster, state) of count nodes with ironic_config."""
    return fakes.scheduled(fakes.cluster_data(count, specs=[{
        'type': 'small', 'count': count,
        'ironic_config': {'resource_class': 'rc'}}]), previous)


def ironic_node(state, name):
    """The node Tenks would have made for the state's node name."""
    node = state.nodes[name]
    return {'id': 'id-' + name, 'name': name,
            'extra': fields.marks(node, state.cluster_id)}


def ironic_port(state, name, mac=None):
    """The port Tenks would have made for node name's NIC."""
    node = state.nodes[name]
    nic = dataclasses.replace(node.nics[0], mac=mac or node.nics[0].mac)
    port = fields.port_fields(
        nic, naming.bridge_mac(state.cluster_id, nic.bridge),
        node.hypervisor, state.cluster_id)
    port.update(id='port-' + name, node_id='id-' + name)
    return port


class TestPortsPlan(testtools.TestCase):

    def plan(self, cluster, state, nodes, ports):
        ironic = fakes.FakeIronic(
            {name: ironic_node(state, name) for name in nodes},
            {port['address']: port for port in ports})
        ctx = fakes.FakeContext(cluster, state, ironic=ironic)
        return kinds.Ports().plan(ctx, cluster.hypervisors[0])

    def test_ports_of_a_deleted_node_go_with_it(self):
        # tk1 leaves the cluster: Ironic deletes its port with the node.
        _, before = enrolled(2)
        cluster, after = enrolled(1, before)
        self.assertEqual('absent', after.nodes['tk1'].state)
        self.assertEqual([], self.plan(
            cluster, after, ['tk0', 'tk1'],
            [ironic_port(before, 'tk0'), ironic_port(before, 'tk1')]))

    def test_a_kept_nodes_stray_port_is_deleted(self):
        cluster, state = enrolled(1)
        stray = '52:54:00:00:00:99'
        actions = self.plan(cluster, state, ['tk0'],
                            [ironic_port(state, 'tk0', stray)])
        self.assertEqual(
            sorted([(plan.CREATE, state.nodes['tk0'].nics[0].mac),
                    (plan.DELETE, stray)]),
            sorted((a.verb, a.name) for a in actions))


class TestPortsApply(testtools.TestCase):

    def apply(self, ironic, node_ids, recorded_now=False):
        cluster, state = enrolled(2)
        ctx = fakes.FakeContext(cluster, state, ironic=ironic)
        if recorded_now:
            # By the Nodes step before, in the same enrolment thread.
            ctx.outcomes.node('tk1', ironic_uuid='created-now')
        else:
            state.nodes['tk1'].outcome.ironic_uuid = 'created-now'
        kinds.Ports().apply(ctx, cluster.hypervisors[0], [
            plan.Action('ironic-port', plan.CREATE, mac, 'localhost',
                        want={'address': mac, 'node': name,
                              'node_id': node_id})
            for mac, name, node_id in zip(('m0', 'm1'), ('tk0', 'tk1'),
                                          node_ids)])

    def test_node_of_a_new_port_from_the_plan_or_this_runs_create(self):
        ironic = fakes.FakeIronic()
        self.apply(ironic, ('id-tk0', None))
        self.assertEqual([('create_port', 'm0', 'id-tk0'),
                          ('create_port', 'm1', 'created-now')],
                         [(method, written['address'], written['node_id'])
                          for method, _, written in ironic.writes])

    def test_node_created_by_this_runs_enrolment_thread(self):
        ironic = fakes.FakeIronic()
        self.apply(ironic, ('id-tk0', None), recorded_now=True)
        self.assertEqual([('create_port', 'm1', 'created-now')],
                         [(method, written['address'], written['node_id'])
                          for method, _, written in ironic.writes][1:])

    def test_one_failed_port_does_not_stop_the_others(self):
        def refuse(method, written):
            if written['address'] == 'm0':
                raise exception.IronicCallFailed(reason='MAC in use')

        ironic = fakes.FakeIronic(refuse=refuse)
        err = self.assertRaises(exception.IronicError, self.apply, ironic,
                                ('id', 'id'))
        self.assertEqual('port m0 of tk0: Ironic: MAC in use', str(err))
        self.assertEqual(['m1'], [written['address']
                                  for _, _, written in ironic.writes])


class _WritingIronic(fakes.FakeIronic):
    """Writes answer with the node as Ironic would give it back."""

    conn = mock.Mock()

    def write(self, method, *args, **fields):
        super().write(method, *args, **fields)
        return types.SimpleNamespace(id=fields.get('id', 'new-uuid'),
                                     traits=[])


class TestNodesApply(testtools.TestCase):

    def apply(self, state, action):
        ironic = _WritingIronic()
        ctx = fakes.FakeContext(fakes.make_context().cluster, state,
                                ironic=ironic)
        kinds.Nodes().apply(ctx, ctx.cluster.hypervisors[0], [action])
        # As the saving thread does after a step.
        ctx.outcomes.merge_into(state)
        return ironic.writes

    def action(self, verb, fields_, have=None, recorded=None):
        return plan.Action('ironic-node', verb, 'tk0', 'localhost',
                           want={'fields': fields_, 'traits': [],
                                 'recorded_uuid': recorded},
                           have=have)

    def test_node_created_again_under_its_recorded_uuid(self):
        _, state = enrolled(1)
        state.nodes['tk0'].outcome.ironic_uuid = 'had-this-uuid'
        writes = self.apply(state, self.action(plan.CREATE, {'name': 'tk0'},
                                               recorded='had-this-uuid'))
        self.assertEqual([('create_node', (), {'name': 'tk0',
                                               'id': 'had-this-uuid'})],
                         writes)
        self.assertEqual('had-this-uuid',
                         state.nodes['tk0'].outcome.ironic_uuid)

    def test_new_node_gets_ironics_uuid(self):
        _, state = enrolled(1)
        writes = self.apply(state, self.action(plan.CREATE, {'name': 'tk0'}))
        self.assertEqual([('create_node', (), {'name': 'tk0'})], writes)
        self.assertEqual('new-uuid', state.nodes['tk0'].outcome.ironic_uuid)

    def test_uuid_ironic_has_but_the_state_lost_is_recorded(self):
        # A run killed after Ironic made the node, before the state was
        # saved: the node is as wanted, but its UUID is not recorded.
        cluster, state = enrolled(1)
        ctx = fakes.FakeContext(cluster, state, ironic=fakes.FakeIronic())
        want = kinds.Nodes().want(ctx, cluster.hypervisors[0])['tk0']
        have = dict(want['fields'], id='made-by-a-killed-run',
                    traits=want['traits'])
        self.assertEqual('recorded UUID', kinds.Nodes.compare(want, have))
        ironic = _WritingIronic()
        ironic.conn = mock.Mock()
        ironic.conn.baremetal.get_node.return_value = types.SimpleNamespace(
            id='made-by-a-killed-run', traits=want['traits'])
        ctx = fakes.FakeContext(cluster, state, ironic=ironic)
        kinds.Nodes().apply(ctx, cluster.hypervisors[0], [plan.Action(
            'ironic-node', plan.UPDATE, 'tk0', 'localhost', want=want,
            have=have)])
        ctx.outcomes.merge_into(state)
        self.assertEqual([], ironic.writes)
        self.assertEqual('made-by-a-killed-run',
                         state.nodes['tk0'].outcome.ironic_uuid)
        want = kinds.Nodes().want(ctx, cluster.hypervisors[0])['tk0']
        self.assertEqual('', kinds.Nodes.compare(want, have))

    def test_driver_change_replaces_whole_fields_resetting_interfaces(self):
        _, state = enrolled(1)
        info = {'redfish_username': 'tenks'}
        have = {'id': 'u0', 'name': 'tk0', 'driver': 'ipmi',
                'driver_info': {'ipmi_username': 'tenks'}}
        writes = self.apply(state, self.action(
            plan.UPDATE, {'name': 'tk0', 'driver': 'redfish',
                          'driver_info': info}, have))
        method, args, written = writes[0]
        self.assertEqual('patch_node', method)
        self.assertEqual([{'op': 'replace', 'path': '/driver',
                           'value': 'redfish'},
                          {'op': 'replace', 'path': '/driver_info',
                           'value': info}], args[1])
        self.assertEqual({'reset_interfaces': True}, written)


class TestFlavorWrites(testtools.TestCase):
    """Flavors are written like Ironic's records: counted, translated."""

    def test_create_and_replace_through_the_client(self):
        ironic = fakes.FakeIronic()
        ctx = fakes.make_context(ironic=ironic)
        want = {'ram': 256, 'vcpus': 1, 'disk': 1,
                'extra_specs': {'resources:CUSTOM_RC': '1'}}
        hypervisor = ctx.cluster.hypervisors[0]
        flavors.Flavors().apply(ctx, hypervisor, [
            plan.Action('nova-flavor', plan.CREATE, 'rc', hypervisor.name,
                        want=want),
            plan.Action('nova-flavor', plan.UPDATE, 'old', hypervisor.name,
                        want=want, have={'id': 'f-old'})])
        self.assertEqual(
            [('create_flavor', 'compute'), ('create_flavor_extra_specs',
                                            'compute'),
             ('delete_flavor', 'compute'), ('create_flavor', 'compute'),
             ('create_flavor_extra_specs', 'compute')],
            [(method, fields['service'])
             for method, _, fields in ironic.writes])
        # Handed back, not written into the state until merged.
        self.assertIsNone(ctx.state.outcome.flavors)
        ctx.outcomes.merge_into(ctx.state)
        self.assertEqual(['rc', 'old'], ctx.state.made_flavors)


class FakeCompute:
    """Nova's flavors, as the flavor kind reads them."""

    def __init__(self, names):
        self.names = names

    def flavors(self):
        return [types.SimpleNamespace(name=name, id='f-' + name, ram=256,
                                      vcpus=1, disk=1) for name in self.names]

    def fetch_flavor_extra_specs(self, flavor):
        return types.SimpleNamespace(extra_specs={})


class TestPlanningIsPure(testtools.TestCase):
    """Planning the Ironic kinds reads the state and never writes it."""

    def test_nodes_ports_flavors(self):
        data = fakes.cluster_data(2, specs=[{
            'type': 'small', 'count': 2,
            'ironic_config': {'resource_class': 'rc'}}], nova_flavors=[
                {'resource_class': 'rc', 'node_type': 'small',
                 'name': 'new'}])
        cluster, state = fakes.scheduled(data)
        state.outcome.flavors = ['old']
        state.nodes['tk1'].outcome.ironic_uuid = 'id-tk1'
        ironic = fakes.FakeIronic({'tk1': ironic_node(state, 'tk1')},
                                  {})
        ironic.conn = types.SimpleNamespace(compute=FakeCompute(['old']))
        ctx = fakes.FakeContext(cluster, state, ironic=ironic)
        before = copy.deepcopy(state.to_dict())
        hypervisor = cluster.hypervisors[0]
        planned = {kind.name: [(a.verb, a.name)
                               for a in kind.plan(ctx, hypervisor)]
                   for kind in (kinds.Nodes(), kinds.Ports(),
                                flavors.Flavors())}
        self.assertEqual(before, state.to_dict())
        self.assertEqual([(plan.DELETE, 'old'), (plan.CREATE, 'new')],
                         sorted(planned['nova-flavor'], reverse=True))
        self.assertIn((plan.CREATE, 'tk0'), planned['ironic-node'])
        self.assertEqual(2, len(planned['ironic-port']))
