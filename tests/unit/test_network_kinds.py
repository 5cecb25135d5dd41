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
from tenks.network import facts as net_facts
from tenks.network import kinds
from tenks.network import linuxbridge
from tenks.network import ovs
from tenks import plan
from tenks import records
from tests.unit import fakes


def veth_actions(verb, count, tx_offload=None):
    actions = []
    for index in range(count):
        item = {'peer': 'n%d-0n' % index, 'bridge': 'tkbr0',
                'tx_offload': tx_offload}
        actions.append(plan.Action(
            'veth', verb, 'n%d-0b' % index, 'hv',
            want=None if verb == plan.DELETE else item,
            have=None if verb == plan.CREATE else dict(item)))
    return actions


class TestVethBatching(testtools.TestCase):

    def commands(self, bridges, actions):
        ctx = fakes.make_context(fakes.cluster_data(
            bridge_type=bridges.type, ovs_datapath_type='netdev'))
        hypervisor = ctx.cluster.hypervisors[0]
        # Every device is a bridge of this type, as the actions need.
        ctx.facts.cached(('network', hypervisor.name), lambda: (
            types.SimpleNamespace(device_kind=lambda name: bridges.type,
                                  ovs_error=None)))
        kinds.Veths().apply(ctx, hypervisor, actions)
        return ctx.hypervisors.fake_host.seen

    def test_ovs_create_is_two_commands_whatever_the_count(self):
        for count in (1, 10):
            argvs = [argv for argv, _ in self.commands(
                ovs.OVSBridges('c0ffee00', 'system'),
                veth_actions(plan.CREATE, count))]
            self.assertEqual([['ip', '-batch', '-'], 'ovs-vsctl'],
                             [argvs[0], argvs[1][0]])
            self.assertEqual(count, argvs[1].count('add-port'))

    def test_netdev_create_adds_one_offload_command(self):
        for count in (1, 10):
            commands = self.commands(
                ovs.OVSBridges('c0ffee00', 'netdev'),
                veth_actions(plan.CREATE, count, tx_offload=False))
            self.assertEqual(3, len(commands))
            argv, stdin = commands[2]
            self.assertEqual(['xargs', '-L', '1', 'ethtool', '-K'], argv)
            self.assertEqual(''.join('n%d-0n tx off\n' % index
                                     for index in range(count)), stdin)

    def test_offload_drift_only_turns_offloads_off(self):
        actions = veth_actions(plan.UPDATE, 3, tx_offload=False)
        for action in actions:
            action.have['tx_offload'] = True
        commands = self.commands(ovs.OVSBridges('c0ffee00', 'netdev'),
                                 actions)
        self.assertEqual([['xargs', '-L', '1', 'ethtool', '-K']],
                         [argv for argv, _ in commands])

    def test_compare_offload(self):
        want = {'peer': 'n0-0n', 'bridge': 'tkbr0', 'tx_offload': False}
        self.assertIsNone(kinds.Veths.compare(want, dict(want)))
        self.assertIn('n0-0n offloads TX checksums', kinds.Veths.compare(
            want, dict(want, tx_offload=True)))
        self.assertIsNone(kinds.Veths.compare(
            dict(want, tx_offload=None), dict(want, tx_offload=True)))

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


MARK = 'tenks:c0ffee00'


def link(name, kind=None, master=None, peer=None, alias=MARK):
    return name, net_facts.Link(name, kind, alias, master, peer)


class PhysnetContext(fakes.FakeContext):
    """One physnet p on bridge tkbr0, over the given network facts."""

    def __init__(self, bridge_type, source, facts, datapath='netdev'):
        cluster, state = fakes.scheduled(fakes.cluster_data(
            count=0, bridge_type=bridge_type, ovs_datapath_type=datapath,
            bridge_prefix='tkbr', physnet_mappings={'p': source}))
        state.cluster_id = 'c0ffee00'
        self.hypervisor = cluster.hypervisors[0]
        state.hypervisors = {self.hypervisor.name: records.HypervisorRecord(
            physnet_indices={'p': 0})}
        super().__init__(cluster, state)
        # The same facts for every step: the tests give what a host shows.
        self.facts.cached(('network', self.hypervisor.name),
                          lambda: facts, keep=True)

    def commands(self):
        return self.hypervisors.fake_host.seen


def facts_of(links, ovs_bridges=(), offloads=None):
    def read(names):
        if offloads is None:
            raise AssertionError('offloads read where none matter')
        return {name: offloads.get(name, True) for name in names}
    return net_facts.NetworkFacts(
        dict(links), {bridge.name: bridge for bridge in ovs_bridges},
        'c0ffee00', read)


def ovs_bridge(name, ports, datapath='netdev', mark='c0ffee00'):
    return net_facts.OVSBridge(name, datapath, mark, {
        port: net_facts.OVSPort(port, mark) for port in ports})


