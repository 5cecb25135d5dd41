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

"""One cluster over localhost and namespace hypervisors reached by SSH."""

import json
import os

import yaml

from tests.functional import base
from tests.functional import lldp_receiver
from tests.functional import test_ironic
from tests import nshosts

SOURCE = 'tksrc0'      # each namespace host's own physnet device


class TestMultiHost(test_ironic.IronicTestCase):

    def setUp(self):
        super().setUp()
        self.hosts = nshosts.Hosts(self.source_prefix + 'h', 3,
                                   self.workdir)
        self.addCleanup(self.hosts.stop)
        for host in self.hosts.start():
            host.inside(['ip', 'link', 'add', SOURCE, 'type', 'bridge'])
            host.inside(['ip', 'link', 'set', SOURCE, 'up'])
        with open(self.conf_file, 'a') as stream:
            stream.write('[ssh]\nkey_file = %s\nknown_hosts_file = %s\n' % (
                self.hosts.keys.private, self.hosts.keys.known_hosts))
        self.redfish_port = base._tcp_free_port()
        # Volumes live in each host's own /var/lib/libvirt.
        self.pool_path = '/var/lib/libvirt/%s' % self.pool
        self.addCleanup(base.run, ['rm', '-rf', self.pool_path],
                        check=False)

    def hypervisors(self, count, **extra):
        found = {'localhost': {
            'address': 'localhost', 'capacity': {'memory_mb': 256},
            'physnet_mappings': {'physnet1': self.source_prefix + 'lb'}}}
        for index, host in enumerate(self.hosts.hosts[:count]):
            # Room for one node here, two on each namespace host and one
            # more on the second, for the Redfish node: placement must not
            # depend on what else runs on this machine.
            found[host.name] = dict({
                'address': host.address, 'libvirt_uri': host.libvirt_uri,
                'physnet_mappings': {'physnet1': SOURCE},
                'capacity': {'memory_mb': 768 if index == 1 else 512}},
                **extra.get(host.name, {}))
        return found

    def multi(self, count, hosts=2, memory_mb=256, redfish=1, **extra):
        """count IPMI nodes, then redfish Redfish nodes."""
        small = dict(test_ironic._node_type('physnet1'), memory_mb=memory_mb)
        return self.cluster(
            node_types={'small': small,
                        'rf': dict(small, ironic_driver='redfish')},
            specs=[{'type': 'small', 'count': count,
                    'ironic_config': {'resource_class': 'rc'}},
                   {'type': 'rf', 'count': redfish,
                    'node_name_prefix': self.node_prefix + 'r',
                    'ironic_config': {'resource_class': 'rc'}}],
            hypervisors=self.hypervisors(hosts, **extra),
            libvirt_pool_path=self.pool_path, libvirt_vm_engine='qemu',
            default_boot_mode='bios', redfish_port=self.redfish_port)

    def host(self, name):
        return {host.name: host for host in self.hosts.hosts}.get(name)

    def uri(self, hypervisor):
        host = self.host(hypervisor)
        return host.libvirt_uri if host else 'qemu:///system'

    def virsh(self, hypervisor, *argv):
        return base.run(['virsh', '-c', self.uri(hypervisor)]
                        + list(argv)).stdout

    def assert_powered_on_its_host(self, node):
        self.assert_powered_by_ironic(node['name'], timeout=60,
                                      uri=self.uri(node['hypervisor']))

    def domains_on(self, hypervisor):
        return sorted(d for d in self.virsh(hypervisor, 'list', '--all',
                                            '--name').split()
                      if d.startswith(self.node_prefix))

    def assert_placed(self):
        nodes = self.state()['nodes']
        for hypervisor in ['localhost'] + [h.name for h in self.hosts.hosts]:
            self.assertEqual(
                sorted(n['name'] for n in nodes.values()
                       if n['hypervisor'] == hypervisor),
                self.domains_on(hypervisor), hypervisor)
        for node in nodes.values():
            host = self.host(node['hypervisor'])
            if host is None:
                self.assert_wiring(node, 'openvswitch')
                continue
            self.assertEqual(host.address, node['bmc']['address'])
            for nic in node['nics']:
                self.assertEqual(nic['bridge'], host.ssh(
                    'ovs-vsctl', 'port-to-br',
                    nic['veth_bridge']).stdout.strip())
            if node['bmc']['driver'] == 'ipmi':
                self.assertIn('off', self.power(node, 'status'))
        return nodes

    def assert_lldp(self, nodes, ports):
        """Each NIC hears, in its hypervisor, what Ironic was given."""
        for hypervisor in {n['hypervisor'] for n in nodes.values()}:
            nics = [nic for node in nodes.values()
                    if node['hypervisor'] == hypervisor
                    for nic in node['nics']]
            host = self.host(hypervisor)
            argv = lldp_receiver.command(15, [nic['veth_node']
                                              for nic in nics])
            heard = json.loads((host.inside if host else base.run)(
                argv).stdout)
            for nic in nics:
                self.assertEqual(ports[nic['mac']],
                                 heard.get(nic['veth_node']), hypervisor)

    def assert_verified(self, path, nodes):
        """tenks verify passes, reading remote hypervisors over SSH."""
        rows = json.loads(self.tenks('verify', path, '-f', 'json').stdout)
        self.assertEqual([], [row for row in rows if not row['OK']])
        wiring = {row['Node']: row['Status'] for row in rows
                  if row['Check'] == 'wiring'}
        self.assertEqual(sorted(nodes), sorted(wiring))
        self.assertEqual({'passed'}, set(wiring.values()))

    def test_nodes_over_three_hypervisors(self):
        # A hypervisor with too little room gets no node.
        hv1 = self.hosts.hosts[1].name
        planned = json.loads(self.tenks('plan', self.multi(
            3, redfish=0, **{hv1: {'capacity': {'memory_mb': 200}}}), '-f',
            'json').stdout)
        self.assertEqual([], [a for a in planned if a['Kind'] == 'domain'
                              and a['Hypervisor'] == hv1])
        self.assertEqual(3, len([a for a in planned
                                 if a['Kind'] == 'domain']))
        # A hypervisor out of reach stops the run before any change.
        down = {'down': {'address': '127.0.0.2',
                         'ssh_port': base._tcp_free_port(),
                         'physnet_mappings': {'physnet1': SOURCE}}}
        path = self.multi(5)
        with open(path) as stream:
            data = yaml.safe_load(stream)
        data['hypervisors'].update(down)
        with open(path, 'w') as stream:
            yaml.safe_dump(data, stream)
        result = self.tenks('deploy', path, check=False)
        self.assertEqual(1, result.returncode)
        self.assertEqual(1, len(result.stderr.strip().splitlines()))
        self.assertIn('Hypervisor down is out of reach', result.stderr)
        self.assertFalse(os.path.exists(self.state_file))
        # A node that fits nowhere stops the run before any change.
        result = self.tenks('deploy', self.multi(1, memory_mb=10 ** 8,
                                                 redfish=0), check=False)
        self.assertEqual(1, result.returncode)
        self.assertIn('MiB', result.stderr)
        self.assertEqual([], self.domains_on('localhost'))
        self.assertFalse(os.path.exists(self.state_file))

        self.tenks('deploy', self.multi(5))
        nodes = self.assert_placed()
        self.assertEqual({'localhost', self.hosts.hosts[0].name, hv1},
                         {n['hypervisor'] for n in nodes.values()})
        # The Redfish node's emulator runs on its namespace hypervisor.
        redfish = nodes[self.node_prefix + 'r0']
        self.assertEqual(hv1, redfish['hypervisor'])
        self.assertEqual('http://%s:%d' % (self.host(hv1).address,
                                           self.redfish_port),
                         self.baremetal('node', 'show', redfish['name'])[
                             'driver_info']['redfish_address'])
        self.assert_powered_on_its_host(redfish)
        ports = {port['address']: port['local_link_connection']
                 for port in self.baremetal('port', 'list', '--long')}
        for node in nodes.values():
            for nic in node['nics']:
                self.assertEqual(
                    nic['bridge'] if node['hypervisor'] == 'localhost'
                    else '%s/%s' % (node['hypervisor'], nic['bridge']),
                    ports[nic['mac']]['switch_info'])
        self.assert_lldp(nodes, ports)
        for hypervisor in {n['hypervisor'] for n in nodes.values()}:
            node = min((n for n in nodes.values()
                        if n['hypervisor'] == hypervisor),
                       key=lambda n: n['name'])
            self.assert_powered_on_its_host(node)
        self.assert_verified(self.multi(5), nodes)

        self.tenks('deploy', self.multi(6, hosts=3))
        grown = self.assert_placed()
        for name, node in nodes.items():
            self.assertEqual(node['hypervisor'], grown[name]['hypervisor'])
            self.assertEqual(node['nics'], grown[name]['nics'])
        third = self.hosts.hosts[2].name
        self.assertEqual(
            sorted(set(grown) - set(nodes)),
            sorted(n['name'] for n in grown.values()
                   if n['hypervisor'] == third))

        self.tenks('teardown', self.multi(6, hosts=3))
        self.assertEqual([], self.baremetal('node', 'list'))
        self.assertEqual([], self.leftovers())
        for host in self.hosts.hosts:
            self.assertEqual([], self.domains_on(host.name))
            self.assertEqual('', host.ssh('ovs-vsctl', 'list-br').stdout)
            self.assertEqual('', host.ssh('virsh', 'pool-list', '--all',
                                          '--name').stdout.strip())
