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

import json

import testtools

from tenks.network import batch
from tenks.network import facts
from tests.unit import fakes

# Trimmed from `ip -j -d link show` on a hypervisor with one Open vSwitch
# and one Linux bridge physnet.
IP_LINKS = json.dumps([
    {'ifindex': 1, 'ifname': 'lo', 'flags': ['LOOPBACK', 'UP'],
     'mtu': 65536, 'link_type': 'loopback',
     'address': '00:00:00:00:00:00'},
    {'ifindex': 2, 'ifname': 'eth1', 'flags': ['BROADCAST', 'UP'],
     'mtu': 1500, 'link_type': 'ether', 'address': '02:00:00:00:00:01'},
    {'ifindex': 3, 'ifname': 'ovs-system', 'mtu': 1500,
     'link_type': 'ether', 'linkinfo': {'info_kind': 'openvswitch'}},
    {'ifindex': 4, 'ifname': 'brtenks0', 'mtu': 1500, 'link_type': 'ether',
     'master': 'ovs-system', 'linkinfo': {'info_kind': 'openvswitch'}},
    {'ifindex': 5, 'ifname': 'tk0-0b', 'link': 'tk0-0n',
     'master': 'ovs-system', 'ifalias': 'tenks:c0ffee00',
     'linkinfo': {'info_kind': 'veth'}},
    {'ifindex': 6, 'ifname': 'tk0-0n', 'link': 'tk0-0b',
     'ifalias': 'tenks:c0ffee00', 'linkinfo': {'info_kind': 'veth'}},
    {'ifindex': 7, 'ifname': 'brtenks1', 'mtu': 1500,
     'ifalias': 'tenks:c0ffee00',
     'linkinfo': {'info_kind': 'bridge', 'info_data': {'stp_state': 0}}},
    {'ifindex': 8, 'ifname': 'tk0-1b', 'link': 'tk0-1n',
     'master': 'brtenks1', 'ifalias': 'tenks:c0ffee00',
     'linkinfo': {'info_kind': 'veth', 'info_slave_kind': 'bridge'}},
    {'ifindex': 9, 'ifname': 'tk0-1n', 'link': 'tk0-1b',
     'ifalias': 'tenks:deadbeef', 'linkinfo': {'info_kind': 'veth'}},
    {'ifindex': 10, 'ifname': 'br-lnx', 'mtu': 1500,
     'linkinfo': {'info_kind': 'bridge'}},
    {'ifindex': 11, 'ifname': 'eth2', 'master': 'bond0',
     'link_type': 'ether'},
])

BR0 = '7a1d0c6e-0000-4000-8000-000000000001'
BR_USER = '7a1d0c6e-0000-4000-8000-000000000002'
P_BR0 = 'aaaa0000-0000-4000-8000-000000000001'
P_VETH = 'aaaa0000-0000-4000-8000-000000000002'
P_PATCH = 'aaaa0000-0000-4000-8000-000000000003'
P_USER = 'aaaa0000-0000-4000-8000-000000000004'
P_USER_PATCH = 'aaaa0000-0000-4000-8000-000000000005'
I_BR0 = 'bbbb0000-0000-4000-8000-000000000001'
I_VETH = 'bbbb0000-0000-4000-8000-000000000002'
I_PATCH = 'bbbb0000-0000-4000-8000-000000000003'
I_USER = 'bbbb0000-0000-4000-8000-000000000004'
I_USER_PATCH = 'bbbb0000-0000-4000-8000-000000000005'
MARK = ['map', [['tenks-cluster', 'c0ffee00']]]
NO_MAP = ['map', []]


def _table(headings, rows):
    return json.dumps({'data': rows, 'headings': headings})


# `ovs-vsctl -f json` prints one line per listed table, as OVS_QUERY asks.
OVS_OUTPUT = '\n'.join([
    _table(['name', 'ports', 'external_ids', 'datapath_type'], [
        ['brtenks0',
         ['set', [['uuid', P_BR0], ['uuid', P_VETH], ['uuid', P_PATCH]]],
         MARK, 'netdev'],
        ['br-user', ['set', [['uuid', P_USER], ['uuid', P_USER_PATCH]]],
         NO_MAP, ''],
        ['br-empty', ['uuid', 'cccc0000-0000-4000-8000-000000000009'],
         ['map', [['other', 'x']]], 'system'],
    ]),
    _table(['_uuid', 'name', 'external_ids', 'interfaces'], [
        [['uuid', P_BR0], 'brtenks0', NO_MAP, ['uuid', I_BR0]],
        [['uuid', P_VETH], 'tk0-0b', MARK, ['uuid', I_VETH]],
        [['uuid', P_PATCH], 'brtenks0-up', MARK, ['uuid', I_PATCH]],
        [['uuid', P_USER], 'br-user', NO_MAP, ['uuid', I_USER]],
        [['uuid', P_USER_PATCH], 'brtenks0-ph', MARK,
         ['uuid', I_USER_PATCH]],
    ]),
    _table(['_uuid', 'type', 'options'], [
        [['uuid', I_BR0], 'internal', NO_MAP],
        [['uuid', I_VETH], '', NO_MAP],
        [['uuid', I_PATCH], 'patch', ['map', [['peer', 'brtenks0-ph']]]],
        [['uuid', I_USER], 'internal', NO_MAP],
        [['uuid', I_USER_PATCH], 'patch',
         ['map', [['peer', 'brtenks0-up']]]],
    ]),
]) + '\n'


