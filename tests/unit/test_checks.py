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
import os
from unittest import mock

import fixtures
import testtools

from tenks import checks
from tenks import exception
from tenks import hypervisors
from tenks.ironic import fields
from tenks.network import dhcp
from tenks.network import facts as net_facts
from tenks import records
from tenks import state
from tenks import verify

CLUSTER = 'c0ffee00'
UUID = '5a0e8a70-8f6f-4c36-9d0a-3c6f1a0d2e11'
IRONIC_UUID = '0d7a2f0e-6b1f-4a55-9c39-111111111111'
MAC0 = '52:54:00:00:00:01'
MAC1 = '52:54:00:00:00:02'
NODE = records.Node.from_dict({
    'name': 'tk0', 'uuid': UUID, 'hypervisor': 'localhost', 'spec': 'small',
    'memory_mb': 256, 'vcpus': 1, 'boot_mode': 'bios',
    'ironic_driver': 'ipmi', 'ironic_uuid': IRONIC_UUID,
    'volumes': [{'name': 'tk0vol0', 'capacity': 2 ** 30}],
    'nics': [{'physnet': 'physnet1', 'mac': MAC0, 'bridge': 'brtenks0',
              'veth_bridge': 'tk0-0b', 'veth_node': 'tk0-0n'},
             {'physnet': 'physnet2', 'mac': MAC1, 'bridge': 'brtenks1',
              'veth_bridge': 'tk0-1b', 'veth_node': 'tk0-1n'}],
    'bmc': {'driver': 'ipmi', 'address': '127.0.0.1', 'port': 6230},
})
CREDENTIALS = {'ipmi_username': 'tenks', 'ipmi_password': 'secret'}


def domain_facts(**changes):
    facts = {'name': 'tk0', 'uuid': UUID, 'cluster': CLUSTER,
             'memory_mb': 256, 'vcpus': 1, 'boot_mode': 'bios',
             'nics': [(MAC0, 'tk0-0n'), (MAC1, 'tk0-1n')],
             'disks': ['/var/lib/tenks/pool/tk0vol0'], 'console_log': None,
             'arch': 'x86_64'}
    facts.update(changes)
    return facts


def network(**moved):
    """tk0's links, each bridge end on its bridge unless moved says."""
    links = {
        'tk0-0b': net_facts.Link('tk0-0b', 'veth', peer='tk0-0n',
                                 master='ovs-system'),
        'tk0-0n': net_facts.Link('tk0-0n', 'veth', peer='tk0-0b'),
        'brtenks1': net_facts.Link('brtenks1', 'bridge'),
        'other': net_facts.Link('other', 'bridge'),
        'tk0-1b': net_facts.Link('tk0-1b', 'veth', peer='tk0-1n',
                                 master=moved.get('tk0-1b', 'brtenks1')),
        'tk0-1n': net_facts.Link('tk0-1n', 'veth', peer='tk0-1b'),
    }
    ovs = {'brtenks0': net_facts.OVSBridge('brtenks0', ports={
        'tk0-0b': net_facts.OVSPort('tk0-0b')})}
    return net_facts.NetworkFacts(links, ovs, CLUSTER)


def ironic_node(**changes):
    node = {'id': IRONIC_UUID, 'name': 'tk0', 'driver': 'ipmi',
            'driver_info': {'ipmi_address': '127.0.0.1', 'ipmi_port': 6230,
                            'ipmi_username': 'tenks',
                            'ipmi_password': '******'},
            'extra': {fields.MARK: CLUSTER, 'other': 1},
            'is_maintenance': False, 'provision_state': 'manageable',
            'power_state': 'power off', 'last_error': None}
    node.update(changes)
    return node


EXPECTED_NODE = {
    'driver': 'ipmi',
    'driver_info': fields.bmc_info(NODE, CREDENTIALS, None),
    'extra': {fields.MARK: CLUSTER},
}


