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
import hashlib
import random
import re

import testtools

from tenks import conf as tenks_conf
from tenks import config
from tenks import exception
from tenks import records
from tenks import schedule
from tenks import state

GIB = 1024 ** 3


def cluster_data(count=3, **extra):
    data = {
        'node_types': {
            'small': {
                'memory_mb': 1024, 'vcpus': 1,
                'volumes': [{'capacity': '1GiB'}, {'capacity': '2GiB'}],
                'physical_networks': ['physnet1', 'physnet2'],
            },
        },
        'specs': [{'type': 'small', 'count': count}],
        'physnet_mappings': {'physnet2': 'eth2', 'physnet1': 'eth1'},
        'ipmi_port_range_start': 6230,
        'ipmi_port_range_end': 6239,
        'bridge_prefix': 'brtenks',
    }
    data.update(extra)
    return data


class ScheduleTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = tenks_conf.load()

    def cluster(self, data):
        return config.parse(data, self.conf, source='cluster.yaml')

    def run_schedule(self, data, previous=None, seed=1):
        return schedule.schedule(
            self.cluster(data), previous or state.empty('/tmp/state.json'),
            schedule.RoundRobinScheduler(), random.Random(seed))


class TestNewNodes(ScheduleTestCase):

    def test_names_volumes_ports(self):
        nodes = self.run_schedule(cluster_data()).nodes
        self.assertEqual(['tk0', 'tk1', 'tk2'], sorted(nodes))
        for index in range(3):
            node = nodes['tk%d' % index]
            self.assertEqual('tk%d' % index, node.name)
            self.assertEqual('small/tk/1', node.spec)
            self.assertEqual('localhost', node.hypervisor)
            self.assertEqual('present', node.state)
            self.assertEqual('uefi', node.boot_mode)
            self.assertEqual((1024, 1), (node.memory_mb, node.vcpus))
            self.assertEqual(
                [{'name': 'tk%dvol0' % index, 'capacity': GIB},
                 {'name': 'tk%dvol1' % index, 'capacity': 2 * GIB}],
                [volume.to_dict() for volume in node.volumes])
            self.assertEqual({'driver': 'ipmi',
                              'address': self.conf.ipmi.address,
                              'port': 6230 + index}, node.bmc.to_dict())
            self.assertIsNone(node.outcome.ironic_uuid)

    def test_vol_name_prefix(self):
        data = cluster_data(count=1)
        data['specs'][0]['vol_name_prefix'] = '-disk'
        node = self.run_schedule(data).nodes['tk0']
        self.assertEqual(['tk0-disk0', 'tk0-disk1'],
                         [v.name for v in node.volumes])

    def test_uuids_unique_and_seeded(self):
        first = self.run_schedule(cluster_data(), seed=7).nodes
        again = self.run_schedule(cluster_data(), seed=7).nodes
        other = self.run_schedule(cluster_data(), seed=8).nodes
        uuids = [node.uuid for node in first.values()]
        self.assertEqual(3, len(set(uuids)))
        for value in uuids:
            self.assertRegex(value, r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-'
                                    r'[89ab][0-9a-f]{3}-[0-9a-f]{12}$')
        self.assertEqual(uuids, [node.uuid for node in again.values()])
        self.assertNotEqual(uuids, [node.uuid for node in other.values()])

    def test_physnet_indices_sorted(self):
        result = self.run_schedule(cluster_data())
        self.assertEqual({'physnet1': 0, 'physnet2': 1},
                         result.hypervisors['localhost'].physnet_indices)
        self.assertEqual(self.conf.libvirt.uri,
                         result.hypervisors['localhost'].libvirt_uri)

    def test_nics(self):
        nodes = self.run_schedule(cluster_data()).nodes
        nics = nodes['tk1'].nics
        self.assertEqual(['physnet1', 'physnet2'],
                         [nic.physnet for nic in nics])
        self.assertEqual(['brtenks0', 'brtenks1'],
                         [nic.bridge for nic in nics])
        self.assertEqual(['tk1-0b', 'tk1-1b'],
                         [nic.veth_bridge for nic in nics])
        self.assertEqual(['tk1-0n', 'tk1-1n'],
                         [nic.veth_node for nic in nics])

    def test_macs_unique_with_qemu_prefix(self):
        data = cluster_data(count=10)
        nodes = self.run_schedule(data).nodes
        macs = [nic.mac for node in nodes.values() for nic in node.nics]
        self.assertEqual(20, len(macs))
        self.assertEqual(20, len(set(macs)))
        for mac in macs:
            self.assertRegex(mac, r'^52:54:00(:[0-9a-f]{2}){3}$')

    def test_mac_collision_retried(self):
        # An RNG repeating itself must not produce a duplicate MAC.
        class Repeating(random.Random):
            def __init__(self):
                super().__init__(0)
                self.values = [1, 2, 3, 1, 2, 3, 4, 5, 6]

            def getrandbits(self, k):
                if k == 8 and self.values:
                    return self.values.pop(0)
                return super().getrandbits(k)

        data = cluster_data(count=1)
        result = schedule.schedule(self.cluster(data),
                                   state.empty('/tmp/state.json'),
                                   schedule.RoundRobinScheduler(),
                                   Repeating())
        nics = result.nodes['tk0'].nics
        self.assertEqual(['52:54:00:01:02:03', '52:54:00:04:05:06'],
                         [nic.mac for nic in nics])

    def test_ipmi_ports_unique(self):
        nodes = self.run_schedule(cluster_data(count=10)).nodes
        ports = sorted(node.bmc.port for node in nodes.values())
        self.assertEqual(list(range(6230, 6240)), ports)

    def test_veth_names_short_and_unique(self):
        nodes = self.run_schedule(cluster_data(count=10)).nodes
        names = [link for node in nodes.values() for nic in node.nics
                 for link in (nic.veth_bridge, nic.veth_node)]
        self.assertEqual(40, len(set(names)))
        for name in names:
            self.assertLessEqual(len(name), 15)

    def test_previous_state_not_modified(self):
        previous = self.run_schedule(cluster_data(count=1))
        snapshot = repr(previous)
        self.run_schedule(cluster_data(count=3), previous)
        self.assertEqual(snapshot, repr(previous))


