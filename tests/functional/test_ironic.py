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

"""Enrolment into a real standalone Ironic, driven through Ironic."""

import json
import os
import secrets
import shutil
import tempfile
import time

import fixtures
from testtools import content
import yaml

from tenks.standalone import ironic
from tenks.standalone import keystone as standalone_keystone
from tenks.standalone import loopback
from tests.functional import base
from tests.functional import switch
from tests.functional import test_deploy

OPENSTACK = os.path.join(os.path.dirname(base.TENKS), 'openstack')


def _node_type(*physnets):
    return {'memory_mb': 256, 'vcpus': 1, 'volumes': [{'capacity': '2GiB'}],
            'physical_networks': list(physnets)}


class IronicTestCase(test_deploy.DeployTestCase):
    """Tests sharing their class's standalone Ironic, stopped whatever happens.

    One Ironic per class, not per test: its start costs ~5 s, and each
    test's nodes carry the test's own names and are torn down with it.
    """

    # Whether Ironic runs behind a Keystone of its own (keystone auth).
    with_keystone = False
    # Whether it has a provisioning network (its device: cls.ironic.
    # provisioning.device, for physnet_mappings).
    with_provisioning = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ironic_dir = tempfile.mkdtemp(prefix='tenks-functional-ironic-')
        keystone = None
        if cls.with_keystone:
            keystone = standalone_keystone.StandaloneKeystone(
                os.path.join(cls.ironic_dir, 'keystone'),
                loopback.find_free_port())
        cls.ironic = cls.make_ironic(keystone)
        try:
            cls.ironic.start()
        except BaseException as err:
            # No test exists yet to carry the logs: the error does.
            logs = cls._service_log_tails()
            cls.tearDownClass()
            raise AssertionError('standalone Ironic did not start: %s\n%s'
                                 % (err, logs)) from err

    @classmethod
    def make_ironic(cls, keystone):
        device = None
        if cls.with_provisioning:
            # Named as base.TenksTestCase names a test's own bridges, so
            # that tests running beside this class know it is not theirs.
            device = 'tks%spn' % secrets.token_hex(2)
        return ironic.StandaloneIronic(
            cls.ironic_dir, loopback.find_free_port(), keystone, device)

    @classmethod
    def _service_log_tails(cls):
        tails = []
        for path in cls._service_logs():
            if path.exists():
                tails.append('%s:\n%s' % (path, path.read_text(
                    errors='replace')[-5000:]))
        return '\n'.join(tails)

    @classmethod
    def _service_logs(cls):
        logs = [cls.ironic.log_file]
        if cls.ironic.keystone:
            logs.append(cls.ironic.keystone.log_file)
        if cls.ironic.provisioning:
            logs += [cls.ironic.provisioning.workdir / name for name in (
                'dnsmasq.log', 'http.log', 'forward.log')]
        return logs

    @classmethod
    def tearDownClass(cls):
        cls.ironic.stop()
        shutil.rmtree(cls.ironic_dir, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.addOnException(self.attach_service_logs)
        self.clouds = self._clouds_with_unreachable_one()
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', self.clouds))
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLOUD', self.ironic.cloud_name))
        # Swept again while the cloud is still named, so that a failed
        # test leaves no node in the Ironic the next test of its class uses.
        self.addCleanup(self.sweep)
        self.linux_bridge(self.source_prefix + 'lb')
        self.ovs_bridge(self.source_prefix + 'ov')

    def attach_service_logs(self, exc_info):
        for path in self._service_logs():
            if path.exists():
                self.addDetail(path.name, content.content_from_file(
                    str(path), buffer_now=True))

    def _clouds_with_unreachable_one(self):
        with open(self.ironic.clouds_yaml) as stream:
            clouds = yaml.safe_load(stream)
        down = json.loads(json.dumps(clouds['clouds'][
            self.ironic.cloud_name]).replace(
                str(self.ironic.port), str(base._tcp_free_port())))
        clouds['clouds']['tenks-down'] = down
        path = os.path.join(self.workdir, 'clouds.yaml')
        with open(path, 'w') as stream:
            yaml.safe_dump(clouds, stream)
        return path

    def baremetal(self, *args):
        return json.loads(base.run(
            [OPENSTACK, 'baremetal'] + list(args) + ['-f', 'json']).stdout)

    def two_nodes(self, rc_one='rc_one', **overrides):
        """One node on physnet1, one on physnet1 and physnet2."""
        return self.cluster(
            node_types={'one': _node_type('physnet1'),
                        'two': _node_type('physnet1', 'physnet2')},
            specs=[{'type': 'one', 'count': 1,
                    'ironic_config': {'resource_class': rc_one,
                                      'traits': ['CUSTOM_TENKS']}},
                   {'type': 'two', 'count': 1,
                    'ironic_config': {'resource_class': 'rc_two'}}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb',
                              'physnet2': self.source_prefix + 'ov'},
            default_boot_mode='bios', **overrides)

    def mixed_cluster(self, ipmi=1, redfish=1, ipmi_physnets=('physnet1',),
                      redfish_physnets=('physnet1',), ipmi_config=None):
        """IPMI nodes, then Redfish ones named <prefix>r<n>, all enrolled.

        physnet1 is on the test's Open vSwitch bridge, physnet2 on its
        Linux bridge.
        """
        self.redfish_port = base._tcp_free_port()
        return self.cluster(
            node_types={'ipmi': _node_type(*ipmi_physnets),
                        'rf': dict(_node_type(*redfish_physnets),
                                   ironic_driver='redfish')},
            specs=[{'type': 'ipmi', 'count': ipmi,
                    'ironic_config': dict({'resource_class': 'rc'},
                                          **(ipmi_config or {}))},
                   {'type': 'rf', 'count': redfish,
                    'node_name_prefix': self.node_prefix + 'r',
                    'ironic_config': {'resource_class': 'rc'}}],
            physnet_mappings={'physnet1': self.source_prefix + 'ov',
                              'physnet2': self.source_prefix + 'lb'},
            default_boot_mode='bios', redfish_port=self.redfish_port)

    def assert_node(self, node):
        shown = self.baremetal('node', 'show', node['name'])
        self.assertEqual(node['ironic_uuid'], shown['uuid'])
        properties = shown['properties']
        self.assertEqual(
            (node['vcpus'], node['memory_mb'], 2, 'x86_64', 'boot_mode:bios'),
            (int(properties['cpus']), int(properties['memory_mb']),
             int(properties['local_gb']), properties['cpu_arch'],
             properties['capabilities']))
        self.assertEqual('ipmi', shown['driver'])
        self.assertEqual(node['bmc']['port'],
                         int(shown['driver_info']['ipmi_port']))

    def assert_ports(self, nodes):
        ports = {port['address']: port
                 for port in self.baremetal('port', 'list', '--long')}
        nics = {nic['mac']: (node, nic) for node in nodes.values()
                for nic in node['nics']}
        self.assertEqual(sorted(nics), sorted(ports))
        for mac, (node, nic) in nics.items():
            port = ports[mac]
            self.assertIn(mac, [i.find('mac').get('address') for i in
                                self.domain(node['name']).findall(
                                    'devices/interface')])
            self.assertEqual(node['ironic_uuid'], port['node_uuid'])
            self.assertEqual(nic['physnet'], port['physical_network'])
            bridge = json.loads(base.run(
                ['ip', '-j', 'link', 'show', nic['bridge']]).stdout)[0]
            self.assertEqual({'switch_id': bridge['address'],
                              'switch_info': nic['bridge'],
                              'port_id': nic['veth_bridge']},
                             port['local_link_connection'])
            self.assertEqual(nic['bridge'], base.run(
                ['ovs-vsctl', 'port-to-br',
                 nic['veth_bridge']]).stdout.strip())

    def assert_powered_by_ironic(self, name, timeout=30, uri=None):
        """Power on and off through Ironic reach the domain at uri."""
        for action, state in (('on', 'running'), ('off', 'shut off')):
            base.run([OPENSTACK, 'baremetal', 'node', 'power', action,
                      '--power-timeout', '120', name])
            # Ironic answers at once and powers the node in the background.
            self.wait_domstate(name, state, timeout, uri)

    def assert_driven_by_ironic(self, node):
        name = node['name']
        self.assert_powered_by_ironic(name)
        base.run([OPENSTACK, 'baremetal', 'node', 'boot', 'device', 'set',
                  name, 'disk'])
        boot = base.run(['virsh', 'dumpxml', '--inactive', name]).stdout
        self.assertIn("<boot dev='hd'/>", boot)
        self.assertNotIn("<boot dev='network'/>", boot)


class TestEnrolment(IronicTestCase, switch.SwitchTests):

    def test_enrol_drive_update_teardown(self):
        # One worker for two nodes: moving a node to manageable needs its
        # BMC, and must not wait in the pool the host steps need.
        with open(self.conf_file) as stream:
            conf = stream.read()
        with open(self.conf_file, 'w') as stream:
            stream.write(conf.replace('[DEFAULT]\n',
                                      '[DEFAULT]\nworkers = 1\n'))
        path = self.two_nodes()
        self.tenks('deploy', path, timeout=300)
        nodes = self.state()['nodes']
        listed = {n['name']: n for n in self.baremetal('node', 'list')}
        self.assertEqual(sorted(nodes), sorted(listed))
        for node in nodes.values():
            self.assertEqual('manageable',
                             listed[node['name']]['provision_state'])
            self.assert_node(node)
        self.assert_ports(nodes)
        listing = json.loads(self.tenks('list', path, '-f', 'json').stdout)
        self.assertEqual(
            [(n['ironic_uuid'], 'manageable', 'power off')
             for n in sorted(nodes.values(), key=lambda n: n['name'])],
            [(row['Ironic UUID'], row['Provision state'], row['Power state'])
             for row in listing])
        self.assert_driven_by_ironic(nodes[self.node_prefix + '0'])
        self.assert_idempotent(path)
        self.assert_resource_class_edit()
        self.tenks('teardown', path)
        self.assertEqual([], self.baremetal('node', 'list'))
        self.assertEqual([], self.baremetal('port', 'list'))
        self.assertEqual([], self.leftovers())

    def assert_resource_class_edit(self):
        path = self.two_nodes(rc_one='rc_edited')
        plan = json.loads(self.tenks('plan', path, '-f', 'json').stdout)
        self.assertEqual([{'Action': 'update', 'Kind': 'ironic-node',
                           'Name': self.node_prefix + '0',
                           'Hypervisor': 'localhost',
                           'Reason': 'resource_class'}], plan)
        self.tenks('deploy', path)
        self.assertEqual('rc_edited', self.baremetal(
            'node', 'show', self.node_prefix + '0')['resource_class'])
        self.assertEqual('rc_two', self.baremetal(
            'node', 'show', self.node_prefix + '1')['resource_class'])


class TestIronicErrors(IronicTestCase):

    def assert_one_line_error(self, result, *expected):
        self.assertEqual(1, result.returncode, result.stdout)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(1, len(lines), result.stderr)
        for text in expected:
            self.assertIn(text, lines[0])

    def test_unreachable_then_recovered(self):
        path = self.two_nodes()
        with fixtures.EnvironmentVariable('OS_CLOUD', 'tenks-down'):
            self.assert_one_line_error(
                self.tenks('deploy', path, check=False), 'Ironic: ',
                'http://127.0.0.1:', 'unavailable')
        # Ironic is observed while planning: nothing changed on the host.
        self.assertFalse(os.path.exists(self.state_file))
        self.assertEqual([], self.leftovers())
        self.tenks('deploy', path)
        self.assertEqual(2, len(self.baremetal('node', 'list')))
        self.assert_idempotent(path)

    def test_unknown_cloud(self):
        path = self.two_nodes()
        with fixtures.EnvironmentVariable('OS_CLOUD', 'no-such-cloud'):
            self.assert_one_line_error(self.tenks('deploy', path,
                                                  check=False),
                                       'no-such-cloud')

    def test_rejected_node_then_fixed(self):
        path = self.cluster(
            node_types={'one': _node_type('physnet1')},
            specs=[{'type': 'one', 'count': 1, 'ironic_config': {
                'resource_class': 'rc', 'power_interface': 'bogus'}}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb'})
        self.assert_one_line_error(self.tenks('deploy', path, check=False),
                                   self.node_prefix + '0', 'bogus')
        # The domain and BMC were made and recorded before Ironic refused.
        self.assertEqual([self.node_prefix + '0'], list(self.state()['nodes']))
        self.assertEqual('shut off', self.domstate(self.node_prefix + '0'))
        path = self.cluster(
            node_types={'one': _node_type('physnet1')},
            specs=[{'type': 'one', 'count': 1, 'ironic_config': {
                'resource_class': 'rc'}}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb'})
        self.tenks('deploy', path)
        nodes = self.baremetal('node', 'list')
        self.assertEqual(['manageable'],
                         [n['provision_state'] for n in nodes])
        self.assert_idempotent(path)


class TestForcedTeardown(IronicTestCase):

    def deploy_to_undeletable_state(self, name):
        """Start a ramdisk deploy; it ends where Ironic will not delete.

        The ramdisk's URL answers nothing, so the deploy fails: "deploy
        failed", like "active", is a state Ironic refuses to delete from.
        """
        nowhere = 'http://127.0.0.1:%d/' % base._tcp_free_port()
        base.run([OPENSTACK, 'baremetal', 'node', 'set', name,
                  '--instance-info', 'kernel=%skernel' % nowhere,
                  '--instance-info', 'ramdisk=%sramdisk' % nowhere])
        base.run([OPENSTACK, 'baremetal', 'node', 'deploy', name])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = self.baremetal('node', 'show', name)['provision_state']
            if state in ('active', 'deploy failed'):
                return state
            time.sleep(1)
        self.fail('%s stuck in %s' % (name, state))

    def test_deployed_node_needs_force(self):
        path = self.cluster(
            node_types={'one': _node_type('physnet1')},
            specs=[{'type': 'one', 'count': 1, 'ironic_config': {
                'resource_class': 'rc', 'deploy_interface': 'ramdisk'}}],
            nova_flavors=[{'resource_class': 'rc', 'node_type': 'one'}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb'},
            ironic_target_state='available', wait_for_placement=True)
        result = self.tenks('deploy', path)
        self.assertEqual(1, result.stderr.count(
            'nova_flavors: the cloud has no compute (Nova) service'))
        self.assertEqual(1, result.stderr.count(
            'wait_for_placement: the cloud has no placement service'))
        name = self.node_prefix + '0'
        self.assertEqual('available', self.baremetal(
            'node', 'show', name)['provision_state'])
        state = self.deploy_to_undeletable_state(name)
        refused = self.tenks('teardown', path, check=False)
        self.assertEqual(1, refused.returncode)
        self.assertIn('Ironic node %s is %s' % (name, state), refused.stderr)
        self.assertIn('--force', refused.stderr)
        # Refused while planning: the domain is still there.
        self.assertIn(name, base.run(['virsh', 'list', '--all',
                                      '--name']).stdout.split())
        self.assertEqual(1, len(self.baremetal('node', 'list')))
        self.tenks('teardown', '--force', path)
        self.assertEqual([], self.baremetal('node', 'list'))
        self.assertEqual([], self.leftovers())
