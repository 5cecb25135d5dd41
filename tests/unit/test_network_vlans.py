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

"""VLAN physnets sharing an Open vSwitch bridge: config, facts, plan."""

import json

import testtools

from tenks import checks
from tenks import exception
from tenks.network import facts as net_facts
from tenks.network import kinds
from tenks import plan
from tests.unit import test_checks
from tests.unit import test_config
from tests.unit import test_network_kinds as physnets
from tests.unit.test_network_kinds import facts_of
from tests.unit.test_network_kinds import link
from tests.unit.test_network_kinds import PhysnetContext


class TestMappings(test_config.ConfigTestCase):

    def mapped(self, mappings, **extra):
        data = test_config.good_data()
        data['physnet_mappings'] = mappings
        data.update(extra)
        return data

    def test_devices_and_vlans(self):
        local, = self.parse(self.mapped({
            'physnet1': {'device': 'br-up', 'vlan': 101},
            'physnet2': {'device': 'br-up', 'vlan': 102}})).hypervisors
        self.assertEqual({'physnet1': 'br-up', 'physnet2': 'br-up'},
                         local.physnet_mappings)
        self.assertEqual({'physnet1': 101, 'physnet2': 102},
                         local.physnet_vlans)

    def test_plain_and_dotted_names_stay_plain_devices(self):
        local, = self.parse(self.mapped({
            'physnet1': 'eth1', 'physnet2': 'eth1.101'})).hypervisors
        self.assertEqual({'physnet1': 'eth1', 'physnet2': 'eth1.101'},
                         local.physnet_mappings)
        self.assertEqual({}, local.physnet_vlans)

    def test_device_without_vlan_is_untagged(self):
        local, = self.parse(self.mapped({
            'physnet1': {'device': 'br-up'}, 'physnet2': 'eth1'})).hypervisors
        self.assertEqual({}, local.physnet_vlans)

    def test_per_hypervisor(self):
        data = self.mapped({'physnet1': 'eth1', 'physnet2': 'eth2'},
                           hypervisors={
                               'hv1': {'physnet_mappings': {
                                   'physnet1': {'device': 'br-up',
                                                'vlan': 7},
                                   'physnet2': 'eth2'}},
                               'hv2': {}})
        hv1, hv2 = self.parse(data).hypervisors
        self.assertEqual({'physnet1': 7}, hv1.physnet_vlans)
        self.assertEqual({}, hv2.physnet_vlans)

    def test_errors(self):
        cases = [
            ({'device': 'br-up', 'vlan': 4095},
             'physnet_mappings.physnet1.vlan: 4095 must be at most 4094'),
            ({'device': 'br-up', 'vlan': 0},
             'physnet_mappings.physnet1.vlan: 0 must be at least 1'),
            ({'device': 'br-up', 'vlan': '101'},
             "physnet_mappings.physnet1.vlan: '101' is not an integer"),
            ({'vlan': 101},
             'physnet_mappings.physnet1.device: is required'),
            ({'device': 'br-up', 'vlna': 101},
             "physnet_mappings.physnet1.vlna: unknown key; did you mean "
             "'vlan'?"),
            ({'device': '', 'vlan': 101},
             "physnet_mappings.physnet1: '' is not a device name"),
        ]
        for value, message in cases:
            self.assertConfigError(
                self.mapped({'physnet1': value, 'physnet2': 'eth1'}),
                '%s: %s' % (test_config.SOURCE, message))

    def test_same_vlan_twice_on_one_device(self):
        self.assertConfigError(self.mapped({
            'physnet1': {'device': 'br-up', 'vlan': 101},
            'physnet2': {'device': 'br-up', 'vlan': 101}}),
            "%s: physnet_mappings.physnet2: VLAN 101 on br-up is already "
            "physnet1's" % test_config.SOURCE)

    def test_same_vlan_on_two_devices(self):
        local, = self.parse(self.mapped({
            'physnet1': {'device': 'br-a', 'vlan': 101},
            'physnet2': {'device': 'br-b', 'vlan': 101}})).hypervisors
        self.assertEqual({'physnet1': 101, 'physnet2': 101},
                         local.physnet_vlans)