class TestParseLinks(testtools.TestCase):

    def test_links(self):
        links = facts.parse_links(IP_LINKS)
        self.assertEqual(
            ['lo', 'eth1', 'ovs-system', 'brtenks0', 'tk0-0b', 'tk0-0n',
             'brtenks1', 'tk0-1b', 'tk0-1n', 'br-lnx', 'eth2'], list(links))
        self.assertEqual(
            facts.Link('tk0-1b', kind='veth', alias='tenks:c0ffee00',
                       master='brtenks1', peer='tk0-1n'),
            links['tk0-1b'])
        self.assertEqual(facts.Link('eth1', address='02:00:00:00:00:01'),
                         links['eth1'])
        self.assertEqual('bridge', links['brtenks1'].kind)
        self.assertEqual('openvswitch', links['brtenks0'].kind)

    def test_empty(self):
        self.assertEqual({}, facts.parse_links(''))
        self.assertEqual({}, facts.parse_links('[]'))


class TestParseOVS(testtools.TestCase):

    def test_bridges(self):
        bridges = facts.parse_ovs(OVS_OUTPUT)
        self.assertEqual(['brtenks0', 'br-user', 'br-empty'], list(bridges))
        br0 = bridges['brtenks0']
        self.assertEqual(('netdev', 'c0ffee00'),
                         (br0.datapath_type, br0.mark))
        # The bridge's own internal port is not listed among its ports.
        self.assertEqual(['tk0-0b', 'brtenks0-up'], list(br0.ports))
        self.assertEqual(facts.OVSPort('tk0-0b', mark='c0ffee00', type=''),
                         br0.ports['tk0-0b'])
        self.assertEqual(facts.OVSPort('brtenks0-up', mark='c0ffee00',
                                       type='patch', peer='brtenks0-ph'),
                         br0.ports['brtenks0-up'])

    def test_unowned_bridge(self):
        user = facts.parse_ovs(OVS_OUTPUT)['br-user']
        self.assertEqual(('', None), (user.datapath_type, user.mark))
        self.assertEqual(['brtenks0-ph'], list(user.ports))
        self.assertEqual('brtenks0-up', user.ports['brtenks0-ph'].peer)

    def test_single_unknown_port_and_other_external_ids(self):
        empty = facts.parse_ovs(OVS_OUTPUT)['br-empty']
        self.assertEqual(('system', None, {}),
                         (empty.datapath_type, empty.mark, empty.ports))

    def test_no_bridges(self):
        output = '\n'.join([
            _table(['name', 'ports', 'external_ids', 'datapath_type'], []),
            _table(['_uuid', 'name', 'external_ids', 'interfaces'], []),
            _table(['_uuid', 'type', 'options'], [])])
        self.assertEqual({}, facts.parse_ovs(output))

    def test_query_columns_match_parser(self):
        self.assertEqual(
            ['--columns=name,ports,external_ids,datapath_type',
             '--columns=_uuid,name,external_ids,interfaces,tag,vlan_mode,'
             'other_config',
             '--columns=_uuid,type,options'],
            [word for word in facts.OVS_QUERY
             if word.startswith('--columns')])
        self.assertEqual(['Bridge', 'Port', 'Interface'],
                         [facts.OVS_QUERY[i + 1]
                          for i, word in enumerate(facts.OVS_QUERY)
                          if word == 'list'])
        self.assertIn('json', facts.OVS_QUERY)


