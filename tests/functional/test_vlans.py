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

"""Physnets sharing an Open vSwitch uplink, each on its VLAN; real packets.

No node boots: namespaces stand for the nodes (attached to Tenks'
bridges as networking-generic-switch would see a node port: untagged, or
with a tenant VLAN) and for what is on each VLAN at the far end of the
uplink (access ports of the user's bridge). A UDP echo between them is
the proof. Open vSwitch runs its userspace (netdev) datapath: this host
has neither the Open vSwitch kernel module nor 802.1Q, so the kernel
datapath is not tested here; Tenks' tagging is the same OVS port
configuration on both.

Addresses 203.0.113.171-179, and namespace hosts 40 and 41
(203.0.113.161-166), are used by no other test.
"""

import json
import os
import subprocess
import sys

from tests.functional import base
from tests import nshosts

ECHO_PORT = 7007
# A UDP echo server, then a client that prints whether it was answered.
ECHO = '''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', %d))
while True:
    data, peer = s.recvfrom(64)
    s.sendto(data, peer)
''' % ECHO_PORT
ASK = '''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(float(sys.argv[2]))
for _ in range(int(sys.argv[3])):
    s.sendto(b'tenks', (sys.argv[1], %d))
    try:
        print(s.recvfrom(64)[0] == b'tenks')
        break
    except socket.timeout:
        pass
else:
    print(False)
''' % ECHO_PORT
SUBNET = '203.0.113.%d/24'
TRUNK = 'tksrc0'        # each namespace hypervisor's own uplink bridge