# ovs-vsctl -f json of a source bridge holding Tenks' tagged patch port
# and a user's untagged one (captured here, Open vSwitch 3.1).
CAPTURED_OVS = '\n'.join(json.dumps(table) for table in (
    {'data': [['obr', ['set', [['uuid', 'p-ph'], ['uuid', 'p-x']]],
               ['map', []], 'netdev']],
     'headings': ['name', 'ports', 'external_ids', 'datapath_type']},
    {'data': [[['uuid', 'p-ph'], 'tkbr0-ph',
               ['map', [['tenks-cluster', 'c0ffee00']]], ['uuid', 'i-ph'],
               101, 'dot1q-tunnel', ['map', [['qinq-ethtype', '802.1q']]]],
              [['uuid', 'p-x'], 'x', ['map', []], ['uuid', 'i-x'],
               ['set', []], ['set', []], ['map', []]]],
     'headings': ['_uuid', 'name', 'external_ids', 'interfaces', 'tag',
                  'vlan_mode', 'other_config']},
    {'data': [[['uuid', 'i-ph'], 'patch', ['map', [['peer', 'tkbr0-up']]]],
              [['uuid', 'i-x'], 'patch', ['map', [['peer', 'y']]]]],
     'headings': ['_uuid', 'type', 'options']}))


class TestFacts(testtools.TestCase):

    def test_port_vlans_parsed(self):
        ports = net_facts.parse_ovs(CAPTURED_OVS)['obr'].ports
        self.assertEqual((101, 'dot1q-tunnel', '802.1q'), (
            ports['tkbr0-ph'].tag, ports['tkbr0-ph'].vlan_mode,
            ports['tkbr0-ph'].qinq_ethtype))
        self.assertEqual((None, None, None), (
            ports['x'].tag, ports['x'].vlan_mode, ports['x'].qinq_ethtype))


def source_port(tag=None, vlan_mode=None, qinq=None, bridge='obr'):
    found = physnets.ovs_bridge(bridge, ['tkbr0-ph'], mark=None)
    port = found.ports['tkbr0-ph']
    port.mark, port.type, port.peer = 'c0ffee00', 'patch', 'tkbr0-up'
    port.tag, port.vlan_mode, port.qinq_ethtype = tag, vlan_mode, qinq
    return found


def patched(**tagging):
    ours = physnets.ovs_bridge('tkbr0', ['tkbr0-up'])
    ours.ports['tkbr0-up'].type = 'patch'
    return facts_of([link('tkbr0', 'openvswitch')],
                    [ours, source_port(**tagging)])


def text(commands):
    return '\n'.join(' '.join(argv) + '\n' + (stdin or '')
                     for argv, stdin in commands)