class TestNetworkFacts(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.facts = facts.NetworkFacts(facts.parse_links(IP_LINKS),
                                        facts.parse_ovs(OVS_OUTPUT),
                                        'c0ffee00')

    def test_bridge_of(self):
        self.assertEqual('brtenks0', self.facts.bridge_of('tk0-0b'))
        self.assertEqual('brtenks0', self.facts.bridge_of('brtenks0-up'))
        self.assertEqual('br-user', self.facts.bridge_of('brtenks0-ph'))
        self.assertEqual('brtenks1', self.facts.bridge_of('tk0-1b'))

    def test_bridge_of_none(self):
        self.assertIsNone(self.facts.bridge_of('tk0-0n'))
        self.assertIsNone(self.facts.bridge_of('missing'))
        # Enslaved to something that is not a bridge.
        self.assertIsNone(self.facts.bridge_of('eth2'))
        # Its own internal port is not a port of the bridge here.
        self.assertIsNone(self.facts.bridge_of('br-user'))

    def test_device_kind(self):
        self.assertEqual('openvswitch', self.facts.device_kind('brtenks0'))
        self.assertEqual('openvswitch', self.facts.device_kind('br-empty'))
        self.assertEqual('linuxbridge', self.facts.device_kind('brtenks1'))
        self.assertEqual('linuxbridge', self.facts.device_kind('br-lnx'))
        self.assertEqual('interface', self.facts.device_kind('eth1'))
        self.assertEqual('interface', self.facts.device_kind('tk0-0n'))
        self.assertIsNone(self.facts.device_kind('eth9'))

    def test_owns_link(self):
        self.assertTrue(self.facts.owns_link('tk0-0b'))
        self.assertTrue(self.facts.owns_link('brtenks1'))
        self.assertFalse(self.facts.owns_link('tk0-1n'))
        self.assertFalse(self.facts.owns_link('eth1'))
        self.assertFalse(self.facts.owns_link('missing'))

    def test_owns_link_other_cluster(self):
        other = facts.NetworkFacts(facts.parse_links(IP_LINKS), {},
                                   'deadbeef')
        self.assertTrue(other.owns_link('tk0-1n'))
        self.assertFalse(other.owns_link('tk0-0b'))


class TestBatch(testtools.TestCase):

    def test_groups_in_order(self):
        steps = batch.Batch(host=None)
        steps.ip('link', 'add', 'tk0-0b', 'type', 'veth', 'peer', 'name',
                 'tk0-0n')
        steps.ip('link', 'set', 'tk0-0b', 'up')
        steps.ovs('--may-exist', 'add-port', 'brtenks0', 'tk0-0b')
        steps.ovs('set', 'Port', 'tk0-0b',
                  'external_ids:tenks-cluster=c0ffee00')
        steps.ip('link', 'set', 'tk0-0n', 'up')
        self.assertEqual([
            (['ip', '-batch', '-'],
             'link add tk0-0b type veth peer name tk0-0n\n'
             'link set tk0-0b up\n'),
            (['ovs-vsctl', '--timeout=30',
              '--', '--may-exist', 'add-port', 'brtenks0', 'tk0-0b',
              '--', 'set', 'Port', 'tk0-0b',
              'external_ids:tenks-cluster=c0ffee00'], None),
            (['ip', '-batch', '-'], 'link set tk0-0n up\n'),
        ], steps.commands())

    def test_barrier_splits_a_transaction(self):
        steps = batch.Batch(host=None)
        steps.ovs('del-port', 'brA', 'tk-ph')
        steps.barrier()
        steps.ovs('add-port', 'brB', 'tk-ph')
        steps.barrier()
        self.assertEqual([
            (['ovs-vsctl', '--timeout=30', '--', 'del-port', 'brA', 'tk-ph'],
             None),
            (['ovs-vsctl', '--timeout=30', '--', 'add-port', 'brB', 'tk-ph'],
             None)], steps.commands())

    def test_single_ovs(self):
        steps = batch.Batch(host=None)
        steps.ovs('del-br', 'brtenks0')
        self.assertEqual(
            [(['ovs-vsctl', '--timeout=30', '--', 'del-br', 'brtenks0'],
              None)], steps.commands())

    def test_empty(self):
        self.assertEqual([], batch.Batch(host=None).commands())

    def test_flush_runs_commands_then_clears(self):
        host = fakes.FakeHost()
        steps = batch.Batch(host)
        steps.ovs('add-br', 'brtenks0')
        steps.ip('link', 'set', 'brtenks0', 'up')
        steps.flush()
        self.assertEqual([
            (['ovs-vsctl', '--timeout=30', '--', 'add-br', 'brtenks0'],
             None),
            (['ip', '-batch', '-'], 'link set brtenks0 up\n')], host.seen)
        self.assertEqual([], steps.commands())
        steps.flush()
        self.assertEqual(2, len(host.seen))

    def test_commands_does_not_consume(self):
        steps = batch.Batch(host=None)
        steps.ip('link', 'del', 'tk0-0b')
        self.assertEqual(steps.commands(), steps.commands())
