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

"""Hands on the cluster: drift, a lost state file, rival runs and names."""

import json
import os
import signal
import subprocess
import time
import uuid

from tests.functional import base
from tests.functional import test_deploy
from tests.functional import test_ironic

OPENSTACK = test_ironic.OPENSTACK


class TestDriftAndLostState(test_ironic.IronicTestCase):

    def pid_in(self, *path):
        with open(os.path.join(os.path.dirname(self.state_file),
                               *path)) as stream:
            return int(stream.read())

    def rounds(self, ipmi, rf):
        """Rounds of (what breaks, the action plan must show, how)."""
        nic = ipmi['nics'][0]
        volume = ipmi['volumes'][0]['name']

        def port_uuid():
            return self.baremetal('port', 'show', '--address',
                                  nic['mac'])['uuid']

        return [[
            ('bridge deleted', ('physnet', nic['bridge']),
             lambda: ['ovs-vsctl', 'del-br', nic['bridge']]),
            ('volume deleted', ('volume', volume),
             lambda: ['virsh', 'vol-delete', '--pool', self.pool, volume]),
            ('vbmcd killed', ('bmc-daemon', 'vbmcd'),
             lambda: ['kill', '-9', str(self.pid_in('vbmc',
                                                    'tenks-vbmcd.pid'))]),
            ('Ironic port deleted', ('ironic-port', nic['mac']),
             lambda: [OPENSTACK, 'baremetal', 'port', 'delete',
                      port_uuid()]),
        ], [
            ('veth deleted', ('veth', nic['veth_bridge']),
             lambda: ['ip', 'link', 'del', nic['veth_bridge']]),
            ('domain undefined', ('domain', ipmi['name']),
             lambda: ['virsh', 'undefine', ipmi['name']]),
            ('sushy-emulator killed', ('redfish-emulator', 'sushy-emulator'),
             lambda: ['kill', '-9', str(self.pid_in('sushy',
                                                    'tenks-sushy.pid'))]),
            ('Ironic node edited', ('ironic-node', rf['name']),
             lambda: [OPENSTACK, 'baremetal', 'node', 'set', rf['name'],
                      '--resource-class', 'edited']),
        ], [
            ('veth moved to another bridge', ('veth', nic['veth_bridge']),
             lambda: ['ovs-vsctl', '--', 'del-port', nic['veth_bridge'],
                      '--', 'add-port', self.source_prefix + 'ov',
                      nic['veth_bridge']]),
            ('domain memory changed', ('domain', rf['name']),
             lambda: ['virsh', 'setmaxmem', rf['name'], '300M',
                      '--config']),
        ]]

    def test_drift_repaired(self):
        path = self.mixed_cluster(ipmi_physnets=('physnet1', 'physnet2'))
        self.tenks('deploy', path)
        nodes = self.state()['nodes']
        ipmi = nodes[self.node_prefix + '0']
        rf = nodes[self.node_prefix + 'r0']
        for breakages in self.rounds(ipmi, rf):
            for _, _, argv in breakages:
                base.run(argv())
            planned = [(a['Kind'], a['Name']) for a in json.loads(
                self.tenks('plan', path, '-f', 'json').stdout)]
            for what, expected, _ in breakages:
                self.assertIn(expected, planned, what)
            self.tenks('deploy', path)
            self.assertEqual([], json.loads(self.tenks(
                'plan', path, '-f', 'json').stdout))
        for node in (ipmi, rf):
            self.assert_hardware(node, 'bios')
            self.assert_wiring(node, 'openvswitch')
        self.assert_ports(nodes)
        self.assertEqual('rc', self.baremetal(
            'node', 'show', rf['name'])['resource_class'])
        self.assert_driven_by_ironic(ipmi)
        self.assert_clean_teardown(path)
        self.assertEqual([], self.baremetal('node', 'list'))

    def test_lost_state_teardown(self):
        path = self.mixed_cluster(ipmi_physnets=('physnet1', 'physnet2'))
        self.tenks('deploy', path)
        self.assertEqual(2, len(self.baremetal('node', 'list')))
        os.unlink(self.state_file)
        planned = json.loads(self.tenks('plan', '--teardown', path, '-f',
                                        'json').stdout)
        self.assertIn(('domain', self.node_prefix + 'r0'),
                      [(a['Kind'], a['Name']) for a in planned])
        self.tenks('teardown', path)
        self.assertEqual([], self.leftovers())
        self.assertEqual([], self.baremetal('node', 'list'))
        self.assertEqual([], self.baremetal('port', 'list'))
        self.assertFalse(os.path.exists(self.state_file))