class TestPhysnetVlans(testtools.TestCase):

    def plan_and_apply(self, ctx):
        actions = kinds.Physnets().plan(ctx, ctx.hypervisor)
        kinds.Physnets().apply(ctx, ctx.hypervisor, actions)
        return actions, text(ctx.commands())

    def test_new_bridge_is_tagged_on_its_source_port(self):
        ctx = PhysnetContext('openvswitch', {'device': 'obr', 'vlan': 101},
                             facts_of([], [physnets.ovs_bridge(
                                 'obr', [], mark=None)]))
        actions, commands = self.plan_and_apply(ctx)
        self.assertEqual([(plan.CREATE, 'p to obr on VLAN 101')],
                         [(a.verb, a.reason) for a in actions])
        self.assertIn('set Port tkbr0-ph tag=101 vlan_mode=dot1q-tunnel '
                      'other_config:qinq-ethtype=802.1q', commands)
        self.assertNotIn('tkbr0-up tag', commands)

    def test_linux_bridge_joins_through_a_tagged_veth(self):
        ctx = PhysnetContext('linuxbridge', {'device': 'obr', 'vlan': 102},
                             facts_of([], [physnets.ovs_bridge(
                                 'obr', [], mark=None)], offloads={}))
        _, commands = self.plan_and_apply(ctx)
        self.assertIn('type veth peer name tkbr0-ph', commands)
        self.assertIn('add-port obr tkbr0-ph', commands)
        self.assertIn('set Port tkbr0-ph tag=102', commands)

    def test_tagged_in_place_is_a_no_op(self):
        ctx = PhysnetContext('openvswitch', {'device': 'obr', 'vlan': 101},
                             patched(tag=101, vlan_mode='dot1q-tunnel',
                                     qinq='802.1q'))
        self.assertEqual([], kinds.Physnets().plan(ctx, ctx.hypervisor))

    def test_vlan_changed_is_retagged(self):
        ctx = PhysnetContext('openvswitch', {'device': 'obr', 'vlan': 103},
                             patched(tag=101, vlan_mode='dot1q-tunnel',
                                     qinq='802.1q'))
        actions, commands = self.plan_and_apply(ctx)
        self.assertEqual(['uplink to obr on VLAN 101, wanted on VLAN 103'],
                         [a.reason for a in actions])
        self.assertIn('set Port tkbr0-ph tag=103', commands)

    def test_vlan_removed_is_untagged(self):
        ctx = PhysnetContext('openvswitch', 'obr', patched(
            tag=101, vlan_mode='dot1q-tunnel', qinq='802.1q'))
        actions, commands = self.plan_and_apply(ctx)
        self.assertEqual(['uplink to obr on VLAN 101, wanted untagged'],
                         [a.reason for a in actions])
        self.assertIn('clear Port tkbr0-ph tag vlan_mode', commands)
        self.assertIn('remove Port tkbr0-ph other_config qinq-ethtype',
                      commands)

    def test_plain_access_tag_is_not_the_vlan(self):
        # An access port would drop what a tenant VLAN tagged.
        ctx = PhysnetContext('openvswitch', {'device': 'obr', 'vlan': 101},
                             patched(tag=101))
        actions, _ = self.plan_and_apply(ctx)
        self.assertEqual(['uplink to obr tag 101, vlan_mode access, wanted '
                          'on VLAN 101'], [a.reason for a in actions])

    def test_untagged_in_place_is_a_no_op(self):
        ctx = PhysnetContext('openvswitch', 'obr', patched())
        self.assertEqual([], kinds.Physnets().plan(ctx, ctx.hypervisor))

    def test_moved_physnet_leaves_its_old_bridge(self):
        facts = patched(tag=101, vlan_mode='dot1q-tunnel', qinq='802.1q')
        facts.ovs['obr2'] = physnets.ovs_bridge('obr2', [], mark=None)
        ctx = PhysnetContext('openvswitch', {'device': 'obr2', 'vlan': 101},
                             net_facts.NetworkFacts(
                                 facts.links, facts.ovs, 'c0ffee00'))
        actions, commands = self.plan_and_apply(ctx)
        self.assertEqual(['not plugged to obr2'], [a.reason for a in actions])
        self.assertLess(commands.index('del-port obr tkbr0-ph'),
                        commands.index('add-port obr2 tkbr0-ph'))
        self.assertIn('set Port tkbr0-ph tag=101', commands)
        # In transactions of their own: ovs-vswitchd would keep the patch
        # port on obr too.
        removal = [' '.join(argv) for argv, _ in ctx.commands()
                   if 'del-port' in argv and 'obr' in argv]
        self.assertEqual(1, len(removal))
        self.assertNotIn('add-port', removal[0])

    def test_patch_becomes_a_veth_for_a_linux_bridge_source(self):
        facts = patched()
        facts.links['lbr'] = net_facts.Link('lbr', 'bridge')
        ctx = PhysnetContext('openvswitch', 'lbr', net_facts.NetworkFacts(
            facts.links, facts.ovs, 'c0ffee00', lambda names: {}))
        _, commands = self.plan_and_apply(ctx)
        self.assertLess(commands.index('del-port obr tkbr0-ph'),
                        commands.index('type veth'))
        self.assertIn('del-port tkbr0 tkbr0-up', commands)

    def test_vlan_on_an_interface_or_linux_bridge_is_refused(self):
        for device, what in (('eth9', 'an interface'),
                             ('lbr', 'a Linux bridge')):
            ctx = PhysnetContext('openvswitch', {'device': device,
                                                 'vlan': 101}, facts_of([
                                                     link('eth9', alias=None),
                                                     link('lbr', 'bridge',
                                                          alias=None)]))
            err = self.assertRaises(exception.ConfigError,
                                    kinds.Physnets().plan, ctx,
                                    ctx.hypervisor)
            self.assertIn('physnet_mappings.p: VLAN 101 needs an Open '
                          'vSwitch bridge as device, and %r on %s is %s' % (
                              device, ctx.hypervisor.name, what), str(err))
            self.assertEqual([], ctx.commands())

    def test_missing_device_is_named(self):
        ctx = PhysnetContext('openvswitch', {'device': 'nope', 'vlan': 101},
                             facts_of([]))
        err = self.assertRaises(exception.ConfigError, kinds.Physnets().plan,
                                ctx, ctx.hypervisor)
        self.assertIn("physnet_mappings.p: device 'nope' does not exist on",
                      str(err))


