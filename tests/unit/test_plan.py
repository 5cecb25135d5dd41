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

import testtools

from tenks import exception
from tenks import plan

KINDS = ('bridge', 'veth', 'volume', 'domain', 'bmc')


def compare_memory(want, have):
    if want['memory'] != have['memory']:
        return 'memory %s -> %s' % (have['memory'], want['memory'])
    return None


class TestDiff(testtools.TestCase):

    def test_create(self):
        actions = plan.diff('domain', 'hv1', {'tk1': 1, 'tk0': 0}, {})
        self.assertEqual([('create', 'tk0', 0), ('create', 'tk1', 1)],
                         [(a.verb, a.name, a.want) for a in actions])
        self.assertEqual(['domain', 'domain'], [a.kind for a in actions])
        self.assertEqual(['hv1', 'hv1'], [a.hypervisor for a in actions])

    def test_nothing_to_do(self):
        want = {'tk0': {'memory': 1}}
        have = {'tk0': plan.Observed(True, {'memory': 1})}
        self.assertEqual([], plan.diff('domain', 'hv1', want, have,
                                       compare_memory))
        self.assertEqual([], plan.diff('domain', 'hv1', want, have))

    def test_update(self):
        want = {'tk0': {'memory': 2}}
        have = {'tk0': plan.Observed(True, {'memory': 1})}
        [action] = plan.diff('domain', 'hv1', want, have, compare_memory)
        self.assertEqual(plan.Action('domain', 'update', 'tk0', 'hv1',
                                     'memory 1 -> 2'), action)
        self.assertEqual(({'memory': 2}, {'memory': 1}),
                         (action.want, action.have))
        self.assertEqual('update domain tk0 on hv1 (memory 1 -> 2)',
                         action.describe())

    def test_delete_owned(self):
        have = {'tk9': plan.Observed(True, 'facts'),
                'tk8': plan.Observed(True)}
        actions = plan.diff('domain', 'hv1', {}, have)
        self.assertEqual([('delete', 'tk8', None), ('delete', 'tk9', 'facts')],
                         [(a.verb, a.name, a.have) for a in actions])
        self.assertEqual('delete domain tk9 on hv1', actions[1].describe())

    def test_unowned_extra_is_left_alone(self):
        have = {'theirs': plan.Observed(False)}
        self.assertEqual([], plan.diff('domain', 'hv1', {}, have))

    def test_unowned_clash_raises(self):
        want = {'tk0': {}}
        have = {'tk0': plan.Observed(False)}
        err = self.assertRaises(exception.OwnershipError, plan.diff,
                                'domain', 'hv1', want, have)
        self.assertEqual(
            'domain tk0 exists on hv1 but was not created by this Tenks '
            'cluster; rename or remove it, or choose another name.',
            str(err))

    def test_shareable_unowned_is_used_as_is(self):
        want = {'br-ex': {'memory': 2}}
        have = {'br-ex': plan.Observed(False, {'memory': 1})}
        self.assertEqual([], plan.diff('bridge', 'hv1', want, have,
                                       compare_memory, shareable=True))

    def test_mixed(self):
        want = {'a': {'memory': 1}, 'b': {'memory': 2}, 'c': {'memory': 3}}
        have = {'b': plan.Observed(True, {'memory': 9}),
                'c': plan.Observed(True, {'memory': 3}),
                'd': plan.Observed(True, {'memory': 4}),
                'e': plan.Observed(False, {'memory': 5})}
        actions = plan.diff('domain', 'hv1', want, have, compare_memory)
        self.assertEqual([('create', 'a'), ('update', 'b'), ('delete', 'd')],
                         [(a.verb, a.name) for a in actions])


class TestOrder(testtools.TestCase):

    def action(self, kind, verb, name='x'):
        return plan.Action(kind, verb, name, 'hv1')

    def test_deletes_first_reversed_then_creates(self):
        actions = [
            self.action('bridge', 'create'),
            self.action('bmc', 'delete'),
            self.action('domain', 'update'),
            self.action('veth', 'delete'),
            self.action('volume', 'create'),
            self.action('domain', 'delete'),
            self.action('bmc', 'create'),
            self.action('bridge', 'delete'),
            self.action('veth', 'create'),
        ]
        self.assertEqual(
            [('bmc', 'delete'), ('domain', 'delete'), ('veth', 'delete'),
             ('bridge', 'delete'), ('bridge', 'create'), ('veth', 'create'),
             ('volume', 'create'), ('domain', 'update'), ('bmc', 'create')],
            [(a.kind, a.verb) for a in plan.order(actions, KINDS)])

    def test_stable_within_kind(self):
        actions = [self.action('domain', 'create', 'tk1'),
                   self.action('bridge', 'delete', 'b1'),
                   self.action('domain', 'create', 'tk0'),
                   self.action('bridge', 'delete', 'b0')]
        self.assertEqual(['b1', 'b0', 'tk1', 'tk0'],
                         [a.name for a in plan.order(actions, KINDS)])

    def test_empty(self):
        self.assertEqual([], plan.order([], KINDS))

    def test_action_equality_ignores_facts(self):
        self.assertEqual(plan.Action('domain', 'create', 'tk0', 'hv1',
                                     want=1),
                         plan.Action('domain', 'create', 'tk0', 'hv1',
                                     want=2))
        self.assertEqual('create domain tk0 on hv1',
                         self.action('domain', 'create', 'tk0').describe())
