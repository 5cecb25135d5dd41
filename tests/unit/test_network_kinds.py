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

from tenks.network import kinds
from tenks.network import linuxbridge
from tenks.network import ovs
from tenks import plan
from tests.unit import fakes


def veth_actions(verb, count):
    actions = []
    for index in range(count):
        item = {'peer': 'n%d-0n' % index, 'bridge': 'tkbr0'}
        actions.append(plan.Action(
            'veth', verb, 'n%d-0b' % index, 'hv',
            want=None if verb == plan.DELETE else item,
            have=None if verb == plan.CREATE else item))
    return actions


class TestVethBatching(testtools.TestCase):

    def commands(self, bridges, actions):
        ctx = fakes.make_context(fakes.cluster_data(
            bridge_type=bridges.type, ovs_datapath_type='netdev'))
        hypervisor = ctx.cluster.hypervisors[0]
        # Every device is a bridge of this type, as the actions need.
        ctx.facts.cached(('network', hypervisor.name), lambda: (
            types.SimpleNamespace(device_kind=lambda name: bridges.type)))
        kinds.Veths().apply(ctx, hypervisor, actions)
        return ctx.hypervisors.fake_host.seen

    def test_ovs_create_is_two_commands_whatever_the_count(self):
        for count in (1, 10):
            argvs = [argv for argv, _ in self.commands(
                ovs.OVSBridges('c0ffee00', 'netdev'),
                veth_actions(plan.CREATE, count))]
            self.assertEqual([['ip', '-batch', '-'], 'ovs-vsctl'],
                             [argvs[0], argvs[1][0]])
            self.assertEqual(count, argvs[1].count('add-port'))

    def test_ovs_delete_unplugs_before_removing(self):
        argvs = [argv for argv, _ in self.commands(
            ovs.OVSBridges('c0ffee00', 'netdev'),
            veth_actions(plan.DELETE, 10))]
        self.assertEqual(2, len(argvs))
        self.assertEqual(10, argvs[0].count('del-port'))
        self.assertEqual(['ip', '-batch', '-'], argvs[1])

    def test_linux_bridge_create_is_one_ip_batch(self):
        commands = self.commands(linuxbridge.LinuxBridges('c0ffee00'),
                                 veth_actions(plan.CREATE, 10))
        self.assertEqual(1, len(commands))
        lines = commands[0][1].splitlines()
        added = [i for i, line in enumerate(lines) if ' type veth ' in line]
        plugged = [i for i, line in enumerate(lines) if ' master ' in line]
        self.assertEqual(10, len(plugged))
        self.assertLess(max(added), min(plugged))