def wanted_ports():
    return [fields.port_fields(nic, '02:00:00:00:00:0%d' % index,
                               'localhost', CLUSTER)
            for index, nic in enumerate(NODE.nics)]


def ironic_ports():
    return {want['address']: dict(copy.deepcopy(want), node_id=IRONIC_UUID,
                                  id='port-%d' % index)
            for index, want in enumerate(wanted_ports())}


class TestDomain(testtools.TestCase):

    def test_as_recorded(self):
        result = checks.domain(NODE, domain_facts(), CLUSTER)
        self.assertEqual(('tk0', 'domain', checks.PASSED), result[:3])
        self.assertIn('256 MiB', result.detail)

    def test_missing(self):
        result = checks.domain(NODE, None, CLUSTER)
        self.assertFalse(result.ok)
        self.assertIn('no domain tk0 on localhost', result.detail)

    def test_memory_changed(self):
        result = checks.domain(NODE, domain_facts(memory_mb=320), CLUSTER)
        self.assertFalse(result.ok)
        self.assertEqual('memory_mb is 320, recorded 256; '
                         + checks.FIX, result.detail)

    def test_nic_and_disk_and_owner(self):
        result = checks.domain(NODE, domain_facts(
            nics=[[MAC1, 'tk0-0n'], [MAC1, 'tk0-1n']], disks=[],
            cluster='deadbeef'), CLUSTER)
        self.assertFalse(result.ok)
        self.assertIn('not marked as made by this cluster', result.detail)
        self.assertIn('nics is ', result.detail)
        self.assertIn("disks is [], recorded ['tk0vol0']", result.detail)


class TestWiring(testtools.TestCase):

    def test_on_their_bridges(self):
        result = checks.wiring(NODE, network())
        self.assertTrue(result.ok, result.detail)
        self.assertEqual('tk0-0b on brtenks0, tk0-1b on brtenks1',
                         result.detail)

    def test_moved_to_another_bridge(self):
        result = checks.wiring(NODE, network(**{'tk0-1b': 'other'}))
        self.assertFalse(result.ok)
        self.assertEqual('veth tk0-1b is on other, not on bridge brtenks1 '
                         'of physnet2; ' + checks.FIX, result.detail)

    def test_unplugged_and_missing(self):
        net = network(**{'tk0-1b': None})
        del net.links['tk0-0b']
        result = checks.wiring(NODE, net)
        self.assertFalse(result.ok)
        self.assertIn('veth tk0-0b (physnet1) is missing', result.detail)
        self.assertIn('tk0-1b is on no bridge', result.detail)

    def test_wrong_peer(self):
        net = network()
        net.links['tk0-0b'].peer = 'intruder'
        result = checks.wiring(NODE, net)
        self.assertIn('tk0-0b is paired with intruder, not tk0-0n',
                      result.detail)


class TestBMC(testtools.TestCase):

    def test_answers_truthfully(self):
        result = checks.bmc(NODE, 'off', False)
        self.assertTrue(result.ok)
        self.assertEqual('IPMI BMC 127.0.0.1:6230 answers: power off',
                         result.detail)

    def test_no_answer(self):
        result = checks.bmc(NODE, 'no answer in 60 s', False)
        self.assertFalse(result.ok)
        self.assertEqual('IPMI BMC 127.0.0.1:6230: no answer in 60 s; '
                         + checks.FIX, result.detail)

    def test_disagrees_with_domain(self):
        result = checks.bmc(NODE, 'off', True)
        self.assertFalse(result.ok)
        self.assertIn('says power off but the domain is running',
                      result.detail)

    def test_domain_missing_leaves_answer_alone(self):
        self.assertTrue(checks.bmc(NODE, 'on', None).ok)


