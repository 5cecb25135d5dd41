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

import types

import testtools

from tenks import conf as tenks_conf
from tenks import config
from tenks import credentials
from tenks import records


def _node(driver, address):
    # Only the BMC counts here.
    return types.SimpleNamespace(
        bmc=records.Bmc(driver=driver, address=address, port=1))


class CredentialsTestCase(testtools.TestCase):

    def cluster(self, **data):
        return config.parse(data, tenks_conf.load(), source='cluster.yaml')


class TestEnsure(CredentialsTestCase):

    def test_generated_once_then_kept(self):
        chosen = {}
        credentials.ensure(self.cluster(), chosen)
        self.assertEqual('tenks', chosen['ipmi_username'])
        self.assertEqual('tenks', chosen['redfish_username'])
        self.assertEqual(16, len(chosen['ipmi_password']))
        self.assertNotEqual(chosen['ipmi_password'],
                            chosen['redfish_password'])
        again = dict(chosen)
        credentials.ensure(self.cluster(), again)
        self.assertEqual(chosen, again)
        other = {}
        credentials.ensure(self.cluster(), other)
        self.assertNotEqual(chosen['ipmi_password'], other['ipmi_password'])

    def test_set_by_the_user_wins(self):
        chosen = {'ipmi_password': 'generated-before-0'}
        credentials.ensure(self.cluster(ipmi_username='admin',
                                        ipmi_password='Chosen-by-me-42'),
                           chosen)
        self.assertEqual(('admin', 'Chosen-by-me-42'),
                         (chosen['ipmi_username'], chosen['ipmi_password']))


class TestWarnings(CredentialsTestCase):

    def test_generated_ones_never_warned_about(self):
        self.assertEqual([], credentials.warnings(
            self.cluster(), [_node('ipmi', '0.0.0.0')]))

    def test_strong_one_set_by_the_user_not_warned_about(self):
        self.assertEqual([], credentials.warnings(
            self.cluster(ipmi_password='a-long-Passphrase-9'),
            [_node('ipmi', '0.0.0.0')]))

    def test_weak_one_on_loopback(self):
        lines = credentials.warnings(self.cluster(redfish_password='short'),
                                     [_node('redfish', '127.0.0.1')])
        self.assertEqual(
            ['redfish_password is weak (under 12 characters or a well-known '
             'default): set a stronger one, or unset it to have Tenks '
             'generate one'], lines)

    def test_weak_one_exposed_names_the_addresses(self):
        nodes = [_node('ipmi', '0.0.0.0'), _node('ipmi', '203.0.113.5'),
                 _node('ipmi', '127.0.0.1'), _node('redfish', '203.0.113.9')]
        lines = credentials.warnings(
            self.cluster(ipmi_password='password'), nodes)
        self.assertEqual(1, len(lines))
        self.assertIn('ipmi_password is weak', lines[0])
        self.assertIn('its BMCs answer on 0.0.0.0, 203.0.113.5, beyond '
                      'loopback', lines[0])

    def test_well_known_default_is_weak_whatever_its_case(self):
        for password in ('PASSWORD', 'changeme', 'x' * 11):
            self.assertTrue(credentials.is_weak(password), password)
        self.assertFalse(credentials.is_weak('x' * 12))

    def test_loopback(self):
        for address in ('127.0.0.1', '127.0.0.2', '::1', 'localhost'):
            self.assertTrue(credentials.is_loopback(address), address)
        for address in ('0.0.0.0', '::', '203.0.113.1', 'bmc.example'):
            self.assertFalse(credentials.is_loopback(address), address)
