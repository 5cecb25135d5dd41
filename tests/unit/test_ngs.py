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

import configparser
import os
import stat

import fixtures
import testtools

from tenks import exception
from tenks.ironic import fields
from tenks import naming
from tenks import ngs
from tenks import ngs_files
from tenks import records
from tenks import state as state_module
from tests.unit import fakes

ACCESS = ngs.Access(None, '/s/ngs/switch_key', '127.0.0.1', None)


def _enrolled(count=2, **extra):
    data = fakes.cluster_data(count=count, **extra)
    for spec in data['specs']:
        spec['ironic_config'] = {'resource_class': 'rc'}
    return data


class TestSwitches(testtools.TestCase):

    def test_one_section_per_bridge_named_as_ironic_ports_name_it(self):
        cluster, state = fakes.scheduled(_enrolled())
        sections = dict(ngs.switches(state, 'openvswitch', ACCESS, 'c.yaml'))
        nics = [nic for node in state.nodes.values() for nic in node.nics]
        for nic in nics:
            link = fields.port_fields(
                nic, naming.bridge_mac(state.cluster_id, nic.bridge),
                'localhost', state.cluster_id)['local_link_connection']
            options = sections[link['switch_info']]
            self.assertEqual(link['switch_id'], options['ngs_mac_address'])
            self.assertIn(link['port_id'],
                          options['ngs_allowed_ports'].split(','))
        self.assertEqual({
            'device_type': 'netmiko_ovs_linux', 'ip': '127.0.0.1',
            'username': 'root', 'key_file': '/s/ngs/switch_key',
            'ngs_mac_address': naming.bridge_mac(state.cluster_id,
                                                 nics[0].bridge),
            'ngs_ovs_bridge': nics[0].bridge,
            'ngs_allowed_ports': ','.join(sorted(n.veth_bridge
                                                 for n in nics)),
        }, sections[nics[0].bridge])
        self.assertEqual(1, len(sections))

    def test_remote_hypervisors_by_their_ssh_and_switch_info(self):
        cluster, state = fakes.scheduled(_enrolled())
        for node in state.nodes.values():
            node.hypervisor = 'hv1'
        state.hypervisors['hv1'] = records.HypervisorRecord(
            ssh=records.Ssh(address='203.0.113.9', user='stack', port=2222))
        (name, options), = ngs.switches(state, 'openvswitch', ACCESS, 'c')
        bridge = next(iter(state.nodes.values())).nics[0].bridge
        self.assertEqual('hv1/' + bridge, name)
        self.assertEqual(('203.0.113.9', 'stack', '2222'),
                         (options['ip'], options['username'],
                          options['port']))

    def test_a_mac_two_hypervisors_share_is_left_to_switch_info(self):
        # NGS tries ngs_mac_address first: a shared one would send the
        # ports of both bridges to the first section.
        cluster, state = fakes.scheduled(_enrolled())
        first, second = sorted(state.nodes.values(), key=lambda n: n.name)
        second.hypervisor = 'hv1'
        state.hypervisors['hv1'] = records.HypervisorRecord(
            ssh=records.Ssh(address='203.0.113.9', user='stack', port=22))
        sections = ngs.switches(state, 'openvswitch', ACCESS, 'c')
        self.assertEqual(2, len(sections))
        for _, options in sections:
            self.assertNotIn('ngs_mac_address', options)

    def test_given_user_and_port_win(self):
        cluster, state = fakes.scheduled(_enrolled())
        access = ngs.Access('ngs', '/k', '203.0.113.20', 22)
        (_, options), = ngs.switches(state, 'openvswitch', access, 'c')
        self.assertEqual(('ngs', '203.0.113.20', '22'), (
            options['username'], options['ip'], options['port']))

    def test_nodes_not_enrolled_have_no_port_to_drive(self):
        cluster, state = fakes.scheduled()
        err = self.assertRaises(exception.SwitchHasNoPorts, ngs.switches,
                                state, 'openvswitch', ACCESS, 'c.yaml')
        self.assertIn('run tenks deploy first', str(err))

    def test_linux_bridges_are_refused(self):
        cluster, state = fakes.scheduled(_enrolled())
        self.assertRaises(exception.SwitchNotOpenvSwitch, ngs.switches,
                          state, 'linuxbridge', ACCESS, 'c.yaml')