class TestPhysnetOffloads(testtools.TestCase):

    def plan_and_apply(self, ctx):
        actions = kinds.Physnets().plan(ctx, ctx.hypervisor)
        kinds.Physnets().apply(ctx, ctx.hypervisor, actions)
        return actions, ctx.commands()

    def test_interface_on_netdev_goes_through_a_kernel_hop(self):
        ctx = PhysnetContext('openvswitch', 'eth9', facts_of(
            [link('eth9', alias=None)], offloads={}))
        actions, commands = self.plan_and_apply(ctx)
        self.assertEqual([plan.CREATE], [a.verb for a in actions])
        text = '\n'.join(' '.join(argv) + '\n' + (stdin or '')
                         for argv, stdin in commands)
        for expected in ('link add name tkbr0-hp', 'add-port tkbr0 tkbr0-up',
                         'set dev eth9 master tkbr0-hp',
                         'set dev tkbr0-ph master tkbr0-hp',
                         'tkbr0-ph tx off'):
            self.assertIn(expected, text)
        self.assertNotIn('add-port tkbr0 eth9', text)
        self.assertEqual(['xargs', '-L', '1', 'ethtool', '-K'],
                         commands[-1][0])

    def plugged_hop(self, offloads):
        return facts_of([
            link('eth9', alias=None, master='tkbr0-hp'),
            link('tkbr0-hp', 'bridge'),
            link('tkbr0-up', 'veth', peer='tkbr0-ph'),
            link('tkbr0-ph', 'veth', master='tkbr0-hp', peer='tkbr0-up'),
            link('tkbr0', 'openvswitch')],
            [ovs_bridge('tkbr0', ['tkbr0-up'])], offloads)

    def test_hop_in_place_is_a_no_op(self):
        ctx = PhysnetContext('openvswitch', 'eth9',
                             self.plugged_hop({'tkbr0-ph': False}))
        self.assertEqual([], kinds.Physnets().plan(ctx, ctx.hypervisor))

    def test_hop_offload_drift_is_repaired(self):
        ctx = PhysnetContext('openvswitch', 'eth9', self.plugged_hop({}))
        actions, commands = self.plan_and_apply(ctx)
        self.assertEqual([plan.UPDATE], [a.verb for a in actions])
        self.assertIn('tkbr0-ph offload(s) TX checksums', actions[0].reason)
        self.assertEqual('tkbr0-ph tx off\n', commands[-1][1])
        self.assertNotIn('link add', ''.join(stdin or ''
                                             for _, stdin in commands))

    def test_interface_plugged_directly_moves_to_the_hop(self):
        ctx = PhysnetContext('openvswitch', 'eth9', facts_of(
            [link('eth9', alias=None), link('tkbr0', 'openvswitch')],
            [ovs_bridge('tkbr0', ['eth9'])], {}))
        actions, commands = self.plan_and_apply(ctx)
        self.assertEqual([plan.UPDATE], [a.verb for a in actions])
        ovs_argv = [argv for argv, _ in commands if argv[0] == 'ovs-vsctl']
        self.assertIn('del-port', ovs_argv[0])

    def test_teardown_removes_the_hop(self):
        ctx = PhysnetContext('openvswitch', 'eth9',
                             self.plugged_hop({'tkbr0-ph': False}))
        ctx.teardown = True
        actions, commands = self.plan_and_apply(ctx)
        self.assertEqual([('tkbr0', plan.DELETE)],
                         [(a.name, a.verb) for a in actions])
        self.assertIn('link del dev tkbr0-hp\n', commands[0][1])

    def test_foreign_hop_is_not_used(self):
        ctx = PhysnetContext('openvswitch', 'eth9', facts_of(
            [link('eth9', alias=None), link('tkbr0-hp', 'bridge',
                                            alias=None)], offloads={}))
        self.assertRaises(exception.OwnershipError, kinds.Physnets().plan,
                          ctx, ctx.hypervisor)

    def test_interface_on_linux_bridge_is_plugged_directly(self):
        ctx = PhysnetContext('linuxbridge', 'eth9', facts_of(
            [link('eth9', alias=None)]))
        actions, commands = self.plan_and_apply(ctx)
        self.assertEqual(1, len(commands))
        self.assertIn('set dev eth9 master tkbr0', commands[0][1])
        self.assertNotIn('-hp', commands[0][1])

    def test_interface_on_system_datapath_is_plugged_directly(self):
        # The kernel datapath keeps checksum state: nothing to turn off,
        # and nothing read (the reader raises).
        ctx = PhysnetContext('openvswitch', 'eth9', facts_of(
            [link('eth9', alias=None)]), datapath='system')
        _, commands = self.plan_and_apply(ctx)
        self.assertIn('add-port', commands[-1][0])
        self.assertNotIn('ethtool', str(commands))

    def test_linux_bridge_source_on_netdev(self):
        ctx = PhysnetContext('openvswitch', 'lbr', facts_of(
            [link('lbr', 'bridge', alias=None)], offloads={}))
        _, commands = self.plan_and_apply(ctx)
        self.assertEqual('tkbr0-ph tx off\n', commands[-1][1])

    def test_userspace_ovs_source_of_a_linux_bridge(self):
        ctx = PhysnetContext('linuxbridge', 'obr', facts_of(
            [], [ovs_bridge('obr', [], mark=None)], offloads={}))
        _, commands = self.plan_and_apply(ctx)
        self.assertEqual('tkbr0-up tx off\n', commands[-1][1])

    def test_ovs_source_of_ovs_is_patched(self):
        ctx = PhysnetContext('openvswitch', 'obr', facts_of(
            [], [ovs_bridge('obr', [], mark=None)]))
        _, commands = self.plan_and_apply(ctx)
        self.assertNotIn('ethtool', str(commands))
        self.assertIn('type=patch', commands[-1][0])
