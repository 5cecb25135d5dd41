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

"""The IPMI checks VirtualBMC gets, with the tenks-ipmi emulator.

One cluster goes through all of them, to keep the suite short: ipmitool
drives power and boot device, a node is added and removed while the
other BMCs keep answering, the killed emulator is restarted, and a
teardown without state leaves nothing. Ironic's checks run by the
enrolment test with this emulator chosen.
"""

import json
import os
import signal
import threading
import xml.etree.ElementTree as ET

from tests.functional import base
from tests.functional import test_deploy
from tests.functional import test_ironic

EMULATORS = {'ipmi': 'tenks-ipmi'}


class TestTenksIPMI(test_deploy.DeployTestCase):

    def setUp(self):
        super().setUp()
        self.lb = self.source_prefix + 'lb'
        self.linux_bridge(self.lb)

    def cluster_of(self, count):
        return self.cluster(
            node_types={'small': test_ironic._node_type('physnet1')},
            specs=[{'type': 'small', 'count': count}],
            physnet_mappings={'physnet1': self.lb},
            bridge_type='linuxbridge', default_boot_mode='bios',
            bmc_emulators=EMULATORS)

    def ipmitool(self, node, *args, check=True):
        credentials = self.state()['credentials']
        # Short timeouts: an answer is expected at once, or never.
        return base.run([
            'ipmitool', '-I', 'lanplus', '-N', '2', '-R', '2',
            '-H', node['bmc']['address'], '-p', str(node['bmc']['port']),
            '-U', credentials['ipmi_username'],
            '-P', credentials['ipmi_password']] + list(args), check=check)

    def emulator_pid(self):
        pids = self.daemon_pids()
        self.assertEqual(1, len(pids), pids)
        with open('/proc/%d/cmdline' % pids[0], 'rb') as stream:
            self.assertIn(b'-m\0tenks.ipmi_emulator\0', stream.read())
        return pids[0]

    def planned(self, path, *options):
        return [(a['Action'], a['Kind'], a['Name']) for a in json.loads(
            self.tenks('plan', *options, path, '-f', 'json').stdout)]

    def test_drive_resize_repair_lose_state(self):
        path = self.cluster_of(2)
        self.tenks('deploy', path)
        pid = self.emulator_pid()
        nodes = self.state()['nodes']
        first, second = (nodes[self.node_prefix + '0'],
                         nodes[self.node_prefix + '1'])
        self.assertIn('off', self.power(second, 'status'))
        self.assert_power_cycle(first)
        self.assert_boot_device(first)
        self.assert_idempotent(path)

        third = self.assert_added_while_answering(first, second)
        self.assertEqual(pid, self.emulator_pid())
        self.tenks('deploy', self.cluster_of(2))
        self.assertNotEqual(0, self.ipmitool(third, 'power', 'status',
                                             check=False).returncode)
        for node in (first, second):
            self.assertIn('off', self.power(node, 'status'))
        self.assertEqual(pid, self.emulator_pid())

        self.assert_restarted_after_kill(path, pid, first, second)
        self.assert_lost_state_teardown(path)

    def assert_boot_device(self, node):
        for bootdev, dev, selector in (('disk', 'hd', 'Hard-Drive'),
                                       ('pxe', 'network', 'PXE')):
            self.ipmitool(node, 'chassis', 'bootdev', bootdev)
            root = ET.fromstring(base.run(['virsh', 'dumpxml', '--inactive',
                                           node['name']]).stdout)
            self.assertEqual([dev], [b.get('dev')
                                     for b in root.findall('os/boot')])
            flags = self.ipmitool(node, 'chassis', 'bootparam', 'get',
                                  '5').stdout
            self.assertIn(selector, flags)
            self.assertIn('all future boots', flags)

    def assert_added_while_answering(self, *kept):
        """Deploy a third node while the kept BMCs are asked non-stop."""
        path = self.cluster_of(3)
        self.assertEqual(
            [('create', 'ipmi-bmc', self.node_prefix + '2')],
            [a for a in self.planned(path) if 'ipmi' in a[1]])
        sockets = self.udp_sockets(kept)
        self.assertEqual(len(kept), len(sockets))
        answers, failures = [], []
        done = threading.Event()

        def ask():
            while not done.is_set():
                for node in kept:
                    result = self.ipmitool(node, 'power', 'status',
                                           check=False)
                    (answers if 'off' in result.stdout else failures).append(
                        result.stderr.strip())

        asker = threading.Thread(target=ask)
        asker.start()
        try:
            self.tenks('deploy', path)
        finally:
            done.set()
            asker.join()
        self.assertEqual([], failures)
        self.assertGreaterEqual(len(answers), len(kept))
        # Not even a short gap: the very sockets that served them still do.
        self.assertEqual(sockets, self.udp_sockets(kept))
        third = self.state()['nodes'][self.node_prefix + '2']
        self.assertIn('off', self.power(third, 'status'))
        return third

    @staticmethod
    def udp_sockets(nodes):
        """The inode of the UDP socket bound to each node's BMC port."""
        ports = {'%04X' % node['bmc']['port']: node['name'] for node in nodes}
        found = {}
        with open('/proc/net/udp') as stream:
            for line in stream.readlines()[1:]:
                fields = line.split()
                port = fields[1].split(':')[1]
                if port in ports:
                    found[ports[port]] = fields[9]
        return found

    def assert_restarted_after_kill(self, path, pid, *nodes):
        os.kill(pid, signal.SIGKILL)
        planned = self.planned(path)
        self.assertIn(('create', 'ipmi-emulator', 'tenks-ipmi'), planned)
        for node in nodes:
            self.assertIn(('update', 'ipmi-bmc', node['name']), planned)
        self.tenks('deploy', path)
        self.assertNotEqual(pid, self.emulator_pid())
        for node in nodes:
            self.assertIn('off', self.power(node, 'status'))
        self.assertEqual([], self.planned(path))

    def assert_lost_state_teardown(self, path):
        os.unlink(self.state_file)
        self.assertIn(('delete', 'ipmi-emulator', 'tenks-ipmi'),
                      self.planned(path, '--teardown'))
        self.tenks('teardown', path)
        self.assertEqual([], self.leftovers())
        self.assertFalse(os.path.exists(os.path.join(
            os.path.dirname(self.state_file), 'tenks-ipmi')))


class TestEnrolmentTenksIPMI(test_ironic.TestEnrolment):
    """Enrolment, power and boot device through Ironic, and teardown."""

    # The switch networking-generic-switch drives is the same whatever
    # answers IPMI: TestEnrolment runs that test once.
    test_ports_driven_by_networking_generic_switch = None

    def two_nodes(self, rc_one='rc_one', **overrides):
        return super().two_nodes(rc_one, bmc_emulators=EMULATORS,
                                 **overrides)

    def assert_driven_by_ironic(self, node):
        pids = self.daemon_pids()
        self.assertEqual(1, len(pids), pids)
        with open('/proc/%d/cmdline' % pids[0], 'rb') as stream:
            self.assertIn(b'-m\0tenks.ipmi_emulator\0', stream.read())
        super().assert_driven_by_ironic(node)