class TestReschedule(ScheduleTestCase):

    def test_same_cluster_changes_nothing(self):
        first = self.run_schedule(cluster_data(), seed=1)
        second = self.run_schedule(cluster_data(), first, seed=2)
        self.assertEqual(first, second)

    def test_increase_adds_only_new_nodes(self):
        first = self.run_schedule(cluster_data(count=2), seed=1)
        second = self.run_schedule(cluster_data(count=4), first, seed=2)
        self.assertEqual(['tk0', 'tk1', 'tk2', 'tk3'],
                         sorted(second.nodes))
        for name in ('tk0', 'tk1'):
            self.assertEqual(first.nodes[name], second.nodes[name])
        self.assertEqual([6232, 6233],
                         [second.nodes[n].bmc.port
                          for n in ('tk2', 'tk3')])
        macs = [nic.mac for node in second.nodes.values()
                for nic in node.nics]
        self.assertEqual(8, len(set(macs)))

    def test_decrease_marks_highest_absent(self):
        first = self.run_schedule(cluster_data(count=4))
        second = self.run_schedule(cluster_data(count=2), first)
        self.assertEqual(
            {'tk0': 'present', 'tk1': 'present', 'tk2': 'absent',
             'tk3': 'absent'},
            {name: node.state for name, node in second.nodes.items()})
        for name in ('tk2', 'tk3'):
            absent = dataclasses.replace(second.nodes[name], state='present')
            self.assertEqual(first.nodes[name], absent)

    def test_deleted_absent_names_and_ports_reused(self):
        first = self.run_schedule(cluster_data(count=4))
        second = self.run_schedule(cluster_data(count=2), first)
        for name in [n for n, node in second.nodes.items()
                     if node.state == 'absent']:
            del second.nodes[name]
        third = self.run_schedule(cluster_data(count=3), second, seed=5)
        self.assertEqual(['tk0', 'tk1', 'tk2'], sorted(third.nodes))
        self.assertEqual(6232, third.nodes['tk2'].bmc.port)
        self.assertEqual('present', third.nodes['tk2'].state)

    def test_absent_node_taken_back_before_a_new_one(self):
        first = self.run_schedule(cluster_data(count=3))
        second = self.run_schedule(cluster_data(count=2), first)
        third = self.run_schedule(cluster_data(count=3), second, seed=7)
        self.assertEqual(first, third)

    def test_killed_teardown_then_deploy_keeps_the_cluster(self):
        # What a teardown saves before it deletes anything: every node
        # absent. A deploy killed it; the deploy after brings back the
        # same nodes, not new ones beside them.
        first = self.run_schedule(cluster_data(count=3))
        for node in first.nodes.values():
            node.outcome.ironic_uuid = 'ironic-%s' % node.name
        torn = copy.deepcopy(first)
        for node in torn.nodes.values():
            node.state = 'absent'
        again = self.run_schedule(cluster_data(count=3), torn, seed=9)
        self.assertEqual(first, again)
        self.assertEqual(
            0, schedule.new_node_count(self.cluster(cluster_data(count=3)),
                                       torn))

    def test_killed_teardown_then_smaller_deploy(self):
        first = self.run_schedule(cluster_data(count=3))
        for node in first.nodes.values():
            node.state = 'absent'
        again = self.run_schedule(cluster_data(count=2), first, seed=9)
        self.assertEqual(
            {'tk0': 'present', 'tk1': 'present', 'tk2': 'absent'},
            {name: node.state for name, node in again.nodes.items()})
        self.assertEqual(first.nodes['tk1'].nics,
                         again.nodes['tk1'].nics)

    def test_absent_node_refitted_when_taken_back(self):
        first = self.run_schedule(cluster_data(count=1))
        first.nodes['tk0'].state = 'absent'
        data = cluster_data(count=1)
        data['node_types']['small']['physical_networks'] = ['physnet1']
        again = self.run_schedule(data, first, seed=9)
        self.assertEqual(['tk0'], sorted(again.nodes))
        self.assertEqual([first.nodes['tk0'].nics[0]],
                         again.nodes['tk0'].nics)

    def test_removed_spec_marks_absent(self):
        first = self.run_schedule(cluster_data(count=2))
        second = self.run_schedule(cluster_data(specs=[]), first)
        self.assertEqual(['absent', 'absent'],
                         [node.state for node in second.nodes.values()])

    def test_hardware_refreshed(self):
        first = self.run_schedule(cluster_data(count=1))
        data = cluster_data(count=1)
        data['node_types']['small']['memory_mb'] = 2048
        data['default_boot_mode'] = 'bios'
        node = self.run_schedule(data, first).nodes['tk0']
        self.assertEqual((2048, 'bios'), (node.memory_mb,
                                          node.boot_mode))
        self.assertEqual(first.nodes['tk0'].nics, node.nics)

    def test_new_physnet_keeps_old_indices(self):
        first = self.run_schedule(cluster_data())
        data = cluster_data()
        data['physnet_mappings']['aaa'] = 'eth3'
        second = self.run_schedule(data, first)
        self.assertEqual({'aaa': 2, 'physnet1': 0, 'physnet2': 1},
                         second.hypervisors['localhost'].physnet_indices)
        self.assertEqual(first.nodes, second.nodes)

    def test_new_physnet_takes_lowest_free_index(self):
        first = self.run_schedule(cluster_data(specs=[]))
        data = cluster_data(specs=[])
        data['physnet_mappings'] = {'physnet2': 'eth2', 'zzz': 'eth3'}
        second = self.run_schedule(data, first)
        self.assertEqual({'physnet2': 1, 'zzz': 0},
                         second.hypervisors['localhost'].physnet_indices)


