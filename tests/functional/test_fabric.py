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

"""Nodes served by a user's DHCP and HTTP server, on every fabric.

The server sits in a namespace behind each kind of physnet source device
(an interface, a Linux bridge, an Open vSwitch bridge), for both bridge
types; Open vSwitch on its userspace (netdev) datapath, where checksums
a sender left to the device were once forwarded unfinished. This host
has no Open vSwitch kernel module, so the kernel (system) datapath is
not tested here; it keeps a packet's checksum state as it forwards, and
Tenks changes nothing there.

Each test boots one real node (BIOS or UEFI, so that each bridge type and
each source kind sees both) to a DHCP lease, has `tenks verify --pxe`
see an intact reply on the node's veth end, and downloads 30 MiB over
HTTP and 1 MiB over TFTP through that end, checking every byte.
"""

import json

from tests.functional import base
from tests.functional import servers


class FabricTestCase(base.TenksTestCase):

    def deploy(self, source_kind, bridge_type, boot_mode):
        self.server = servers.Server(self, source_kind)
        path = self.cluster(
            node_types={'pxe': {'memory_mb': 256, 'vcpus': 1,
                                'volumes': [{'capacity': '1GiB'}],
                                'physical_networks': ['physnet1']}},
            specs=[{'type': 'pxe', 'count': 1}],
            physnet_mappings={'physnet1': self.server.source},
            bridge_type=bridge_type, default_boot_mode=boot_mode)
        self.tenks('deploy', path)
        node = self.state()['nodes'][self.node_prefix + '0']
        return path, node, node['nics'][0]

    def verify_pxe(self, path):
        """(passed, detail) of the pxe check of the only node."""
        result = self.tenks('verify', path, '--pxe', '-f', 'json',
                            check=False)
        rows = {row['Check']: row for row in json.loads(result.stdout)}
        pxe = rows['pxe']
        self.assertEqual(0 if pxe['OK'] else 1, result.returncode,
                         result.stderr)
        return pxe['OK'], pxe['Detail']

    def assert_planned_nothing(self, path):
        plan = json.loads(self.tenks('plan', path, '-f', 'json').stdout)
        self.assertEqual([], plan)

    def assert_served(self, source_kind, bridge_type, boot_mode):
        path, node, nic = self.deploy(source_kind, bridge_type, boot_mode)
        # A lease: the node sent a REQUEST after the OFFER, dnsmasq ACKed.
        base.run(['virsh', 'start', node['name']])
        try:
            ack = self.server.wait_for_ack(nic['mac'])
        finally:
            base.run(['virsh', 'destroy', node['name']], check=False)
        self.assertIn('DHCPREQUEST(%s)' % self.server.interface,
                      self.server.log())
        self.assertIn(nic['mac'], ack)
        ok, detail = self.verify_pxe(path)
        self.assertTrue(ok, detail)
        self.assertIn('to %s reached veth %s (physnet1) intact' % (
            nic['mac'], nic['veth_node']), detail)
        self.assertEqual(self.server.digests,
                         self.server.download_from(nic['veth_node']))
        # Booting the node changed nothing Tenks observes.
        self.assert_planned_nothing(path)
        return path, node, nic


class TestInterfaceSource(FabricTestCase):

    def test_openvswitch(self):
        path, node, nic = self.assert_served('interface', 'openvswitch',
                                             'bios')
        bridge = nic['bridge']
        hop, phy = bridge + '-hp', bridge + '-ph'
        self.assertEqual(hop, _master(self.server.source))
        self.assertIn('tx-checksumming: off',
                      base.run(['ethtool', '-k', phy]).stdout)
        self.assert_damage_caught(path, nic, phy)
        self.assert_no_server_caught(path, nic)

    def assert_damage_caught(self, path, nic, phy):
        """With the fix undone on one end, replies arrive damaged."""
        base.run(['ethtool', '-K', phy, 'tx', 'on'])
        ok, detail = self.verify_pxe(path)
        self.assertFalse(ok)
        self.assertIn('DHCP repl', detail)
        self.assertIn('to %s reached veth %s (physnet1) damaged (bad IP or '
                      'UDP checksum), so the node drops them' % (
                          nic['mac'], nic['veth_node']), detail)
        plan = json.loads(self.tenks('plan', path, '-f', 'json').stdout)
        self.assertEqual([('update', 'physnet', nic['bridge'])],
                         [(row['Action'], row['Kind'], row['Name'])
                          for row in plan])
        self.assertIn('%s offload(s) TX checksums' % phy, plan[0]['Reason'])
        self.tenks('deploy', path)
        self.assert_planned_nothing(path)
        self.assertTrue(self.verify_pxe(path)[0])

    def assert_no_server_caught(self, path, nic):
        self.server.stop_dhcp()
        ok, detail = self.verify_pxe(path)
        self.assertFalse(ok)
        self.assertIn('no DHCP server answered on physnet physnet1: ',
                      detail)
        self.assertIn('DISCOVER(s) from %s got no reply on veth %s' % (
            nic['mac'], nic['veth_node']), detail)

    def test_linuxbridge(self):
        self.assert_served('interface', 'linuxbridge', 'uefi')


class TestLinuxBridgeSource(FabricTestCase):

    def test_openvswitch(self):
        self.assert_served('linuxbridge', 'openvswitch', 'uefi')

    def test_linuxbridge(self):
        self.assert_served('linuxbridge', 'linuxbridge', 'bios')


class TestOpenvSwitchSource(FabricTestCase):

    def test_openvswitch(self):
        self.assert_served('openvswitch', 'openvswitch', 'bios')

    def test_linuxbridge(self):
        self.assert_served('openvswitch', 'linuxbridge', 'uefi')


def _master(device):
    link = json.loads(base.run(['ip', '-j', 'link', 'show', 'dev',
                                device]).stdout)[0]
    return link.get('master')
