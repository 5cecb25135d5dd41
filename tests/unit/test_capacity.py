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

"""The capacity scheduler, its facts, and how a run uses them."""

import os
import random
import types
from unittest import mock

import fixtures
import libvirt
from stevedore import driver
import testtools

from tenks import conf as tenks_conf
from tenks import config
from tenks import contracts
from tenks import deploy
from tenks import exception
from tenks import plan
from tenks.providers import libvirt as libvirt_provider
from tenks.providers import libvirt_facts
from tenks import records
from tenks import schedule
from tenks import schedulers
from tenks import state
from tests.unit import fakes

GIB = 1024 ** 3


def cluster_data(small=1, big=0, hypervisors=None):
    """hv1 maps both physnets, hv2 only physnet1."""
    return {
        'node_types': {
            'small': {'memory_mb': 1024, 'vcpus': 1,
                      'volumes': [{'capacity': '1GiB'}],
                      'physical_networks': ['physnet1']},
            'big': {'memory_mb': 4096, 'vcpus': 4,
                    'volumes': [{'capacity': '10GiB'}],
                    'physical_networks': ['physnet1', 'physnet2']},
        },
        'specs': [{'type': 'small', 'count': small},
                  {'type': 'big', 'count': big}],
        'ipmi_port_range_start': 6230,
        'ipmi_port_range_end': 6239,
        'hypervisors': hypervisors or {
            'hv1': {'address': '203.0.113.11',
                    'physnet_mappings': {'physnet1': 'eth1',
                                         'physnet2': 'eth2'}},
            'hv2': {'address': '203.0.113.12',
                    'physnet_mappings': {'physnet1': 'eth1'}},
        },
    }


def host(memory_mb=8192, domains=None, disk=100 * GIB, source='pool tenks'):
    """Facts as capacity_facts gives them."""
    domains = domains or {}
    return {'memory_mb': memory_mb, 'cpus': 4, 'domains': domains,
            'committed_mb': sum(domains.values()), 'disk_free': disk,
            'disk_source': source}


class CapacityTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = tenks_conf.load()

    def cluster(self, data):
        return config.parse(data, self.conf, source='cluster.yaml')

    def run_schedule(self, data, facts, previous=None):
        return schedule.schedule(
            self.cluster(data), previous or state.empty('/tmp/state.json'),
            schedulers.CapacityScheduler(self.conf, facts), random.Random(1))

    def where(self, result):
        return {name: node.hypervisor
                for name, node in result.nodes.items()
                if node.state == records.PRESENT}

    def assertNowhere(self, expected, data, facts, previous=None):
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data, facts, previous)
        self.assertEqual(expected, str(err))


class TestBestFit(CapacityTestCase):

    def test_most_memory_left_then_name(self):
        facts = {'hv1': host(domains={'other': 4096}), 'hv2': host()}
        result = self.run_schedule(cluster_data(small=5), facts)
        # hv2 has more left until both have 4096 MiB; then hv1 by name.
        self.assertEqual({'tk0': 'hv2', 'tk1': 'hv2', 'tk2': 'hv2',
                          'tk3': 'hv2', 'tk4': 'hv1'}, self.where(result))

    def test_explanation(self):
        facts = {'hv1': host(domains={'other': 4096}), 'hv2': host()}
        nodes = self.run_schedule(cluster_data(small=1), facts).nodes
        self.assertEqual('hv2: most memory left (7168 MiB left after); '
                         'hv1: 3072 MiB left after',
                         nodes['tk0'].outcome.placement)

    def test_explanation_names_refused_and_full_hypervisors(self):
        facts = {'hv1': host(), 'hv2': host()}
        data = cluster_data(small=0, big=1)
        data['hypervisors']['hv3'] = {
            'address': '203.0.113.13',
            'physnet_mappings': {'physnet1': 'eth1', 'physnet2': 'eth2'}}
        facts['hv3'] = host(memory_mb=2048)
        nodes = self.run_schedule(data, facts).nodes
        self.assertEqual(
            'hv1: the only one it fits (4096 MiB left after); '
            'hv2: lacks physnet2; '
            'hv3: has 2048 MiB left (1 x 2048 MiB, 0 MiB committed)',
            nodes['tk0'].outcome.placement)

    def test_only_hypervisor(self):
        data = cluster_data(hypervisors={'hv1': {
            'address': 'localhost',
            'physnet_mappings': {'physnet1': 'eth1'}}})
        nodes = self.run_schedule(data, {'hv1': host()}).nodes
        self.assertEqual('hv1: the only hypervisor (7168 MiB left after)',
                         nodes['tk0'].outcome.placement)

    def test_unknown_disk_is_said(self):
        reason = 'unknown: pool tenks is not active on this remote hypervisor'
        facts = {'hv1': host(memory_mb=1024), 'hv2': host(disk=None,
                                                          source=reason)}
        nodes = self.run_schedule(cluster_data(), facts).nodes
        self.assertEqual(
            'hv2: most memory left (7168 MiB left after, free disk unknown: '
            'pool tenks is not active on this remote hypervisor); '
            'hv1: 0 MiB left after', nodes['tk0'].outcome.placement)

    def test_without_facts_only_capacity_limits(self):
        data = cluster_data(small=3)
        data['hypervisors']['hv2']['capacity'] = {'memory_mb': 1024}
        result = self.run_schedule(data, None)
        self.assertEqual({'tk0': 'hv1', 'tk1': 'hv1', 'tk2': 'hv1'},
                         self.where(result))
        self.assertEqual('hv1: most memory left (memory not limited); '
                         'hv2: 0 MiB left after',
                         result.nodes['tk0'].outcome.placement)