class TestRefit(ScheduleTestCase):
    """A node type edited under kept nodes: only the difference changes."""

    def edited(self, physnets, volumes):
        data = cluster_data()
        data['node_types']['small'].update(
            physical_networks=physnets,
            volumes=[{'capacity': c} for c in volumes])
        data['physnet_mappings']['physnet3'] = 'eth3'
        return data

    def test_physnet_added_keeps_existing_nics(self):
        first = self.run_schedule(cluster_data())
        second = self.run_schedule(
            self.edited(['physnet1', 'physnet3', 'physnet2'],
                        ['1GiB', '2GiB']), first, seed=2)
        for name, node in first.nodes.items():
            nics = second.nodes[name].nics
            self.assertEqual(['physnet1', 'physnet3', 'physnet2'],
                             [nic.physnet for nic in nics])
            self.assertEqual(node.nics[0], nics[0])
            self.assertEqual(node.nics[1], nics[2])
            self.assertNotIn(nics[1].mac,
                             {nic.mac for nic in node.nics})

    def test_physnet_removed_drops_only_its_nic(self):
        first = self.run_schedule(cluster_data())
        second = self.run_schedule(
            self.edited(['physnet2'], ['1GiB', '2GiB']), first)
        for name, node in first.nodes.items():
            self.assertEqual([node.nics[1]], second.nodes[name].nics)

    def test_volumes_resized_added_removed(self):
        first = self.run_schedule(cluster_data())
        grown = self.run_schedule(
            self.edited(['physnet1', 'physnet2'], ['3GiB', '2GiB', '1GiB']),
            first)
        volumes = grown.nodes['tk0'].volumes
        self.assertEqual(
            [('tk0vol0', 3 * 2 ** 30), ('tk0vol1', 2 * 2 ** 30),
             ('tk0vol2', 2 ** 30)],
            [(v.name, v.capacity) for v in volumes])
        shrunk = self.run_schedule(
            self.edited(['physnet1', 'physnet2'], ['1GiB']), grown)
        self.assertEqual([('tk0vol0', 2 ** 30)],
                         [(v.name, v.capacity)
                          for v in shrunk.nodes['tk0'].volumes])

    def test_unmapped_physnet_for_kept_node_is_an_error(self):
        first = self.run_schedule(cluster_data())
        data = self.edited(['physnet4'], ['1GiB'])
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data, first)
        self.assertIn('physnet4', str(err))