class TestFiles(testtools.TestCase):

    def test_render_is_what_an_ini_parser_reads_back(self):
        sections = [('hv1/br0', {'ip': '203.0.113.9', 'port': '22'}),
                    ('br1', {'ip': '127.0.0.1'})]
        parser = configparser.ConfigParser()
        parser.read_string(ngs.render(sections))
        self.assertEqual(['genericswitch:hv1/br0', 'genericswitch:br1'],
                         parser.sections())
        self.assertEqual('22', parser['genericswitch:hv1/br0']['port'])

    def test_authorized_key_is_restricted_to_a_terminal(self):
        self.assertEqual(
            'restrict,pty ssh-ed25519 AAAAkey tenks-ngs-abcd\n',
            ngs.authorized_key('ssh-ed25519 AAAAkey old-comment\n', 'abcd'))

    def test_sudoers_names_only_users_other_than_root(self):
        text = ngs.sudoers(['root', 'stack', 'stack'])
        self.assertEqual(
            ['stack ALL=(root) NOPASSWD: /bin/sh, /bin/bash'],
            [line for line in text.splitlines()
             if not line.startswith('#')])


class TestWrite(testtools.TestCase):

    def _cluster(self, data):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'state.json')
        data['state_file_path'] = path
        cluster, state = fakes.scheduled(data,
                                         previous=state_module.empty(path))
        state_module.save(path, state)
        return cluster

    def test_files_are_private_and_the_key_is_kept(self):
        cluster = self._cluster(_enrolled())
        rows = ngs_files.write(cluster, port=2222)
        where = ngs_files.directory(cluster.state_file_path)
        self.assertEqual(
            ['authorized_keys', 'ml2_conf_genericswitch.ini', 'sudoers',
             'switch_key'], sorted(os.path.basename(p) for p, _ in rows))
        for path, _ in rows:
            self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        with open(os.path.join(where, 'switch_key.pub')) as stream:
            public = stream.read().split()[1]
        ngs_files.write(cluster)
        with open(os.path.join(where, 'authorized_keys')) as stream:
            self.assertIn(public, stream.read())
        ngs_files.remove(cluster.state_file_path)
        self.assertFalse(os.path.exists(where))

    def test_refused_input_writes_nothing(self):
        cluster = self._cluster(fakes.cluster_data())
        self.assertRaises(exception.SwitchHasNoPorts, ngs_files.write,
                          cluster)
        self.assertFalse(os.path.exists(
            ngs_files.directory(cluster.state_file_path)))

    def test_a_deploy_keeps_files_once_asked_for_current(self):
        cluster = self._cluster(_enrolled())
        where = ngs_files.directory(cluster.state_file_path)
        _, state = fakes.scheduled(_enrolled(count=3),
                                   previous=state_module.empty(
                                       cluster.state_file_path))
        ngs_files.refresh(cluster, state)
        self.assertFalse(os.path.exists(where))
        ngs_files.write(cluster, user='ngs', port=2222)
        ngs_files.refresh(cluster, state)
        parser = configparser.ConfigParser()
        parser.read(os.path.join(where, 'ml2_conf_genericswitch.ini'))
        (section,) = parser.sections()
        self.assertEqual(
            sorted(nic.veth_bridge for node in state.nodes.values()
                   for nic in node.nics),
            parser[section]['ngs_allowed_ports'].split(','))
        self.assertEqual(('ngs', '2222'), (parser[section]['username'],
                                           parser[section]['port']))
        self.assertEqual(3, len(state.nodes))

    def test_a_cluster_ngs_cannot_drive_keeps_its_old_files(self):
        cluster = self._cluster(_enrolled())
        ngs_files.write(cluster)
        config_file = os.path.join(
            ngs_files.directory(cluster.state_file_path),
            'ml2_conf_genericswitch.ini')
        with open(config_file) as stream:
            before = stream.read()
        _, state = fakes.scheduled(previous=state_module.empty(
            cluster.state_file_path))
        with self.assertLogs('tenks.ngs_files', 'WARNING') as logs:
            ngs_files.refresh(cluster, state)
        self.assertIn('no deployed node is enrolled', logs.output[0])
        with open(config_file) as stream:
            self.assertEqual(before, stream.read())
