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

"""Deploy, drive and tear down real clusters on this host."""

import grp
import json
import os
import stat
import time
import xml.etree.ElementTree as ET

from tests.functional import base
from tests.functional import lldp_receiver

MIB = 1024 ** 2


class DeployTestCase(base.TenksTestCase):

    def deploy_two_physnets(self, **overrides):
        """3 nodes on 2 physnets, one node on both; LB and OVS sources."""
        self.linux_bridge(self.source_prefix + 'lb')
        self.ovs_bridge(self.source_prefix + 'ov')
        path = self.cluster(
            node_types={
                'small': {'memory_mb': 256, 'vcpus': 1,
                          'volumes': [{'capacity': '1GiB'}],
                          'physical_networks': ['physnet1']},
                'dual': {'memory_mb': 320, 'vcpus': 2,
                         'volumes': [{'capacity': '512MiB'},
                                     {'capacity': '1GB'}],
                         'physical_networks': ['physnet1', 'physnet2']}},
            specs=[{'type': 'small', 'count': 2},
                   {'type': 'dual', 'count': 1}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb',
                              'physnet2': self.source_prefix + 'ov'},
            **overrides)
        result = self.tenks('deploy', path)
        self.assertIn('deploy: ', result.stdout)
        return path

    def domain(self, name):
        return ET.fromstring(base.run(['virsh', 'dumpxml', name]).stdout)

    def power(self, node, action):
        credentials = self.state()['credentials']
        return base.run([
            'ipmitool', '-I', 'lanplus', '-H', node['bmc']['address'],
            '-p', str(node['bmc']['port']),
            '-U', credentials['ipmi_username'],
            '-P', credentials['ipmi_password'], 'power', action]).stdout

    def domstate(self, name, uri=None):
        connect = ['-c', uri] if uri else []
        return base.run(['virsh'] + connect + ['domstate',
                                               name]).stdout.strip()

    def wait_domstate(self, name, wanted, timeout=30, uri=None):
        deadline = time.monotonic() + timeout
        while self.domstate(name, uri) != wanted:
            if time.monotonic() > deadline:
                self.fail('%s is %s, not %s' % (
                    name, self.domstate(name, uri), wanted))
            time.sleep(0.2)

    def assert_hardware(self, node, boot_mode):
        root = self.domain(node['name'])
        self.assertEqual(node['memory_mb'] * 1024,
                         int(root.findtext('memory')))
        self.assertEqual(node['vcpus'], int(root.findtext('vcpu')))
        macs = [i.find('mac').get('address')
                for i in root.findall('devices/interface')]
        self.assertEqual([nic['mac'] for nic in node['nics']], macs)
        devs = [i.find('source').get('dev')
                for i in root.findall('devices/interface')]
        self.assertEqual([nic['veth_node'] for nic in node['nics']], devs)
        disks = [d.find('source').get('file')
                 for d in root.findall('devices/disk')]
        self.assertEqual(len(node['volumes']), len(disks))
        for volume, disk in zip(node['volumes'], disks):
            info = json.loads(base.run(
                ['qemu-img', 'info', '-U', '--output=json', disk]).stdout)
            # libvirt sizes qcow2 volumes in whole KiB.
            self.assertEqual(-(-volume['capacity'] // 1024) * 1024,
                             info['virtual-size'])
        self.assertEqual(boot_mode == 'uefi',
                         root.find('os').get('firmware') == 'efi')

    def assert_wiring(self, node, bridge_type):
        links = {link['ifname']: link for link in json.loads(
            base.run(['ip', '-j', 'link', 'show']).stdout)}
        for nic in node['nics']:
            self.assertEqual(nic['veth_node'],
                             links[nic['veth_bridge']]['link'])
            if bridge_type == 'openvswitch':
                bridge = base.run(['ovs-vsctl', 'port-to-br',
                                   nic['veth_bridge']]).stdout.strip()
            else:
                bridge = links[nic['veth_bridge']].get('master')
            self.assertEqual(nic['bridge'], bridge)

    def assert_lldp(self, nodes):
        """Each NIC hears, at its node's end, the switch port it is on.

        As Ironic would read it: chassis id the bridge's own MAC, port id
        the bridge's end of the veth, system name the bridge.
        """
        nics = [nic for node in nodes for nic in node['nics']]
        heard = json.loads(base.run(lldp_receiver.command(
            15, [nic['veth_node'] for nic in nics])).stdout)
        links = {link['ifname']: link for link in json.loads(
            base.run(['ip', '-j', 'link', 'show']).stdout)}
        for nic in nics:
            self.assertEqual({'switch_id': links[nic['bridge']]['address'],
                              'port_id': nic['veth_bridge'],
                              'switch_info': nic['bridge']},
                             heard.get(nic['veth_node']), nic['veth_node'])

    def assert_power_cycle(self, node, while_on=lambda: None):
        self.assertIn('off', self.power(node, 'status'))
        self.power(node, 'on')
        self.wait_domstate(node['name'], 'running')
        self.assertIn('on', self.power(node, 'status'))
        while_on()
        self.power(node, 'off')
        self.wait_domstate(node['name'], 'shut off')

    def assert_clean_teardown(self, path):
        self.tenks('teardown', path)
        self.assertEqual([], self.leftovers())
        self.assertFalse(base.os.path.exists(self.state_file))
        # No file at all: not the KVM probe's answer, not a BMC's.
        state_dir = base.os.path.dirname(self.state_file)
        if base.os.path.isdir(state_dir):
            self.assertEqual([], base.os.listdir(state_dir))

    def assert_idempotent(self, path):
        plan = json.loads(self.tenks('plan', path, '-f', 'json').stdout)
        self.assertEqual([], plan)
        self.assertIn('no changes', self.tenks('deploy', path).stdout)


class TestOpenvswitchBios(DeployTestCase):

    def test_deploy_drive_teardown(self):
        path = self.deploy_two_physnets(default_boot_mode='bios')
        nodes = self.state()['nodes']
        self.assertEqual(3, len(nodes))
        for node in nodes.values():
            self.assertEqual('shut off', self.domstate(node['name']))
            self.assert_hardware(node, 'bios')
            self.assert_wiring(node, 'openvswitch')
        self.assert_lldp(nodes.values())
        self.assert_uplinks()
        dual = [n for n in nodes.values() if len(n['nics']) == 2][0]
        self.assert_power_cycle(dual)
        listing = json.loads(self.tenks('list', path, '-f', 'json').stdout)
        self.assertEqual(sorted(nodes), [row['Node'] for row in listing])
        self.assertEqual([nic['mac'] for nic in dual['nics']],
                         [row['MACs'] for row in listing
                          if row['Node'] == dual['name']][0])
        self.assert_idempotent(path)
        self.assert_clean_teardown(path)
        self.assertEqual('', base.run(['ovs-vsctl', 'list-ports',
                                       self.source_prefix + 'ov']).stdout)

    def assert_uplinks(self):
        lb_side = base.run(['ip', '-j', 'link', 'show',
                            self.bridge_prefix + '0-ph']).stdout
        self.assertEqual(self.source_prefix + 'lb',
                         json.loads(lb_side)[0]['master'])
        self.assertEqual(
            self.bridge_prefix + '1-ph\n',
            base.run(['ovs-vsctl', 'list-ports',
                      self.source_prefix + 'ov']).stdout)


class TestLinuxBridgeUefi(DeployTestCase):

    def test_deploy_drive_teardown(self):
        # A pool directory only root and the kvm group (QEMU's) may enter,
        # as the libvirt-host role's libvirt_pool_* set it.
        path = self.deploy_two_physnets(default_boot_mode='uefi',
                                        bridge_type='linuxbridge',
                                        libvirt_pool_mode=750,
                                        libvirt_pool_group='kvm')
        self.assert_pool_permissions(0o750)
        nodes = self.state()['nodes']
        for node in nodes.values():
            self.assert_hardware(node, 'uefi')
            self.assert_wiring(node, 'linuxbridge')
        self.assert_lldp(nodes.values())
        node = nodes[self.node_prefix + '0']

        def assert_ovmf():
            loader = self.domain(node['name']).findtext('os/loader')
            self.assertIn('OVMF', loader or '(no loader)')

        self.assert_power_cycle(node, assert_ovmf)
        self.assert_idempotent(path)
        os.chmod(os.path.join(self.workdir, 'pool'), 0o700)
        plan = json.loads(self.tenks('plan', path, '-f', 'json').stdout)
        self.assertEqual([('update', 'pool', 'permissions: mode 0700, '
                           'wanted 0750')],
                         [(a['Action'], a['Kind'], a['Reason'])
                          for a in plan])
        self.tenks('deploy', path)
        self.assert_pool_permissions(0o750)
        self.assert_clean_teardown(path)

    def assert_pool_permissions(self, mode):
        info = os.stat(os.path.join(self.workdir, 'pool'))
        self.assertEqual((mode, grp.getgrnam('kvm').gr_gid),
                         (stat.S_IMODE(info.st_mode), info.st_gid))