class TestIronicNode(testtools.TestCase):

    def test_healthy(self):
        result = checks.ironic_node(NODE, EXPECTED_NODE, ironic_node())
        self.assertTrue(result.ok, result.detail)
        self.assertEqual('%s, manageable, power off' % IRONIC_UUID,
                         result.detail)

    def test_missing(self):
        result = checks.ironic_node(NODE, EXPECTED_NODE, None)
        self.assertFalse(result.ok)
        self.assertIn('Ironic has no node named tk0', result.detail)

    def test_other_uuid_and_driver_info(self):
        have = ironic_node(id='other')
        have['driver_info'] = dict(have['driver_info'], ipmi_port=6231)
        result = checks.ironic_node(NODE, EXPECTED_NODE, have)
        self.assertFalse(result.ok)
        self.assertIn('Ironic node tk0 is other, recorded %s' % IRONIC_UUID,
                      result.detail)
        self.assertIn('driver_info differ', result.detail)

    def test_maintenance_and_error(self):
        result = checks.ironic_node(NODE, EXPECTED_NODE, ironic_node(
            is_maintenance=True, maintenance_reason='BMC gone',
            provision_state='clean failed', last_error='boom'))
        self.assertFalse(result.ok)
        self.assertEqual('in maintenance: BMC gone; provision state clean '
                         'failed: boom', result.detail)

    def test_not_ours(self):
        result = checks.ironic_node(NODE, EXPECTED_NODE, ironic_node(
            extra={}, driver='redfish'))
        self.assertIn('driver, extra differ', result.detail)


class TestIronicPorts(testtools.TestCase):

    def test_matching(self):
        result = checks.ironic_ports(NODE, wanted_ports(), ironic_ports())
        self.assertTrue(result.ok, result.detail)
        self.assertEqual('2 port(s) match the NICs', result.detail)

    def test_mac_changed(self):
        ports = ironic_ports()
        port = ports.pop(MAC1)
        ports['52:54:00:aa:bb:cc'] = dict(port, address='52:54:00:aa:bb:cc')
        result = checks.ironic_ports(NODE, wanted_ports(), ports)
        self.assertFalse(result.ok)
        self.assertEqual(
            'no Ironic port has MAC %s of the NIC on physnet2; port(s) '
            '52:54:00:aa:bb:cc match no NIC of the node; %s' % (
                MAC1, checks.FIX), result.detail)

    def test_physnet_link_and_node(self):
        ports = ironic_ports()
        ports[MAC0]['physical_network'] = 'physnet9'
        ports[MAC0]['local_link_connection'] = {}
        ports[MAC1]['node_id'] = 'another'
        result = checks.ironic_ports(NODE, wanted_ports(), ports)
        self.assertIn('port %s: physical_network, local_link_connection '
                      'differ' % MAC0, result.detail)
        self.assertIn('port %s: node differ' % MAC1, result.detail)

    def test_pxe_nic(self):
        ports = ironic_ports()
        self.assertEqual(MAC0, checks.pxe_nic(NODE, ports).mac)
        ports[MAC0]['is_pxe_enabled'] = False
        self.assertEqual(MAC1, checks.pxe_nic(NODE, ports).mac)
        ports[MAC1]['is_pxe_enabled'] = False
        self.assertIsNone(checks.pxe_nic(NODE, ports))
        self.assertEqual(MAC0, checks.pxe_nic(NODE, {}).mac)

    def exchange(self, discovers=0, replies=()):
        return dhcp.Exchange(discovers, [
            dhcp.Message(MAC0, kind, True, intact)
            for kind, intact in replies], 1.0 if discovers else None)

    def test_pxe_answered(self):
        result = checks.pxe(NODE, NODE.nics[0], self.exchange(
            2, [(dhcp.DHCPOFFER, False), (dhcp.DHCPOFFER, True)]), 7.4)
        self.assertEqual(checks.Result(
            'tk0', 'pxe', checks.PASSED, 'DHCP OFFER to %s reached veth '
            'tk0-0n (physnet1) intact 7 s after power on' % MAC0), result)

    def test_pxe_no_discover(self):
        result = checks.pxe(NODE, NODE.nics[0], self.exchange(), 120)
        self.assertEqual(('tk0', checks.FAILED), result[:3:2])
        self.assertEqual('no DHCP DISCOVER from %s on veth tk0-0n '
                         '(physnet1) in 120 s after power on' % MAC0,
                         result.detail)

    def test_pxe_damaged(self):
        result = checks.pxe(NODE, NODE.nics[0], self.exchange(
            3, [(dhcp.DHCPOFFER, False)] * 3), 40)
        self.assertFalse(result.ok)
        self.assertEqual('3 DHCP replies to %s reached veth tk0-0n '
                         '(physnet1) damaged (bad IP or UDP checksum), so '
                         'the node drops them' % MAC0, result.detail)

    def test_pxe_no_server(self):
        result = checks.pxe(NODE, NODE.nics[0], self.exchange(4), 40)
        self.assertFalse(result.ok)
        self.assertEqual('no DHCP server answered on physnet physnet1: 4 '
                         'DISCOVER(s) from %s got no reply on veth tk0-0n '
                         '(physnet1)' % MAC0, result.detail)