class TestMemory(CapacityTestCase):

    def one_host(self, **capacity):
        entry = {'address': '203.0.113.11',
                 'physnet_mappings': {'physnet1': 'eth1'}}
        if capacity:
            entry['capacity'] = capacity
        return {'hv1': entry}

    def test_overcommit_ratio_respected(self):
        data = cluster_data(small=2, hypervisors=self.one_host())
        facts = {'hv1': host(memory_mb=4096, domains={'other': 3072})}
        self.assertNowhere(
            "cluster.yaml: no hypervisor can take a new node of spec "
            "small/tk/1: node type 'small' needs 1024 MiB, 1 vCPU, 1.0 GiB "
            "disk; hv1 has 0 MiB left (1 x 4096 MiB, 4096 MiB committed).",
            data, facts)

    def test_overcommit_ratio_above_one(self):
        self.conf.set_override('memory_overcommit_ratio', 1.5)
        data = cluster_data(small=3, hypervisors=self.one_host())
        facts = {'hv1': host(memory_mb=4096, domains={'other': 3072})}
        result = self.run_schedule(data, facts)
        self.assertEqual(3, len(self.where(result)))
        self.assertEqual('hv1: the only hypervisor (0 MiB left after)',
                         result.nodes['tk2'].outcome.placement)
        data['specs'][0]['count'] = 4
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data, facts, result)
        self.assertIn('hv1 has 0 MiB left (1.5 x 4096 MiB, 6144 MiB '
                      'committed)', str(err))

    def test_capacity_memory_limit(self):
        data = cluster_data(small=5)
        data['hypervisors']['hv2']['capacity'] = {'memory_mb': 3072}
        facts = {'hv1': host(domains={'other': 6144}),
                 'hv2': host(memory_mb=65536)}
        data['specs'][0]['count'] = 4
        result = self.run_schedule(data, facts)
        self.assertEqual({'tk0': 'hv2', 'tk1': 'hv1', 'tk2': 'hv2',
                          'tk3': 'hv1'}, self.where(result))
        data['specs'][0]['count'] = 6
        self.assertNowhere(
            "cluster.yaml: no hypervisor can take a new node of spec "
            "small/tk/1: node type 'small' needs 1024 MiB, 1 vCPU, 1.0 GiB "
            "disk; hv1 has 0 MiB left (1 x 8192 MiB, 8192 MiB committed); "
            "hv2 has 0 MiB left of capacity.memory_mb 3072.",
            data, facts, result)

    def test_capacity_vcpus_limit(self):
        data = cluster_data(small=3)
        data['hypervisors']['hv1']['capacity'] = {'vcpus': 1}
        data['hypervisors']['hv2']['capacity'] = {'vcpus': 1}
        facts = {'hv1': host(), 'hv2': host()}
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data, facts)
        self.assertIn('hv1 has 0 vCPUs left of capacity.vcpus 1; '
                      'hv2 has 0 vCPUs left of capacity.vcpus 1.', str(err))

    def test_removed_nodes_free_their_memory(self):
        data = cluster_data(small=3, hypervisors=self.one_host())
        first = self.run_schedule(data, {'hv1': host(memory_mb=5120)})
        # All three domains exist now and fill most of the host.
        facts = {'hv1': host(memory_mb=5120, domains={
            'tk0': 1024, 'tk1': 1024, 'tk2': 1024})}
        data['specs'][0]['count'] = 1
        data['node_types']['big']['physical_networks'] = ['physnet1']
        data['specs'][1]['count'] = 1
        result = self.run_schedule(data, facts, first)
        self.assertEqual({'tk0': 'hv1', 'tk3': 'hv1'}, self.where(result))
        self.assertEqual('big', result.nodes['tk3'].type)
        self.assertEqual('absent', result.nodes['tk2'].state)
        self.assertEqual('hv1: the only hypervisor (0 MiB left after)',
                         result.nodes['tk3'].outcome.placement)

    def test_kept_nodes_count_as_edited(self):
        data = cluster_data(small=1, hypervisors=self.one_host())
        first = self.run_schedule(data, {'hv1': host(memory_mb=4096)})
        data['node_types']['small']['memory_mb'] = 2048
        data['specs'][0]['count'] = 2
        # The domain still has its old 1024 MiB: it counts as 2048.
        facts = {'hv1': host(memory_mb=4096, domains={'tk0': 1024})}
        result = self.run_schedule(data, facts, first)
        self.assertEqual('hv1: the only hypervisor (0 MiB left after)',
                         result.nodes['tk1'].outcome.placement)
        data['specs'][0]['count'] = 3
        self.assertNowhere(
            "cluster.yaml: no hypervisor can take a new node of spec "
            "small/tk/1: node type 'small' needs 2048 MiB, 1 vCPU, 1.0 GiB "
            "disk; hv1 has 0 MiB left (1 x 4096 MiB, 4096 MiB committed).",
            data, facts, first)

    def test_nodes_not_created_yet_count(self):
        data = cluster_data(small=2, hypervisors=self.one_host())
        first = self.run_schedule(data, {'hv1': host(memory_mb=4096)})
        # A run was killed before making the domains: they count anyway.
        data['specs'][0]['count'] = 5
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data, {'hv1': host(memory_mb=4096)}, first)
        self.assertIn('hv1 has 0 MiB left (1 x 4096 MiB, 4096 MiB '
                      'committed)', str(err))


