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

"""BMCs beyond loopback: passwords nobody chose never guard them, and
none shows in a command line, a log, --debug output or a readable file."""

import base64
import os
import secrets
import stat
import urllib.error
import urllib.request

from tests.functional import base
from tests.functional import test_deploy
from tests.functional import test_ironic


class TestExposedBMCs(test_deploy.DeployTestCase):

    def setUp(self):
        super().setUp()
        # An address beyond loopback, on a bridge of the test's own with
        # nothing plugged in (this host has no dummy links):
        # 203.0.113.201-250 are used by no other test.
        self.address = '203.0.113.%d' % (201 + secrets.randbelow(50))
        link = self.source_prefix + 'bm'
        self.linux_bridge(link)
        base.run(['ip', 'address', 'add', self.address + '/32', 'dev', link])
        self.linux_bridge(self.source_prefix + 'lb')
        self.redfish_port = base._tcp_free_port()

    def exposed_cluster(self, **overrides):
        return self.cluster(
            node_types={'ipmi': test_ironic._node_type('physnet1'),
                        'rf': dict(test_ironic._node_type('physnet1'),
                                   ironic_driver='redfish')},
            specs=[{'type': 'ipmi', 'count': 2},
                   {'type': 'rf', 'count': 1,
                    'node_name_prefix': self.node_prefix + 'r'}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb'},
            ipmi_address=self.address, redfish_address=self.address,
            redfish_port=self.redfish_port, **overrides)

    def ipmi_status(self, node, username, password):
        return base.run(['ipmitool', '-I', 'lanplus', '-N', '1', '-R', '1',
                         '-H', self.address, '-p', str(node['bmc']['port']),
                         '-U', username, '-E', 'power', 'status'],
                        check=False, env=dict(os.environ,
                                              IPMI_PASSWORD=password))

    def redfish_status(self, username=None, password=None):
        request = urllib.request.Request('http://%s:%d/redfish/v1/Systems'
                                         % (self.address, self.redfish_port))
        if username:
            request.add_header('Authorization', 'Basic ' + base64.b64encode(
                ('%s:%s' % (username, password)).encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as err:
            return err.code

    def test_generated_passwords_guard_them_and_stay_hidden(self):
        path = self.exposed_cluster()
        result = self.tenks('--debug', 'deploy', path)
        credentials = self.state()['credentials']
        passwords = [credentials['ipmi_password'],
                     credentials['redfish_password']]
        self.assertNotIn('is weak', result.stderr)
        for password in passwords:
            self.assertEqual(16, len(password))
        node = self.state()['nodes'][self.node_prefix + '0']
        self.assertEqual(self.address, node['bmc']['address'])
        answer = self.ipmi_status(node, 'tenks', passwords[0])
        self.assertEqual(0, answer.returncode, answer.stderr)
        self.assertIn('Chassis Power is off', answer.stdout)
        # The original Tenks' defaults open nothing.
        self.assertNotEqual(
            0, self.ipmi_status(node, 'username', 'password').returncode)
        self.assertNotEqual(
            0, self.ipmi_status(node, 'tenks', 'password').returncode)
        self.assertEqual(200, self.redfish_status('tenks', passwords[1]))
        self.assertEqual(401, self.redfish_status())
        self.assertEqual(401, self.redfish_status('username', 'password'))
        self.assertEqual(401, self.redfish_status('tenks', passwords[0]))
        self.assert_hidden(passwords, [result.stdout, result.stderr], 4)
        # The other IPMI emulator, one process for every BMC.
        switched = self.tenks('--debug', 'deploy', self.exposed_cluster(
            bmc_emulators={'ipmi': 'tenks-ipmi'}))
        answer = self.ipmi_status(node, 'tenks', passwords[0])
        self.assertEqual(0, answer.returncode, answer.stderr)
        self.assertNotEqual(
            0, self.ipmi_status(node, 'tenks', 'password').returncode)
        self.assert_hidden(passwords, [switched.stdout, switched.stderr], 2)
        self.assert_clean_teardown(path)

    def assert_hidden(self, passwords, outputs, daemons):
        """No password in a command line, output or log; files private.

        Not in a BMC daemon's command line or in `ps`; every file holding
        one, and its directories, closed to others.
        """
        pids = self.daemon_pids()
        self.assertEqual(daemons, len(pids))
        for pid in pids:
            with open('/proc/%d/cmdline' % pid, 'rb') as stream:
                cmdline = stream.read().decode(errors='replace')
            for password in passwords:
                self.assertNotIn(password, cmdline)
        listing = base.run(['ps', '-e', '-ww', '-o', 'args=']).stdout
        self.assertIn('sushy', listing)
        logs = []
        holders = []
        for top in (os.path.dirname(self.state_file),
                    os.path.join(self.workdir, 'log')):
            self.assertTrue(os.path.isdir(top), top)
            for root, _, files in os.walk(top):
                self.assertEqual(0, os.stat(root).st_mode & stat.S_IRWXO,
                                 root)
                for name in files:
                    with open(os.path.join(root, name), 'rb') as stream:
                        data = stream.read()
                    if top.endswith('log'):
                        logs.append(data.decode(errors='replace'))
                    if any(p.encode() in data for p in passwords):
                        holders.append(os.path.join(root, name))
        self.assertIn(self.state_file, holders)
        for holder in holders:
            self.assertEqual(0o600, os.stat(holder).st_mode & 0o777, holder)
        self.assertIn('DEBUG', ''.join(outputs))
        for password in passwords:
            self.assertNotIn(password, listing)
            self.assertNotIn(password, ''.join(outputs + logs))

    def test_weak_password_warned_with_the_exposed_address(self):
        path = self.exposed_cluster(ipmi_password='password')
        result = self.tenks('plan', path)
        self.assertIn(
            'WARNING: %s: ipmi_password is weak (under 12 characters or a '
            'well-known default); its BMCs answer on %s, beyond loopback'
            % (path, self.address), result.stderr)
        self.assertNotIn('redfish_password', result.stderr)
        # A plan changes nothing on the host.
        self.assertEqual([], self.leftovers())