class TestReport(testtools.TestCase):

    def test_summary_names_nodes_and_checks(self):
        results = [checks.Result('tk1', 'bmc', checks.FAILED, 'x'),
                   checks.Result('tk0', 'domain', checks.PASSED, 'x'),
                   checks.Result('tk0', 'wiring', checks.FAILED, 'x'),
                   checks.Result('tk1', 'domain', checks.FAILED, 'x')]
        self.assertEqual('verify failed: tk0: wiring; tk1: bmc, domain',
                         checks.summary(results))
        self.assertIsNone(checks.summary(results[1:2]))

    def test_skipped_is_neither_passed_nor_failed(self):
        node = NODE
        result = checks.skipped(node, 'pxe', 'hypervisor hv1 is remote')
        self.assertEqual(('tk0', 'pxe', 'skipped', 'hypervisor hv1 is remote'),
                         tuple(result))
        self.assertTrue(result.ok)
        self.assertIsNone(checks.summary([result]))
        self.assertEqual((True, False), (checks.passed(node, 'pxe', '').ok,
                                         checks.failed(node, 'pxe', '').ok))

    def test_ordered(self):
        results = [checks.Result('tk1', 'domain', checks.PASSED, ''),
                   checks.Result('tk0', 'pxe', checks.PASSED, ''),
                   checks.Result('tk0', 'bmc', checks.PASSED, ''),
                   checks.Result('tk0', 'domain', checks.PASSED, '')]
        self.assertEqual([('tk0', 'domain'), ('tk0', 'bmc'), ('tk0', 'pxe'),
                          ('tk1', 'domain')],
                         [r[:2] for r in checks.ordered(results)])


class TestChosenNodes(testtools.TestCase):
    """Refusals made before any hypervisor or Ironic is reached."""

    def setUp(self):
        super().setUp()
        self.path = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'state.json')
        self.conf = mock.Mock(workers=1)

    def test_no_state(self):
        error = self.assertRaises(exception.StateError, verify.verify,
                                  self.conf, self.path)
        self.assertIn('records no nodes: nothing to verify', str(error))

    def test_unknown_node(self):
        data = state.empty(self.path)
        data.nodes['tk0'] = NODE
        state.save(self.path, data)
        error = self.assertRaises(exception.StateError, verify.verify,
                                  self.conf, self.path, nodes=['tk0', 'tk9'])
        self.assertEqual('State file %s has no node tk9.' % self.path,
                         str(error))

    def test_local_uri(self):
        # A state written before the way in was recorded says only this.
        for uri, local in (('qemu:///system', True),
                           ('qemu+tcp://localhost/system', True),
                           ('qemu+ssh://root@hv1/system', False)):
            self.assertEqual(local, hypervisors.from_record(
                'hv', records.HypervisorRecord.from_dict(
                    {'libvirt_uri': uri})).is_local, uri)