class TestScheduleErrors(ScheduleTestCase):

    def test_unmapped_physnet(self):
        data = cluster_data()
        data['node_types']['small']['physical_networks'].append('physnet9')
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data)
        self.assertEqual(
            "cluster.yaml: specs: node type 'small' uses physical "
            "network(s) physnet9, which physnet_mappings does not map on "
            "any hypervisor.", str(err))

    def test_port_range_too_small(self):
        data = cluster_data(count=3, ipmi_port_range_end=6231)
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data)
        self.assertEqual(
            'cluster.yaml: no free IPMI port left for a node of spec '
            'small/tk/1: ports 6230-6231 are all taken; widen '
            'ipmi_port_range_start/end.', str(err))

    def test_port_range_exactly_full(self):
        data = cluster_data(count=2, ipmi_port_range_end=6231)
        nodes = self.run_schedule(data).nodes
        self.assertEqual([6230, 6231],
                         sorted(n.bmc.port for n in nodes.values()))


def two_hypervisors(small=4, big=3):
    data = cluster_data(count=small)
    data['node_types']['small']['physical_networks'] = ['physnet1']
    data['node_types']['big'] = {'memory_mb': 2048, 'vcpus': 2,
                                 'physical_networks': ['physnet2']}
    data['specs'].append({'type': 'big', 'count': big})
    data['hypervisors'] = {
        'hv1': {'address': '203.0.113.11',
                'physnet_mappings': {'physnet1': 'eth1', 'physnet2': 'eth2'}},
        'hv2': {'address': '203.0.113.12',
                'physnet_mappings': {'physnet1': 'eth1'}},
    }
    return data


