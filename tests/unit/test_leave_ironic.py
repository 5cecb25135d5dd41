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

"""teardown --leave-ironic: the hypervisor's kinds only, Ironic's named."""

import testtools

from tenks import deploy
from tenks import kinds
from tests.unit import fakes

IRONIC_KINDS = ['ironic-node', 'ironic-port', 'ironic-state',
                'nova-flavor']


class LeaveIronicTest(testtools.TestCase):

    def test_kinds_without_ironic(self):
        every = [kind.name for kind in kinds.of_run(fakes.FakeProvider(), [])]
        host = [kind.name for kind in kinds.of_run(fakes.FakeProvider(), [],
                                                   ironic=False)]
        self.assertEqual(IRONIC_KINDS, every[len(host):])
        self.assertEqual(every[:len(host)], host)

    def test_left_to_ironic(self):
        _, state = fakes.scheduled(fakes.cluster_data(count=3))
        names = sorted(state.nodes)
        state.nodes[names[1]].outcome.ironic_uuid = 'u1'
        state.nodes[names[0]].outcome.ironic_uuid = 'u0'
        state.outcome.flavors = ['bm']
        self.assertEqual(['node %s (u0)' % names[0],
                          'node %s (u1)' % names[1], 'flavor bm'],
                         deploy.left_to_ironic(state))
        _, fresh = fakes.scheduled()
        self.assertEqual([], deploy.left_to_ironic(fresh))
