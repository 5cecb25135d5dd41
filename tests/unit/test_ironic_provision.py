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
from tenks.ironic import client
from tenks.ironic import fields
from tenks.ironic import provision
from tenks import plan
from tests.unit import fakes


class FakeIronic(fakes.FakeIronic):
    """Provision moves recorded, carried out at once; refused by node id."""

    def __init__(self, nodes, refuse=()):
        super().__init__(nodes)
        self.refuse_ids = refuse
        self.moves = []
        self.conn = types.SimpleNamespace(baremetal=types.SimpleNamespace(
            get_node=self.get_node))

    def get_node(self, node_id):
        node = next(n for n in self._nodes.values() if n['id'] == node_id)
        return types.SimpleNamespace(**dict(
            {'target_provision_state': None, 'last_error': None}, **node))

    # The client's own polling, over this fake's nodes.
    wait_for_node = client.Ironic.wait_for_node
    settled = client.Ironic.settled

    def write(self, method, node_id, move=None):
        self.moves.append((node_id, move or method))
        node = next(n for n in self._nodes.values() if n['id'] == node_id)
        if method == 'unset_node_maintenance':
            node.update(is_maintenance=False, fault=None)
            return
        if node_id in self.refuse_ids:
            node['last_error'] = 'refused'
        else:
            node['provision_state'] = fields.REACHES[move]


def context(names, ironic, target='manageable', placement=False):
    """Nodes n0, n1... enrolled, as a run that created them records them."""
    cluster, state = fakes.scheduled(fakes.cluster_data(
        len(names), ironic_target_state=target,
        wait_for_placement=placement, specs=[{
            'type': 'small', 'count': len(names), 'node_name_prefix': 'n',
            'ironic_config': {'resource_class': 'rc'}}]))
    for name, node in state.nodes.items():
        node.outcome.ironic_uuid = 'id-' + name
    assert sorted(state.nodes) == sorted(names)
    return fakes.FakeContext(cluster, state, ironic=ironic)


def ironic_node(name, state):
    return {'id': 'id-' + name, 'name': name, 'provision_state': state}


class TestPlan(testtools.TestCase):

    def plan(self, have, names=('n0',), **kwargs):
        ironic = FakeIronic({n['name']: n for n in have})
        ctx = context(names, ironic, **kwargs)
        return [(a.verb, a.name, a.reason)
                for a in provision.ProvisionStates().plan(
                    ctx, ctx.cluster.hypervisors[0])]

    def test_new_node_moves_from_enroll(self):
        self.assertEqual([(plan.UPDATE, 'n0', 'enroll to manageable')],
                         self.plan([]))

    def test_node_at_its_target_is_left(self):
        self.assertEqual([], self.plan([ironic_node('n0', 'manageable')]))

    def test_node_past_its_target_is_left(self):
        self.assertEqual([], self.plan([ironic_node('n0', 'active')],
                                       target='available'))

    def test_settling_node_is_waited_for(self):
        self.assertEqual([(plan.UPDATE, 'n0', 'verifying to manageable')],
                         self.plan([ironic_node('n0', 'verifying')]))

    def test_enroll_target_needs_no_move(self):
        self.assertEqual([], self.plan([], target='enroll'))

    def test_power_failure_maintenance_is_lifted(self):
        node = dict(ironic_node('n0', 'manageable'), is_maintenance=True,
                    fault='power failure')
        self.assertEqual(
            [(plan.UPDATE, 'n0', 'maintenance after a power failure')],
            self.plan([node]))

    def test_a_users_maintenance_is_left(self):
        node = dict(ironic_node('n0', 'manageable'), is_maintenance=True,
                    fault=None)
        self.assertEqual([], self.plan([node]))

    def test_new_node_waits_for_placement_even_in_enroll(self):
        self.assertEqual([(plan.UPDATE, 'n0', 'new node, wait for placement')],
                         self.plan([], target='enroll', placement=True))
        self.assertEqual([], self.plan([ironic_node('n0', 'enroll')],
                                       target='enroll', placement=True))


class TestApply(testtools.TestCase):

    def apply(self, nodes, names, refuse=(), target='available'):
        ironic = FakeIronic({n['name']: n for n in nodes}, refuse)
        ctx = context(names, ironic, target=target)
        kind = provision.ProvisionStates()
        hypervisor = ctx.cluster.hypervisors[0]
        kind.apply(ctx, hypervisor, kind.plan(ctx, hypervisor))
        return ironic

    def test_every_move_to_the_target(self):
        ironic = self.apply([ironic_node('n0', 'enroll'),
                             ironic_node('n1', 'manageable')], ['n0', 'n1'])
        self.assertEqual([('id-n0', 'manage'), ('id-n0', 'provide'),
                          ('id-n1', 'provide')], ironic.moves)

    def test_maintenance_lifted_before_moving(self):
        node = dict(ironic_node('n0', 'enroll'), is_maintenance=True,
                    fault='power failure')
        ironic = self.apply([node], ['n0'], target='manageable')
        self.assertEqual([('id-n0', 'unset_node_maintenance'),
                          ('id-n0', 'manage')], ironic.moves)

    def test_one_refusal_does_not_stop_the_others(self):
        err = self.assertRaises(
            exception.IronicError, self.apply,
            [ironic_node('n0', 'enroll'), ironic_node('n1', 'enroll')],
            ['n0', 'n1'], refuse=('id-n0',), target='manageable')
        self.assertEqual('n0: manage failed: refused', str(err))

    def test_a_move_that_ends_elsewhere_fails(self):
        err = self.assertRaises(
            exception.IronicError, self.apply,
            [ironic_node('n0', 'manageable')], ['n0'], refuse=('id-n0',))
        self.assertEqual('n0: provide failed: refused', str(err))

    def test_new_node_found_by_its_recorded_uuid(self):
        node = ironic_node('n0', 'enroll')
        ironic = FakeIronic({})
        ctx = context(['n0'], ironic)
        kind = provision.ProvisionStates()
        hypervisor = ctx.cluster.hypervisors[0]
        actions = kind.plan(ctx, hypervisor)
        # Created by the Nodes step after the plan was made.
        ironic._nodes['n0'] = node
        kind.apply(ctx, hypervisor, actions)
        self.assertEqual([('id-n0', 'manage')], ironic.moves)

    def test_waits_while_ironic_is_moving_the_node(self):
        ironic = FakeIronic({'n0': ironic_node('n0', 'enroll')})
        answers = iter([
            types.SimpleNamespace(provision_state='verifying',
                                  target_provision_state='manageable'),
            types.SimpleNamespace(provision_state='manageable',
                                  target_provision_state=None)])
        ironic.conn.baremetal.get_node = lambda node_id: next(answers)
        sleeps = []
        self.patch(client.time, 'sleep', sleeps.append)
        provision._wait_for(ironic, 'id-n0', 'manage')
        self.assertEqual([client.POLL_INTERVAL], sleeps)

    def test_a_move_that_never_ends_names_the_move(self):
        ironic = FakeIronic({'n0': ironic_node('n0', 'enroll')})
        ironic.timeout = 0
        ironic.conn.baremetal.get_node = lambda node_id: types.SimpleNamespace(
            name='n0', provision_state='verifying',
            target_provision_state='manageable')
        self.patch(client.time, 'sleep', lambda delay: None)
        err = self.assertRaises(exception.IronicError, provision._wait_for,
                                ironic, 'id-n0', 'manage')
        self.assertEqual('manage: node n0 stayed verifying for 0 s', str(err))