class TestTwoHypervisors(ScheduleTestCase):

    def test_round_robin_and_physnet_constraint(self):
        nodes = self.run_schedule(two_hypervisors()).nodes
        small = [nodes['tk%d' % i].hypervisor for i in range(4)]
        self.assertEqual(['hv1', 'hv2', 'hv1', 'hv2'], small)
        big = [node.hypervisor for node in nodes.values()
               if node.type == 'big']
        self.assertEqual(['hv1'] * 3, big)

    def test_ports_per_hypervisor(self):
        nodes = self.run_schedule(two_hypervisors()).nodes
        by_hv = {}
        for node in nodes.values():
            by_hv.setdefault(node.hypervisor, []).append(
                node.bmc.port)
        self.assertEqual([6230, 6231, 6232, 6233, 6234], sorted(by_hv['hv1']))
        self.assertEqual([6230, 6231], sorted(by_hv['hv2']))

    def test_absent_node_its_hypervisor_cannot_hold_stays_absent(self):
        first = self.run_schedule(two_hypervisors(small=2, big=0))
        self.assertEqual('hv2', first.nodes['tk1'].hypervisor)
        for node in first.nodes.values():
            node.state = 'absent'
        data = two_hypervisors(small=2, big=0)
        data['hypervisors']['hv2']['physnet_mappings'] = {'physnet2': 'eth2'}
        again = self.run_schedule(data, first, seed=9)
        self.assertEqual(
            {'tk0': 'present', 'tk1': 'absent', 'tk2': 'present'},
            {name: node.state for name, node in again.nodes.items()})
        self.assertEqual(first.nodes['tk0'].nics,
                         again.nodes['tk0'].nics)
        self.assertEqual('hv1', again.nodes['tk2'].hypervisor)

    def test_physnet_indices_per_hypervisor(self):
        result = self.run_schedule(two_hypervisors())
        self.assertEqual({'physnet1': 0, 'physnet2': 1},
                         result.hypervisors['hv1'].physnet_indices)
        self.assertEqual({'physnet1': 0},
                         result.hypervisors['hv2'].physnet_indices)

    def test_how_to_reach_each_recorded(self):
        data = two_hypervisors()
        data['hypervisors']['hv1'].update(ssh_user='stack', ssh_port=2222)
        data['hypervisors']['localhost'] = {
            'address': '127.0.0.1', 'physnet_mappings': {'physnet1': 'eth1'}}
        recorded = self.run_schedule(data).hypervisors
        self.assertIsNone(recorded['localhost'].ssh)
        self.assertEqual({'address': '203.0.113.11', 'user': 'stack',
                          'port': 2222, 'key': self.conf.ssh.key_file},
                         recorded['hv1'].ssh.to_dict())

    def test_bmc_endpoints_unique(self):
        nodes = self.run_schedule(two_hypervisors(big=0)).nodes
        endpoints = [(n.bmc.address, n.bmc.port)
                     for n in nodes.values()]
        self.assertEqual(len(endpoints), len(set(endpoints)))

    def test_no_hypervisor_maps_physnet(self):
        data = two_hypervisors()
        data['node_types']['big']['physical_networks'] = ['physnet3']
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data)
        self.assertIn("node type 'big' uses physical network(s) physnet3",
                      str(err))