class TestDisk(CapacityTestCase):

    def setUp(self):
        super().setUp()
        # Full sizes counted: what the figures below are worked out for.
        self.conf.set_override('disk_overcommit_ratio', 1.0)

    def test_free_disk_less_new_volumes(self):
        data = cluster_data(small=2)
        facts = {'hv1': host(disk=GIB + GIB // 2),
                 'hv2': host(memory_mb=4096, disk=GIB)}
        result = self.run_schedule(data, facts)
        # tk1 would have gone to hv1, with more memory, but tk0 takes
        # most of its disk.
        self.assertEqual({'tk0': 'hv1', 'tk1': 'hv2'}, self.where(result))
        self.assertEqual(
            'hv2: the only one it fits (3072 MiB left after); '
            'hv1: has 0.5 GiB disk left (1 x 1.5 GiB free in pool tenks, '
            'less 1.0 GiB of new volumes)',
            result.nodes['tk1'].outcome.placement)

    def test_fits_nowhere_for_disk(self):
        facts = {'hv1': host(disk=GIB // 2), 'hv2': host(disk=0)}
        self.assertNowhere(
            "cluster.yaml: no hypervisor can take a new node of spec "
            "small/tk/1: node type 'small' needs 1024 MiB, 1 vCPU, 1.0 GiB "
            "disk; hv1 has 0.5 GiB disk left (1 x 0.5 GiB free in pool "
            "tenks); hv2 has 0.0 GiB disk left (1 x 0.0 GiB free in pool "
            "tenks).",
            cluster_data(), facts)

    def test_thin_volumes_overcommit_free_disk(self):
        # The bug: a hundred 1 GiB volumes were refused on a disk with 77 GB
        # free, though each writes almost nothing until used.
        self.conf.set_override('disk_overcommit_ratio', 2.0)
        data = cluster_data(small=100)
        data['node_types']['small']['memory_mb'] = 16
        data['hypervisors'] = {'hv1': data['hypervisors']['hv1']}
        data['ipmi_port_range_end'] = data.get(
            'ipmi_port_range_start', 6230) + 99
        result = self.run_schedule(data, {'hv1': host(
            memory_mb=64 * 1024, disk=77 * 1000 ** 3)})
        self.assertEqual(100, len(result.nodes))

    def test_overcommitted_disk_still_refuses(self):
        self.conf.set_override('disk_overcommit_ratio', 2.0)
        data = cluster_data(small=4)
        data['node_types']['small']['volumes'] = [{'capacity': '10GiB'}]
        data['hypervisors'] = {'hv1': data['hypervisors']['hv1']}
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data, {'hv1': host(disk=15 * GIB)})
        self.assertIn(
            "small/tk/1: node type 'small' needs 1024 MiB, 1 vCPU, 10.0 GiB "
            "disk; hv1 has 0.0 GiB disk left (2 x 15.0 GiB free in pool "
            "tenks, less 30.0 GiB of new volumes).", str(err))

    def test_capacity_disk_limit(self):
        data = cluster_data(small=3)
        data['hypervisors']['hv1']['capacity'] = {'disk': '2GiB'}
        data['hypervisors']['hv2']['capacity'] = {'disk': '1GB'}
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data, {'hv1': host(), 'hv2': host()})
        self.assertIn(
            "hv1 has 0.0 GiB disk left of capacity.disk 2.0 GiB; "
            "hv2 has 0.9 GiB disk left of capacity.disk 0.9 GiB.", str(err))


class TestErrors(CapacityTestCase):

    def test_shortfall_per_hypervisor(self):
        data = cluster_data(small=0, big=1)
        facts = {'hv1': host(memory_mb=2048, domains={'other': 1024}),
                 'hv2': host()}
        self.assertNowhere(
            "cluster.yaml: no hypervisor can take a new node of spec "
            "big/tk/1: node type 'big' needs 4096 MiB, 4 vCPUs, 10.0 GiB "
            "disk; hv1 has 1024 MiB left (1 x 2048 MiB, 1024 MiB "
            "committed); hv2 lacks physnet2.", data, facts)

    def test_no_free_port(self):
        data = cluster_data(small=2)
        data['ipmi_port_range_end'] = 6230
        facts = {'hv1': host(), 'hv2': host(4096)}
        result = self.run_schedule(data, facts)
        self.assertEqual({'tk0': 'hv1', 'tk1': 'hv2'}, self.where(result))
        self.assertEqual('hv2: the only one it fits (3072 MiB left after); '
                         'hv1: has no free IPMI port',
                         result.nodes['tk1'].outcome.placement)
        # The existing message stays when no hypervisor has a port.
        data['specs'][0]['count'] = 3
        err = self.assertRaises(exception.ScheduleError, self.run_schedule,
                                data, facts)
        self.assertIn('no free IPMI port left', str(err))

    def test_error_before_any_change(self):
        previous = self.run_schedule(cluster_data(small=1),
                                     {'hv1': host(), 'hv2': host()})
        snapshot = repr(previous)
        self.assertRaises(exception.ScheduleError, self.run_schedule,
                          cluster_data(small=9),
                          {'hv1': host(2048), 'hv2': host(2048)}, previous)
        self.assertEqual(snapshot, repr(previous))


class TestExistingNodes(CapacityTestCase):

    def test_never_move(self):
        facts = {'hv1': host(), 'hv2': host(memory_mb=2048)}
        first = self.run_schedule(cluster_data(small=2), facts)
        self.assertEqual({'tk0': 'hv1', 'tk1': 'hv1'}, self.where(first))
        # hv1 is now overfull and hv2 roomy: only the new node goes there.
        facts = {'hv1': host(memory_mb=1024, domains={'tk0': 1024,
                                                      'tk1': 1024}),
                 'hv2': host(memory_mb=65536)}
        second = self.run_schedule(cluster_data(small=3), facts, first)
        self.assertEqual({'tk0': 'hv1', 'tk1': 'hv1', 'tk2': 'hv2'},
                         self.where(second))
        for name in ('tk0', 'tk1'):
            self.assertEqual(first.nodes[name], second.nodes[name])

    def test_no_new_nodes_needs_no_room(self):
        first = self.run_schedule(cluster_data(small=2),
                                  {'hv1': host(), 'hv2': host()})
        again = self.run_schedule(cluster_data(small=2),
                                  {'hv1': host(0), 'hv2': host(0)}, first)
        self.assertEqual(first, again)


class TestRoundRobin(CapacityTestCase):

    def test_still_placed_in_turn_with_explanation(self):
        result = schedule.schedule(
            self.cluster(cluster_data(small=3)),
            state.empty('/tmp/state.json'),
            schedule.RoundRobinScheduler(self.conf, None), random.Random(1))
        self.assertEqual({'tk0': 'hv1', 'tk1': 'hv2', 'tk2': 'hv1'},
                         self.where(result))
        self.assertEqual('hv2: next in turn (round robin)',
                         result.nodes['tk1'].outcome.placement)
        self.assertFalse(schedule.RoundRobinScheduler.needs_facts)

    def test_choose_only_plugin_still_works(self):
        class Old(contracts.Scheduler):
            def choose(self, node_type, candidates):
                return candidates[-1]

        result = schedule.schedule(
            self.cluster(cluster_data(small=1)),
            state.empty('/tmp/state.json'), Old(), random.Random(1))
        self.assertEqual({'tk0': 'hv2'}, self.where(result))
        self.assertEqual('', result.nodes['tk0'].outcome.placement)


class TestNewNodeCount(CapacityTestCase):

    def test_counts_against_present_nodes(self):
        cluster = self.cluster(cluster_data(small=2))
        empty = state.empty('/tmp/state.json')
        self.assertEqual(2, schedule.new_node_count(cluster, empty))
        first = self.run_schedule(cluster_data(small=2),
                                  {'hv1': host(), 'hv2': host()})
        self.assertEqual(0, schedule.new_node_count(cluster, first))
        fewer = self.run_schedule(cluster_data(small=1), None, first)
        # The node being removed comes back rather than a new one.
        self.assertEqual(0, schedule.new_node_count(cluster, fewer))
        for name in [n for n, node in fewer.nodes.items()
                     if not node.is_present]:
            del fewer.nodes[name]
        self.assertEqual(1, schedule.new_node_count(cluster, fewer))
        more = self.cluster(cluster_data(small=3, big=1))
        self.assertEqual(2, schedule.new_node_count(more, first))


class TestConfig(CapacityTestCase):

    def test_capacity_parsed(self):
        data = cluster_data()
        data['hypervisors']['hv1']['capacity'] = {
            'memory_mb': 4096, 'vcpus': 8, 'disk': '10GiB'}
        hv1, hv2 = self.cluster(data).hypervisors
        self.assertEqual((4096, 8, 10 * GIB), (
            hv1.capacity.memory_mb, hv1.capacity.vcpus, hv1.capacity.disk))
        self.assertEqual((None, None, None), (
            hv2.capacity.memory_mb, hv2.capacity.vcpus, hv2.capacity.disk))

    def check_error(self, capacity, expected):
        data = cluster_data()
        data['hypervisors']['hv1']['capacity'] = capacity
        err = self.assertRaises(exception.ConfigError, self.cluster, data)
        self.assertEqual(expected, str(err))

    def test_unknown_key(self):
        self.check_error({'memory': 1}, "cluster.yaml: hypervisors.hv1."
                         "capacity.memory: unknown key; did you mean "
                         "'memory_mb'?")

    def test_bad_values(self):
        self.check_error({'disk': 'lots'},
                         "cluster.yaml: hypervisors.hv1.capacity.disk: "
                         "'lots' is not a capacity such as 10GiB or 5GB")
        self.check_error({'memory_mb': 0},
                         'cluster.yaml: hypervisors.hv1.capacity.memory_mb: '
                         '0 must be at least 1')
        self.check_error({'vcpus': 'many'},
                         "cluster.yaml: hypervisors.hv1.capacity.vcpus: "
                         "'many' is not an integer")
        self.check_error([1], 'cluster.yaml: hypervisors.hv1.capacity: '
                              'must be a mapping, not a list')

    def test_conf_defaults(self):
        self.assertEqual('capacity', self.conf.scheduler)
        self.assertEqual(1.0, self.conf.memory_overcommit_ratio)

    def test_entry_points(self):
        for name, plugin in (('capacity', schedulers.CapacityScheduler),
                             ('round_robin', schedule.RoundRobinScheduler)):
            self.assertIs(plugin, driver.DriverManager(
                'tenks.schedulers', name).driver)


class FakePool:

    def __init__(self, active, available):
        self.active, self.available = active, available

    def isActive(self):
        return self.active

    def info(self):
        return [2, 10 * self.available, 0, self.available]


class FakeDomain:

    def __init__(self, name, kib):
        self._name, self.kib = name, kib

    def name(self):
        return self._name

    def maxMemory(self):
        if self.kib is None:
            err = libvirt.libvirtError('Domain not found')
            err.err = (libvirt.VIR_ERR_NO_DOMAIN, 0, 'Domain not found')
            raise err
        return self.kib

    def XMLDesc(self):
        self.maxMemory()
        return ('<domain type="qemu"><name>%s</name><memory unit="KiB">%d'
                '</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>'
                % (self._name, self.kib))


class FakeConnection:

    def __init__(self, pools=None, domains=()):
        self.pools = pools or {}
        self.domains = domains
        self.closed = False

    def getInfo(self):
        return ['x86_64', 7936, 4, 2400, 1, 1, 4, 1]

    def getCapabilities(self):
        return fakes.capabilities()

    getDomainCapabilities = staticmethod(fakes.domain_capabilities)

    def listAllDomains(self, flags=0):
        return list(self.domains)

    def listStoragePools(self):
        return [name for name, pool in self.pools.items() if pool.active]

    def listDefinedStoragePools(self):
        return [name for name, pool in self.pools.items() if not pool.active]

    def storagePoolLookupByName(self, name):
        return self.pools[name]

    def close(self):
        self.closed = True


class TestCapacityFacts(testtools.TestCase):

    def test_memory_and_pool(self):
        conn = FakeConnection(
            pools={'tenks': FakePool(True, 5 * GIB)},
            domains=[FakeDomain('a', 1048576), FakeDomain('b', 524288),
                     FakeDomain('gone', None)])
        self.assertEqual(
            {'memory_mb': 7936, 'cpus': 4,
             'domains': {'a': 1024, 'b': 512}, 'committed_mb': 1536,
             'disk_free': 5 * GIB, 'disk_source': 'pool tenks'},
            libvirt_facts.capacity_facts(conn, 'tenks', '/srv/pool', False))

    def test_domains_undefined_while_read_are_left_out(self):
        conn = FakeConnection(domains=[FakeDomain('a', 1048576),
                                       FakeDomain('gone', None)])
        ctx = fakes.make_context()
        ctx.hypervisors = fakes.FakeHypervisors(ctx.cluster, connection=conn)
        facts = libvirt_facts.domain_facts(ctx,
                                           ctx.cluster.hypervisors[0])
        self.assertEqual(['a'], [domain['name'] for domain in facts])

    def test_local_without_pool_reads_nearest_parent(self):
        base = self.useFixture(fixtures.TempDir()).path
        conn = FakeConnection(pools={'tenks': FakePool(False, 0)})
        stat = types.SimpleNamespace(f_bavail=10, f_frsize=4096)
        with mock.patch.object(os, 'statvfs', return_value=stat) as statvfs:
            facts = libvirt_facts.capacity_facts(
                conn, 'tenks', os.path.join(base, 'a', 'b', 'pool'), True)
        statvfs.assert_called_once_with(base)
        self.assertEqual((40960, 'file system of %s' % base),
                         (facts['disk_free'], facts['disk_source']))

    def test_remote_without_pool_is_unknown(self):
        facts = libvirt_facts.capacity_facts(
            FakeConnection(), 'tenks', '/srv/pool', False)
        self.assertIsNone(facts['disk_free'])
        self.assertEqual('unknown: pool tenks is not active on this remote '
                         'hypervisor', facts['disk_source'])
        self.assertEqual(({}, 0), (facts['domains'], facts['committed_mb']))


class TestSessionFacts(CapacityTestCase):
    """deploy reads hypervisors only for a scheduler that needs it."""

    def schedule_with(self, scheduler, data, previous=None):
        provider = fakes.FakeProvider(lambda: FakeConnection(
            pools={'tenks': FakePool(True, 50 * GIB)}))
        plugins = {'tenks.schedulers': {
            'capacity': schedulers.CapacityScheduler,
            'round_robin': schedule.RoundRobinScheduler}[scheduler],
            'tenks.providers': lambda: provider}
        self.conf.set_override('scheduler', scheduler)
        with mock.patch.object(deploy.plugins, 'load',
                               lambda namespace, name: plugins[namespace]):
            result = deploy._schedule(
                self.conf, self.cluster(data),
                previous or state.empty('/tmp/state.json'))
        return result, provider.connections

    def test_one_closed_connection_per_hypervisor(self):
        data = cluster_data(small=1)
        result, connections = self.schedule_with('capacity', data)
        self.assertEqual([h.libvirt_uri
                          for h in self.cluster(data).hypervisors],
                         [uri for uri, _ in connections])
        self.assertTrue(all(conn.closed for _, conn in connections))
        self.assertEqual('hv1: most memory left (6912 MiB left after); '
                         'hv2: 6912 MiB left after',
                         result.nodes['tk0'].outcome.placement)

    def test_no_facts_without_new_nodes(self):
        first, _ = self.schedule_with('capacity', cluster_data(small=2))
        second, connections = self.schedule_with(
            'capacity', cluster_data(small=1), first)
        self.assertEqual([], connections)
        self.assertEqual('absent', second.nodes['tk1'].state)

    def test_no_facts_for_round_robin(self):
        _, connections = self.schedule_with('round_robin',
                                            cluster_data(small=2))
        self.assertEqual([], connections)


class TestPlanReason(CapacityTestCase):

    def test_domain_create_gives_placement(self):
        result = self.run_schedule(cluster_data(small=2),
                                   {'hv1': host(), 'hv2': host(4096)})
        cluster = self.cluster(cluster_data(small=2))
        hv1 = cluster.hypervisors[0]
        ctx = fakes.FakeContext(cluster, result, fakes.FakeHypervisors(
            cluster, connection=FakeConnection()))
        ctx.facts.cached(('engine', hv1.name), lambda: 'qemu', keep=True)
        actions = libvirt_provider.Domains().plan(ctx, hv1)
        self.assertEqual(
            [(plan.CREATE, 'tk0', 'hv1: most memory left (7168 MiB left '
              'after); hv2: 3072 MiB left after'),
             (plan.CREATE, 'tk1', 'hv1: most memory left (6144 MiB left '
              'after); hv2: 3072 MiB left after')],
            [(a.verb, a.name, a.reason) for a in actions])
        self.assertIn('(hv1: most memory left', actions[0].describe())

    def test_other_actions_keep_their_reason(self):
        action = plan.Action('domain', plan.UPDATE, 'tk0', 'hv1',
                             'changed: memory_mb')
        nodes = {'tk0': records.Node.from_dict({
            'name': 'tk0', 'uuid': 'u', 'spec': 's', 'hypervisor': 'hv1',
            'volumes': [], 'nics': [], 'ironic_uuid': None,
            'bmc': {'driver': 'ipmi', 'address': '127.0.0.1', 'port': 6230},
            'placement': 'hv1: the only hypervisor'})}
        self.assertIs(action,
                      libvirt_provider._placement_reason(action, nodes))
        create = plan.Action('domain', plan.CREATE, 'x', 'hv1')
        self.assertIs(create,
                      libvirt_provider._placement_reason(create, nodes))