class TestForeignResources(test_deploy.DeployTestCase):

    def setUp(self):
        super().setUp()
        self.lb = self.source_prefix + 'lb'
        self.linux_bridge(self.lb)

    def cluster_of(self, count):
        return self.cluster(
            node_types={'small': test_ironic._node_type('physnet1')},
            specs=[{'type': 'small', 'count': count}],
            physnet_mappings={'physnet1': self.lb})

    def foreign_domain(self, name):
        path = os.path.join(self.workdir, name + '.xml')
        with open(path, 'w') as stream:
            stream.write("<domain type='qemu'><name>%s</name><uuid>%s</uuid>"
                         "<memory unit='MiB'>64</memory><os><type "
                         "arch='x86_64'>hvm</type></os></domain>"
                         % (name, uuid.uuid4()))
        base.run(['virsh', 'define', path])
        self.addCleanup(base.run, ['virsh', 'undefine', name], check=False)
        return base.run(['virsh', 'dumpxml', name]).stdout

    def test_foreign_names_survive(self):
        # A foreign bridge where the cluster's first bridge would go.
        bridge = self.bridge_prefix + '0'
        self.linux_bridge(bridge)
        domain = self.foreign_domain(self.node_prefix + '0')
        path = self.cluster_of(1)
        result = self.tenks('deploy', path, check=False)
        self.assertEqual(1, result.returncode)
        self.assertIn('exists on localhost but was not created by this '
                      'Tenks cluster', result.stderr)
        self.tenks('teardown', path)
        self.assertEqual(domain, base.run(
            ['virsh', 'dumpxml', self.node_prefix + '0']).stdout)
        self.assertEqual([], json.loads(base.run(
            ['ip', '-j', 'link', 'show', 'master', bridge]).stdout))
        self.assertFalse(os.path.exists(self.state_file))

    def test_foreign_node_name_next_to_a_cluster(self):
        path = self.cluster_of(1)
        self.tenks('deploy', path)
        domain = self.foreign_domain(self.node_prefix + '1')
        state = self.state()
        result = self.tenks('deploy', self.cluster_of(2), check=False)
        self.assertEqual(1, result.returncode)
        self.assertIn('domain %s1 exists on localhost but was not created'
                      % self.node_prefix, result.stderr)
        self.assertEqual(1, len(result.stderr.strip().splitlines()))
        self.assertEqual(state['nodes'], self.state()['nodes'])
        self.tenks('teardown', path)
        self.assertEqual(domain, base.run(
            ['virsh', 'dumpxml', self.node_prefix + '1']).stdout)
        self.assertEqual([self.node_prefix + '1'], [
            d for d in base.run(['virsh', 'list', '--all',
                                 '--name']).stdout.split()
            if d.startswith(self.node_prefix)])


class TestConcurrentRuns(test_deploy.DeployTestCase):

    def test_second_run_refused(self):
        lb = self.source_prefix + 'lb'
        self.linux_bridge(lb)
        path = self.cluster(
            node_types={'small': test_ironic._node_type('physnet1')},
            specs=[{'type': 'small', 'count': 2}],
            physnet_mappings={'physnet1': lb})
        first = subprocess.Popen(
            [base.TENKS, '--config-file', self.conf_file, 'deploy', path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self._reap, first)
        self.wait_for_lock_holder(first.pid)
        # Held still while it holds the lock: a deploy of two nodes can
        # end in under a second, before the second run has even started.
        first.send_signal(signal.SIGSTOP)
        self.addCleanup(first.send_signal, signal.SIGCONT)
        for command in ('deploy', 'teardown'):
            result = self.tenks(command, path, check=False)
            self.assertEqual(1, result.returncode)
            self.assertEqual(1, len(result.stderr.strip().splitlines()))
            self.assertIn('%d' % first.pid, result.stderr)
            self.assertIn('deploy %s' % path, result.stderr)
        first.send_signal(signal.SIGCONT)
        _, errors = first.communicate(timeout=300)
        self.assertEqual(0, first.returncode, errors)
        self.assert_idempotent(path)
        self.assertEqual(2, len(self.state()['nodes']))
        self.assert_clean_teardown(path)

    def wait_for_lock_holder(self, pid, timeout=30):
        lock = self.state_file + '.lock'
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(lock) as stream:
                    if stream.readline().strip() == str(pid):
                        return
            except FileNotFoundError:
                pass
            time.sleep(0.01)
        self.fail('tenks deploy (%d) never took the lock' % pid)

    @staticmethod
    def _reap(child):
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        child.wait()


class TestSecrets(test_ironic.IronicTestCase):

    def test_passwords_stay_out_of_output_and_logs(self):
        secrets = {'ipmi_password': 'Ipmi-Secret-4711',
                   'redfish_password': 'Redfish-Secret-4711'}
        path = self.mixed_cluster(ipmi_physnets=('physnet1', 'physnet2'))
        with open(path) as stream:
            text = stream.read()
        with open(path, 'w') as stream:
            stream.write(text + ''.join('%s: %s\n' % item
                                        for item in secrets.items()))
        outputs = []
        for args in (('plan', path), ('--debug', 'deploy', path),
                     ('list', path, '-f', 'json'),
                     ('--debug', 'teardown', path)):
            result = self.tenks(*args)
            outputs += [result.stdout, result.stderr]
            if args[:2] == ('--debug', 'deploy'):
                self.assert_private_files(secrets.values())
                outputs += self.log_texts()
        self.assertIn('DEBUG', ''.join(outputs))
        for secret in secrets.values():
            self.assertNotIn(secret, ''.join(outputs))

    def assert_private_files(self, secrets):
        """The state and every file holding a secret: owner only."""
        state_dir = os.path.dirname(self.state_file)
        self.assertEqual(0o700, os.stat(state_dir).st_mode & 0o777)
        holders = [self.state_file]
        for root, _, files in os.walk(state_dir):
            for name in files:
                path = os.path.join(root, name)
                with open(path, 'rb') as stream:
                    data = stream.read()
                if any(s.encode() in data for s in secrets):
                    holders.append(path)
        self.assertIn(self.state_file, holders[1:])
        for path in holders:
            self.assertEqual(0o600, os.stat(path).st_mode & 0o777, path)

    def log_texts(self):
        log_dir = os.path.join(self.workdir, 'log')
        texts = []
        for root, _, files in os.walk(log_dir):
            for name in files:
                with open(os.path.join(root, name),
                          errors='replace') as stream:
                    texts.append(stream.read())
        return texts