class TestVerifyWiring(testtools.TestCase):

    def net(self, **tagging):
        net = test_checks.network()
        net.ovs['obr'] = net_facts.OVSBridge('obr', ports={
            'brtenks0-ph': net_facts.OVSPort('brtenks0-ph', **tagging)})
        return net_facts.NetworkFacts(net.links, net.ovs, net.mark)

    def wiring(self, net, vlans):
        return checks.wiring(test_checks.NODE, net, vlans)

    def test_tagged_as_recorded(self):
        result = self.wiring(self.net(tag=101, vlan_mode='dot1q-tunnel',
                                      qinq_ethtype='802.1q'),
                             {'physnet1': 101})
        self.assertTrue(result.ok, result.detail)

    def test_untagged_uplink_fails(self):
        result = self.wiring(self.net(), {'physnet1': 101})
        self.assertFalse(result.ok)
        self.assertIn('uplink brtenks0-ph of bridge brtenks0 (physnet1) is '
                      'untagged, not on VLAN 101', result.detail)

    def test_other_vlan_fails(self):
        result = self.wiring(self.net(tag=102, vlan_mode='dot1q-tunnel',
                                      qinq_ethtype='802.1q'),
                             {'physnet1': 101})
        self.assertIn('is on VLAN 102, not on VLAN 101', result.detail)

    def test_no_vlans_recorded_checks_none(self):
        self.assertTrue(self.wiring(self.net(), {}).ok)


class TestVethBecomesPatch(testtools.TestCase):

    def test_linux_bridge_source_moved_to_ovs(self):
        facts = facts_of([
            link('tkbr0', 'openvswitch'),
            link('lbr', 'bridge', alias=None),
            link('tkbr0-up', 'veth', peer='tkbr0-ph'),
            link('tkbr0-ph', 'veth', master='lbr', peer='tkbr0-up')],
            [physnets.ovs_bridge('tkbr0', ['tkbr0-up']),
             physnets.ovs_bridge('obr', [], mark=None)], offloads={})
        ctx = PhysnetContext('openvswitch', {'device': 'obr', 'vlan': 5},
                             facts)
        actions = kinds.Physnets().plan(ctx, ctx.hypervisor)
        self.assertEqual(['not plugged to obr'], [a.reason for a in actions])
        kinds.Physnets().apply(ctx, ctx.hypervisor, actions)
        commands = text(ctx.commands())
        self.assertLess(commands.index('link del dev tkbr0-up'),
                        commands.index('set Interface tkbr0-up type=patch'))
        self.assertIn('set Port tkbr0-ph tag=5', commands)