class Endpoints:
    """Namespaces of a test, each answering UDP echoes at its address."""

    def __init__(self, test):
        self.test = test
        self.address = {}

    def add(self, name, address, bridge, tag=None, inside=None):
        """Namespace name at address, on an OVS bridge's access port.

        inside: the namespace hypervisor whose Open vSwitch has bridge;
        else this host's. On a Linux bridge of this host, a veth instead.
        """
        base.run(['ip', 'netns', 'add', name])
        self.test.addCleanup(base.run, ['ip', 'netns', 'del', name],
                             check=False)
        server = subprocess.Popen(
            ['ip', 'netns', 'exec', name, sys.executable, '-c', ECHO],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.test.addCleanup(base.stop, server)
        run = inside.inside if inside else base.run
        if _is_linux_bridge(bridge):
            base.run(['ip', 'link', 'add', name + 'h', 'type', 'veth',
                      'peer', 'name', name, 'netns', name])
            self.test.addCleanup(base.run, ['ip', 'link', 'del', name + 'h'],
                                 check=False)
            base.run(['ip', 'link', 'set', name + 'h', 'master', bridge,
                      'up'])
        else:
            argv = ['ovs-vsctl', 'add-port', bridge, name, '--', 'set',
                    'Interface', name, 'type=internal']
            run(argv + (['--', 'set', 'Port', name, 'tag=%d' % tag]
                        if tag else []))
            self.test.addCleanup(run, ['ovs-vsctl', '--if-exists',
                                       'del-port', name], check=False)
            # By PID: a namespace hypervisor does not see this host's
            # named namespaces.
            run(['ip', 'link', 'set', name, 'netns', str(server.pid)])
        for argv in (['addr', 'add', SUBNET % address, 'dev', name],
                     ['link', 'set', name, 'up'], ['link', 'set', 'lo', 'up']):
            base.run(['ip', '-n', name] + argv)
        self.address[name] = '203.0.113.%d' % address

    def reaches(self, source, target):
        """Whether source's echo to target comes back.

        Asked again every 2 s for 30 s (ARP, MAC learning and Open
        vSwitch's revalidation on a loaded host); isolated() waits for no
        answer once, 2 s, and is only asserted beside a reaches() of the
        same namespaces.
        """
        return self._ask(source, target, 15)

    def isolated(self, source, target):
        return not self._ask(source, target, 1)

    def _ask(self, source, target, tries):
        result = base.run(['ip', 'netns', 'exec', source, sys.executable,
                           '-c', ASK, self.address[target], '2', str(tries)])
        return result.stdout.strip() == 'True'


def _is_linux_bridge(name):
    return os.path.isdir('/sys/class/net/%s/bridge' % name)


def mapped(device, vlan=None):
    return {'device': device, 'vlan': vlan} if vlan else {'device': device}


class SharedUplinkTestCase(base.TenksTestCase):

    def setUp(self):
        super().setUp()
        self.uplink = self.source_prefix + 'ov'
        self.ovs_bridge(self.uplink)
        self.ends = Endpoints(self)
        self.far1 = self.source_prefix + 'f1'
        self.far2 = self.source_prefix + 'f2'
        self.ends.add(self.far1, 171, self.uplink, tag=101)
        self.ends.add(self.far2, 172, self.uplink, tag=102)

    def write(self, bridge_type, mappings):
        # One node on both physnets, defined and never started, so that
        # verify has NICs whose uplinks it checks.
        return self.cluster(
            node_types={'dual': {'memory_mb': 128, 'vcpus': 1,
                                 'volumes': [{'capacity': '16MiB'}],
                                 'physical_networks': ['physnet1',
                                                       'physnet2']}},
            specs=[{'type': 'dual', 'count': 1}],
            physnet_mappings=mappings, bridge_type=bridge_type)

    def refused(self, path, message):
        result = self.tenks('deploy', path, check=False)
        self.assertEqual(1, result.returncode, result.stderr)
        self.assertEqual(1, len(result.stderr.strip().splitlines()),
                         result.stderr)
        self.assertIn(message, result.stderr)
        self.assertFalse(os.path.exists(self.state_file))
        self.assertEqual([], self.leftovers())

    def plan(self, path):
        return [(row['Action'], row['Kind'], row['Name'], row['Reason'])
                for row in json.loads(self.tenks('plan', path, '-f',
                                                 'json').stdout)]

    def bridges(self):
        indices = self.state()['hypervisors']['localhost']['physnet_indices']
        return {physnet: '%s%d' % (self.bridge_prefix, index)
                for physnet, index in indices.items()}

    def verify_wiring(self, path):
        rows = json.loads(self.tenks('verify', path, '-f', 'json',
                                     check=False).stdout)
        return {row['Check']: row for row in rows}['wiring']

    def assert_bad_input_refused(self, bridge_type):
        lb = self.source_prefix + 'lb'
        self.linux_bridge(lb)
        self.refused(self.write(bridge_type, {
            'physnet1': mapped(self.uplink, 101),
            'physnet2': mapped(self.uplink, 101)}),
            "physnet_mappings.physnet2: VLAN 101 on %s is already "
            "physnet1's" % self.uplink)
        self.refused(self.write(bridge_type, {
            'physnet1': mapped(self.uplink, 4095),
            'physnet2': mapped(self.uplink, 102)}),
            'physnet_mappings.physnet1.vlan: 4095 must be at most 4094')
        self.refused(self.write(bridge_type, {
            'physnet1': mapped(self.source_prefix + 'no', 101),
            'physnet2': mapped(self.uplink, 102)}),
            "physnet_mappings.physnet1: device '%sno' does not exist on "
            "localhost" % self.source_prefix)
        self.refused(self.write(bridge_type, {
            'physnet1': mapped(self.uplink, 101),
            'physnet2': mapped(lb, 102)}),
            "physnet_mappings.physnet2: VLAN 102 needs an Open vSwitch "
            "bridge as device, and %r on localhost is a Linux bridge" % lb)

    def deploy_isolated(self, bridge_type):
        """Two physnets on VLANs 101 and 102 of one uplink."""
        path = self.write(bridge_type, {'physnet1': mapped(self.uplink, 101),
                                        'physnet2': mapped(self.uplink, 102)})
        planned = [row for row in self.plan(path) if row[1] == 'physnet']
        self.assertEqual(
            ['physnet1 to %s on VLAN 101' % self.uplink,
             'physnet2 to %s on VLAN 102' % self.uplink],
            sorted(row[3] for row in planned))
        self.tenks('deploy', path)
        self.assertEqual([], self.plan(path))
        bridges = self.bridges()
        self.near1 = self.source_prefix + 'p1'
        self.near2 = self.source_prefix + 'p2'
        self.ends.add(self.near1, 173, bridges['physnet1'])
        self.ends.add(self.near2, 174, bridges['physnet2'])
        ends = self.ends
        self.assertTrue(ends.reaches(self.near1, self.far1))
        self.assertTrue(ends.reaches(self.near2, self.far2))
        self.assertTrue(ends.isolated(self.near1, self.far2))
        self.assertTrue(ends.isolated(self.near2, self.far1))
        self.assertTrue(ends.isolated(self.near1, self.near2))
        wiring = self.verify_wiring(path)
        self.assertTrue(wiring['OK'], wiring)
        return path, bridges

    def assert_untagged_caught(self, path, bridge):
        """Tenks' tag removed by hand: verify and plan see it; repaired."""
        port = bridge + '-ph'
        base.run(['ovs-vsctl', 'clear', 'Port', port, 'tag', 'vlan_mode'])
        wiring = self.verify_wiring(path)
        self.assertFalse(wiring['OK'])
        self.assertIn('uplink %s of bridge %s (physnet1) is untagged, not on '
                      'VLAN 101' % (port, bridge), wiring['Detail'])
        self.assertEqual([('update', 'physnet', bridge, 'uplink to %s '
                           'untagged, wanted on VLAN 101' % self.uplink)],
                         self.plan(path))
        self.tenks('deploy', path)
        self.assertTrue(self.verify_wiring(path)['OK'])
        self.assertTrue(self.ends.reaches(self.near1, self.far1))

    def assert_torn_down(self, path):
        self.tenks('teardown', path)
        self.assertEqual([], self.leftovers())
        # The user's bridge keeps its own ports, and only those.
        self.assertEqual(
            sorted([self.far1, self.far2]),
            sorted(base.run(['ovs-vsctl', 'list-ports',
                             self.uplink]).stdout.split()))


class TestSharedUplink(SharedUplinkTestCase):

    def test_openvswitch(self):
        # Bad input is refused the same way whatever the bridge type.
        self.assert_bad_input_refused('openvswitch')
        path, bridges = self.deploy_isolated('openvswitch')
        self.assert_tenant_vlans_nested(bridges['physnet1'])
        self.assert_untagged_caught(path, bridges['physnet1'])
        self.assert_reconfigured(bridges['physnet2'])
        self.assert_torn_down(path)

    def test_linuxbridge(self):
        path, bridges = self.deploy_isolated('linuxbridge')
        self.assert_untagged_caught(path, bridges['physnet1'])
        self.assert_torn_down(path)

    def assert_tenant_vlans_nested(self, bridge):
        """A node port given VLAN 200 (as NGS does) stays in VLAN 101.

        At the far end, a bridge behind an access port of VLAN 101 that
        keeps inner tags sees VLAN 200 inside it.
        """
        inner = self.source_prefix + 'in'
        self.ovs_bridge(inner)
        out, back = self.source_prefix + 'so', self.source_prefix + 'si'
        base.run(['ovs-vsctl', 'add-port', self.uplink, out, '--', 'set',
                  'Interface', out, 'type=patch', 'options:peer=' + back,
                  '--', 'set', 'Port', out, 'tag=101',
                  'vlan_mode=dot1q-tunnel', 'other_config:qinq-ethtype=802.1q',
                  '--', 'add-port', inner, back, '--', 'set', 'Interface',
                  back, 'type=patch', 'options:peer=' + out])
        self.addCleanup(base.run, ['ovs-vsctl', '--if-exists', 'del-port',
                                   out], check=False)
        tenant, far = self.source_prefix + 'pt', self.source_prefix + 'ft'
        self.ends.add(tenant, 175, bridge, tag=200)
        self.ends.add(far, 176, inner, tag=200)
        self.assertTrue(self.ends.reaches(tenant, far))
        self.assertTrue(self.ends.isolated(self.near1, far))
        self.assertTrue(self.ends.isolated(tenant, self.far1))
        base.run(['ovs-vsctl', 'del-port', out])

    def assert_reconfigured(self, bridge):
        """physnet2 to VLAN 103, then untagged, then to another bridge."""
        path = self.write('openvswitch', {
            'physnet1': mapped(self.uplink, 101),
            'physnet2': mapped(self.uplink, 103)})
        self.assertEqual([('update', 'physnet', bridge, 'uplink to %s on '
                           'VLAN 102, wanted on VLAN 103' % self.uplink)],
                         self.plan(path))
        self.tenks('deploy', path)
        self.assertTrue(self.ends.isolated(self.near2, self.far2))
        base.run(['ovs-vsctl', 'set', 'Port', self.far2, 'tag=103'])
        self.assertTrue(self.ends.reaches(self.near2, self.far2))

        path = self.write('openvswitch', {
            'physnet1': mapped(self.uplink, 101),
            'physnet2': self.uplink})
        self.tenks('deploy', path)
        base.run(['ovs-vsctl', 'clear', 'Port', self.far2, 'tag'])
        self.assertTrue(self.ends.reaches(self.near2, self.far2))
        self.assertTrue(self.ends.isolated(self.near1, self.far2))

        other = self.source_prefix + 'o2'
        self.ovs_bridge(other)
        far = self.source_prefix + 'f4'
        self.ends.add(far, 177, other, tag=102)
        path = self.write('openvswitch', {
            'physnet1': mapped(self.uplink, 101),
            'physnet2': mapped(other, 102)})
        self.tenks('deploy', path)
        self.assertEqual([], self.plan(path))
        self.assertTrue(self.ends.reaches(self.near2, far))
        self.assertTrue(self.ends.isolated(self.near2, self.far2))
        self.assertNotIn(bridge + '-ph', base.run([
            'ovs-vsctl', 'list-ports', self.uplink]).stdout.split())
        self.assertTrue(self.verify_wiring(path)['OK'])
        # Back where it was, for the teardown's check of the uplink.
        self.tenks('deploy', self.write('openvswitch', {
            'physnet1': mapped(self.uplink, 101),
            'physnet2': mapped(self.uplink, 102)}))


class TestSpanningHypervisors(base.TenksTestCase):
    """physnet1 and physnet2 on two namespace hypervisors, VLANs 300, 301.

    Each hypervisor's uplink is an Open vSwitch bridge (TRUNK) holding a
    veth to this host, where a Linux bridge joins both: the trunk the
    physnets' VLANs share, as a data centre's switch would be.
    """

    def setUp(self):
        super().setUp()
        keys = nshosts.Keys(os.path.join(self.workdir, 'controller-ssh'))
        self.hosts = [nshosts.NamespaceHost(
            '%sh%d' % (self.source_prefix, index), 40 + index, self.workdir,
            keys) for index in range(2)]
        switch = self.source_prefix + 'sw'
        self.linux_bridge(switch)
        for host in self.hosts:
            self.addCleanup(host.stop)
            host.start()
            trunk = host.name + 't'
            base.run(['ip', 'link', 'add', trunk, 'type', 'veth', 'peer',
                      'name', 'trunk0', 'netns', host.name])
            self.addCleanup(base.run, ['ip', 'link', 'del', trunk],
                            check=False)
            base.run(['ip', 'link', 'set', trunk, 'master', switch, 'up'])
            host.inside(['ovs-vsctl', 'add-br', TRUNK, '--', 'set',
                         'Bridge', TRUNK, 'datapath_type=netdev', '--',
                         'add-port', TRUNK, 'trunk0'])
            host.inside(['ip', 'link', 'set', 'trunk0', 'up'])
        with open(self.conf_file, 'a') as stream:
            stream.write('[ssh]\nkey_file = %s\nknown_hosts_file = %s\n' % (
                keys.private, keys.known_hosts))
        self.ends = Endpoints(self)

    def write(self, vlans):
        """vlans: per hypervisor, the VLANs of physnet1 and physnet2."""
        return self.cluster(
            node_types={'dual': {'memory_mb': 128, 'vcpus': 1,
                                 'volumes': [{'capacity': '16MiB'}],
                                 'physical_networks': ['physnet1',
                                                       'physnet2']}},
            specs=[{'type': 'dual', 'count': 0}],
            hypervisors={host.name: {
                'address': host.address, 'libvirt_uri': host.libvirt_uri,
                'physnet_mappings': {
                    'physnet1': mapped(TRUNK, first),
                    'physnet2': mapped(TRUNK, second)}}
                for host, (first, second) in zip(self.hosts, vlans)},
            # Each hypervisor's own /var/lib/libvirt.
            libvirt_pool_path='/var/lib/libvirt/%s' % self.pool,
            libvirt_vm_engine='qemu')

    def test_physnets_span_hypervisors(self):
        path = self.write([(300, 301), (300, 301)])
        self.tenks('deploy', path)
        self.assertEqual([], json.loads(self.tenks('plan', path, '-f',
                                                   'json').stdout))
        ends = {}
        address = 176
        for host in self.hosts:
            indices = self.state()['hypervisors'][host.name][
                'physnet_indices']
            for physnet in ('physnet1', 'physnet2'):
                name = '%s%d' % (host.name, indices[physnet])
                self.ends.add(name, address, '%s%d' % (
                    self.bridge_prefix, indices[physnet]), inside=host)
                ends[host.name, physnet] = name
                address += 1
        h0, h1 = (host.name for host in self.hosts)
        self.assertTrue(self.ends.reaches(ends[h0, 'physnet1'],
                                          ends[h1, 'physnet1']))
        self.assertTrue(self.ends.reaches(ends[h0, 'physnet2'],
                                          ends[h1, 'physnet2']))
        self.assertTrue(self.ends.isolated(ends[h0, 'physnet1'],
                                           ends[h1, 'physnet2']))
        self.assertTrue(self.ends.isolated(ends[h0, 'physnet1'],
                                           ends[h0, 'physnet2']))

        # physnet2 of one hypervisor moved to another VLAN leaves the
        # other's; back on the same, it joins it again.
        self.tenks('deploy', self.write([(300, 301), (300, 302)]))
        self.assertTrue(self.ends.isolated(ends[h0, 'physnet2'],
                                           ends[h1, 'physnet2']))
        self.assertTrue(self.ends.reaches(ends[h0, 'physnet1'],
                                          ends[h1, 'physnet1']))
        path = self.write([(302, 301), (300, 302)])
        self.tenks('deploy', path)
        self.assertTrue(self.ends.reaches(ends[h0, 'physnet1'],
                                          ends[h1, 'physnet2']))

        self.tenks('teardown', path)
        for host in self.hosts:
            self.assertEqual(TRUNK, host.ssh(
                'ovs-vsctl', 'list-br').stdout.strip())
            self.assertEqual('trunk0', host.ssh(
                'ovs-vsctl', 'list-ports', TRUNK).stdout.strip())