class TestLongNames(ScheduleTestCase):

    PREFIX = 'averyverylongnode'

    def data(self, count=3):
        data = cluster_data(count=count)
        data['specs'][0]['node_name_prefix'] = self.PREFIX
        return data

    def test_hashed_veth_names(self):
        nodes = self.run_schedule(self.data()).nodes
        name = self.PREFIX + '1'
        digest = hashlib.sha1(('%s/0' % name).encode()).hexdigest()
        self.assertEqual(
            ['tk%s-0b' % digest[:10], 'tk%s-1b' % digest[:10]],
            [nic.veth_bridge for nic in nodes[name].nics])
        self.assertEqual(
            ['tk%s-0n' % digest[:10], 'tk%s-1n' % digest[:10]],
            [nic.veth_node for nic in nodes[name].nics])
        links = [link for node in nodes.values() for nic in node.nics
                 for link in nic.links]
        self.assertEqual(12, len(set(links)))
        for link in links:
            self.assertLessEqual(len(link), 15)
            self.assertRegex(link, r'^tk[0-9a-f]{10}-[01][bn]$')

    def test_hashed_names_stable_between_runs(self):
        def links(result):
            return {name: [(nic.veth_bridge, nic.veth_node)
                           for nic in node.nics]
                    for name, node in result.nodes.items()}

        first = self.run_schedule(self.data(), seed=1)
        second = self.run_schedule(self.data(), seed=99)
        self.assertEqual(links(first), links(second))
        grown = self.run_schedule(self.data(count=4), first, seed=3)
        self.assertEqual(links(first),
                         {name: value for name, value in links(grown).items()
                          if name in first.nodes})

    def test_hash_collision_gets_salted_name(self):
        first = self.run_schedule(self.data(count=1))
        node = first.nodes[self.PREFIX + '0']
        # Pretend another node already owns this node's names.
        taken = [nic.to_dict() for nic in node.nics]
        first.nodes['other'] = records.Node.from_dict({
            'name': 'other', 'uuid': 'u', 'spec': 'gone',
            'hypervisor': 'localhost',
            'bmc': {'driver': 'ipmi', 'address': '127.0.0.1', 'port': 6239},
            'nics': taken, 'volumes': [], 'state': 'present'})
        del first.nodes[self.PREFIX + '0']
        again = self.run_schedule(self.data(count=1), first)
        new = again.nodes[self.PREFIX + '0']
        salted = hashlib.sha1(
            ('%s/1' % (self.PREFIX + '0')).encode()).hexdigest()[:10]
        self.assertEqual(['tk%s-0b' % salted, 'tk%s-1b' % salted],
                         [nic.veth_bridge for nic in new.nics])
        self.assertTrue(all(re.match(r'^tk[0-9a-f]{10}-\d[bn]$', link)
                            for nic in new.nics for link in nic.links))


class TestRoundRobinScheduler(testtools.TestCase):

    def test_turns(self):
        scheduler = schedule.RoundRobinScheduler()
        picks = [scheduler.choose(None, ['a', 'b', 'c']) for _ in range(5)]
        self.assertEqual(['a', 'b', 'c', 'a', 'b'], picks)
        self.assertEqual('x', scheduler.choose(None, ['x']))


class TestRedfishNodes(ScheduleTestCase):

    def test_redfish_nodes_share_the_emulator_and_take_no_ipmi_port(self):
        data = {
            'node_types': {
                'ipmi': {'memory_mb': 256, 'vcpus': 1,
                         'physical_networks': ['physnet1']},
                'rf': {'memory_mb': 256, 'vcpus': 1,
                       'physical_networks': ['physnet1'],
                       'ironic_driver': 'redfish'}},
            'specs': [{'type': 'rf', 'count': 2},
                      {'type': 'ipmi', 'count': 1}],
            'physnet_mappings': {'physnet1': 'eth1'},
            'ipmi_port_range_start': 6230, 'ipmi_port_range_end': 6230,
            'redfish_port': 8443}
        nodes = self.run_schedule(data).nodes
        self.assertEqual(
            {'tk0': {'driver': 'redfish', 'address': '127.0.0.1',
                     'port': 8443},
             'tk1': {'driver': 'redfish', 'address': '127.0.0.1',
                     'port': 8443},
             'tk2': {'driver': 'ipmi', 'address': '127.0.0.1',
                     'port': 6230}},
            {name: node.bmc.to_dict() for name, node in nodes.items()})

    def test_node_moved_between_bmc_kinds_keeps_the_rest(self):
        data = cluster_data(count=2)
        first = self.run_schedule(data)
        data['node_types']['small']['ironic_driver'] = 'redfish'
        data['redfish_port'] = 8443
        moved = self.run_schedule(data, first, seed=3)
        for name, node in moved.nodes.items():
            self.assertEqual({'driver': 'redfish', 'address': '127.0.0.1',
                              'port': 8443}, node.bmc.to_dict())
            self.assertEqual(first.nodes[name].nics, node.nics)
            self.assertEqual(first.nodes[name].uuid, node.uuid)
        data['node_types']['small']['ironic_driver'] = 'ipmi'
        back = self.run_schedule(data, moved, seed=4)
        self.assertEqual([6230, 6231], sorted(
            node.bmc.port for node in back.nodes.values()))
        self.assertEqual(back, self.run_schedule(data, back, seed=5))
