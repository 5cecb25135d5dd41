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

"""SIGKILL `tenks deploy` and `tenks teardown` anywhere; the next run
finishes the job and nothing leaks."""

import signal
import subprocess
import time

from testtools import content

from tests.functional import base
from tests.functional import test_ironic

# Where in a run to kill it, as fractions of an unkilled run's duration.
KILL_POINTS = (0.05, 0.25, 0.45, 0.65, 0.85)


class TestKilledRuns(test_ironic.IronicTestCase):

    def setUp(self):
        super().setUp()
        self.path = self.mixed_cluster(
            ipmi=2, redfish_physnets=('physnet1', 'physnet2'),
            ipmi_config={'traits': ['CUSTOM_KILLED']})
        self.names = sorted([self.node_prefix + '0', self.node_prefix + '1',
                             self.node_prefix + 'r0'])
        self.kills = []
        self.addDetail('kills', content.Content(
            content.UTF8_TEXT, lambda: ['\n'.join(self.kills).encode()]))

    def timed(self, command):
        started = time.monotonic()
        self.tenks(command, self.path)
        return time.monotonic() - started

    def killed(self, command, after):
        """Start `tenks command`, SIGKILL it after `after` seconds."""
        child = subprocess.Popen(
            [base.TENKS, '--config-file', self.conf_file, command,
             self.path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            child.wait(timeout=after)
            outcome = 'finished first'
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait()
            outcome = 'killed'
        output = child.stdout.read().decode(errors='replace')
        child.stdout.close()
        done = [line for line in output.splitlines() if line.strip()]
        self.kills.append('%s at %.2f s: %s after %d lines; last: %s' % (
            command, after, outcome, len(done), done[-1] if done else '-'))

    def assert_deployed(self):
        self.assert_idempotent(self.path)
        nodes = self.state()['nodes']
        self.assertEqual(self.names, sorted(nodes))
        self.assertEqual(self.names, sorted(
            d for d in base.run(['virsh', 'list', '--all',
                                 '--name']).stdout.split()
            if d.startswith(self.node_prefix)))
        self.assertEqual(self.names, sorted(
            node['name'] for node in self.baremetal('node', 'list')))
        self.assertEqual(sum(len(node['nics']) for node in nodes.values()),
                         len(self.baremetal('port', 'list')))
        # vbmcd, a process of its own per IPMI BMC, and sushy-emulator.
        self.assertEqual(4, len(self.daemon_pids()))
        for node in nodes.values():
            self.assert_wiring(node, 'openvswitch')
            if node['bmc']['driver'] == 'ipmi':
                self.assertIn('off', self.power(node, 'status'))

    def assert_torn_down(self):
        self.assertEqual([], self.leftovers())
        self.assertEqual([], self.baremetal('node', 'list'))
        self.assertEqual([], self.baremetal('port', 'list'))
        self.assertFalse(base.os.path.exists(self.state_file))

    def test_killed_anywhere(self):
        deploy_time = self.timed('deploy')
        self.assert_deployed()
        teardown_time = self.timed('teardown')
        self.assert_torn_down()
        for point in KILL_POINTS:
            self.killed('deploy', deploy_time * point)
            self.tenks('deploy', self.path)
            self.assert_deployed()
            self.killed('teardown', teardown_time * point)
            self.tenks('teardown', self.path)
            self.assert_torn_down()
