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

"""networking-generic-switch drives the ports Tenks enrolled in Ironic.

A mixin for a class of tests/functional/test_ironic.py, so that it shares
that class's Ironic. NGS's own device code, from the configuration
`tenks switch-config` wrote, logs in over SSH (a real sshd on loopback,
trusting only the key line Tenks wrote) and moves nodes' bridge ports
between VLANs; each node's end of its veth pair sits in a namespace of
the test, and pings between them show which nodes share a VLAN.
"""

import json
import os
import stat
import subprocess
import sys

import openstack

from tests.functional import base
from tests import nshosts

_TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# Addresses no other test uses, inside the test's own namespaces.
ADDRESSES = ('203.0.113.231', '203.0.113.232', '203.0.113.233')


class SwitchTests:
    """For an IronicTestCase (self.baremetal, its source bridges)."""

    def test_ports_driven_by_networking_generic_switch(self):
        path = self.cluster(
            node_types={'n': {'memory_mb': 256, 'vcpus': 1,
                              'volumes': [{'capacity': '1GiB'}],
                              'physical_networks': ['physnet1']}},
            specs=[{'type': 'n', 'count': 3,
                    'ironic_config': {'resource_class': 'rc'}}],
            physnet_mappings={'physnet1': self.source_prefix + 'ov'},
            bridge_type='openvswitch', default_boot_mode='bios')
        ngs_dir = os.path.join(os.path.dirname(self.state_file), 'ngs')
        refused = self.tenks('switch-config', path, check=False)
        self.assertEqual(1, refused.returncode)
        self.assertIn('no deployed node is enrolled in Ironic',
                      refused.stderr)
        self.assertFalse(os.path.exists(ngs_dir))
        self.tenks('deploy', path)
        files = self.switch_config(path)
        self.start_ngs(files['ml2_conf_genericswitch.ini'])
        nics = [node['nics'][0] for node in sorted(
            self.state()['nodes'].values(), key=lambda n: n['name'])]
        links = self.links(nics, files['ml2_conf_genericswitch.ini'])
        for nic, address in zip(nics, ADDRESSES):
            self.node_end_in_namespace(nic, address)
        self.assert_vlans_isolate(nics, links)
        self.assert_tenks_leaves_tags(path, nics)
        self.tenks('teardown', path)
        self.assertFalse(os.path.exists(ngs_dir))

    def switch_config(self, path):
        """Tenks' files, private, and an sshd trusting its key line."""
        port = base._tcp_free_port()
        rows = json.loads(self.tenks('switch-config', path, '--port',
                                     str(port), '-f', 'json').stdout)
        files = {os.path.basename(row['File']): row['File'] for row in rows}
        self.assertEqual(['authorized_keys', 'ml2_conf_genericswitch.ini',
                          'sudoers', 'switch_key'], sorted(files))
        for name, file_path in files.items():
            self.assertEqual(0o600, stat.S_IMODE(os.stat(file_path).st_mode),
                             name)
        sshd = nshosts.LoopbackSshd(self.workdir, port,
                                    files['authorized_keys'])
        self.addCleanup(sshd.stop)
        sshd.start()
        return files

    def links(self, nics, config_file):
        """Each NIC's local_link_connection in Ironic, matched by NGS."""
        # openstacksdk here: the openstack command's start costs seconds.
        cloud = openstack.connect()
        self.addCleanup(cloud.close)
        ports = {port.address: port.local_link_connection
                 for port in cloud.baremetal.ports(details=True)}
        links = [ports[nic['mac']] for nic in nics]
        with open(config_file) as stream:
            text = stream.read()
        bridge = json.loads(base.run(
            ['ip', '-j', 'link', 'show', nics[0]['bridge']]).stdout)[0]
        for nic, link in zip(nics, links):
            self.assertEqual(nics[0]['bridge'], nic['bridge'])
            self.assertEqual(bridge['address'], link['switch_id'])
            self.assertIn('[genericswitch:%s]' % link['switch_info'], text)
            self.assertIn('ngs_mac_address = %s' % link['switch_id'], text)
        return links

    def node_end_in_namespace(self, nic, address):
        namespace = nic['veth_node'] + 'ns'
        base.run(['ip', 'netns', 'add', namespace])
        self.addCleanup(base.run, ['ip', 'netns', 'del', namespace],
                        check=False)
        base.run(['ip', 'link', 'set', 'dev', nic['veth_node'], 'netns',
                  namespace])
        # Back where Tenks made it before the namespace goes (the cleanups
        # run in reverse), so that its teardown finds its own veth.
        self.addCleanup(self._node_end_back, nic['veth_node'], namespace)
        for argv in (['addr', 'add', address + '/24', 'dev',
                      nic['veth_node']],
                     ['link', 'set', 'dev', nic['veth_node'], 'up']):
            base.run(['ip', '-n', namespace] + argv)

    def _node_end_back(self, link, namespace):
        result = base.run(['ip', '-n', namespace, 'link', 'set', 'dev',
                           link, 'netns', '1'], check=False)
        if result.returncode == 0:
            base.run(['ip', 'link', 'set', 'dev', link, 'up'])

    def assert_vlans_isolate(self, nics, links):
        first, second, third = range(3)
        # Untagged, as Tenks leaves them: one L2, all reach each other.
        self.assert_reach(first, third, nics)
        self.assertEqual([links[0]['switch_info']] * 3, self.ngs(
            [('plug', links[0], 101), ('plug', links[1], 101),
             ('plug', links[2], 102)]))
        self.assertEqual(['101', '101', '102'], self.tags(nics))
        self.assert_reach(first, second, nics)
        self.assert_isolated(first, third, nics)
        self.assert_isolated(second, third, nics)
        # The third node's port moves to the first two's VLAN.
        self.ngs([('unplug', links[2], 102), ('plug', links[2], 101)])
        self.assertEqual(['101', '101', '101'], self.tags(nics))
        self.assert_reach(first, third, nics)
        # Unplugged, found by switch_info alone: out of VLAN 101 again.
        by_name = {key: links[2][key] for key in ('switch_info', 'port_id')}
        self.ngs([('unplug', by_name, 101)])
        self.assertEqual(['101', '101', '[]'], self.tags(nics))
        self.assert_isolated(first, third, nics)

    def assert_tenks_leaves_tags(self, path, nics):
        """The tags are NGS's: Tenks sees nothing to change in them."""
        for nic in nics:
            self._node_end_back(nic['veth_node'], nic['veth_node'] + 'ns')
        # A deploy that plans no change, changes nothing.
        self.assertIn('no changes', self.tenks('deploy', path).stdout)
        self.assertEqual(['101', '101', '[]'], self.tags(nics))

    def start_ngs(self, config_file):
        """NGS's driver process, started while the deploy goes on."""
        self.driver_log = os.path.join(self.workdir, 'ngs-driver.log')
        with open(self.driver_log, 'w') as log:
            self.driver = subprocess.Popen(
                [os.environ.get('TENKS_NGS_PYTHON', sys.executable), '-m',
                 'tests.functional.ngs_driver',
                 config_file], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, text=True, cwd=_TOP)
        self.addCleanup(base.stop, self.driver)

    def ngs(self, operations):
        """The devices NGS's driver sent operations to."""
        self.driver.stdin.write(json.dumps(
            [{'action': action, 'local_link_connection': link, 'vlan': vlan}
             for action, link, vlan in operations]) + '\n')
        self.driver.stdin.flush()
        answer = self.driver.stdout.readline()
        if not answer:
            with open(self.driver_log) as log:
                self.fail('NGS driver ended: %s' % log.read()[-3000:])
        return json.loads(answer)

    def tags(self, nics):
        return [base.run(['ovs-vsctl', 'get', 'Port', nic['veth_bridge'],
                          'tag']).stdout.strip() for nic in nics]

    def _ping(self, source, target, nics, seconds):
        return base.run(
            ['ip', 'netns', 'exec', nics[source]['veth_node'] + 'ns',
             'ping', '-c', '2', '-i', '0.2', '-w', str(seconds),
             ADDRESSES[target]], check=False)

    def assert_reach(self, source, target, nics):
        result = self._ping(source, target, nics, 10)
        self.assertEqual(0, result.returncode, result.stdout)

    def assert_isolated(self, source, target, nics):
        # As long as the same ping took between nodes of one VLAN.
        result = self._ping(source, target, nics, 2)
        self.assertNotEqual(0, result.returncode, result.stdout)
        self.assertIn(' 0 received', result.stdout)
