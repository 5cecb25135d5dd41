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

"""The throwaway Ironic's pure parts: its files, and what stop reads back.

The processes themselves are tested in tests.functional
(test_standalone_ironic, and every test against Ironic).
"""

import io
import pathlib
import stat
import unittest.mock

import fixtures
import testtools
import yaml

from tenks.standalone import cli
from tenks.standalone import clouds
from tenks.standalone import config
from tenks.standalone import ironic
from tenks.standalone import keystone


class StandaloneTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.workdir = pathlib.Path(self.useFixture(fixtures.TempDir()).path)

    def service(self, with_keystone=False):
        front = keystone.StandaloneKeystone(self.workdir / 'keystone',
                                            35357) if with_keystone else None
        return ironic.StandaloneIronic(self.workdir, 16385, front)


class TestIronicConfig(StandaloneTestCase):

    def test_noauth(self):
        conf = self.service().ironic_config()
        self.assertEqual('noauth', conf['DEFAULT']['auth_strategy'])
        self.assertNotIn('keystone_authtoken', conf)
        self.assertEqual({'host_ip': '127.0.0.1', 'port': '16385'},
                         conf['api'])
        self.assertEqual(str(self.workdir), conf['DEFAULT']['state_path'])

    def test_keystone(self):
        service = self.service(with_keystone=True)
        conf = service.ironic_config()
        self.assertEqual('keystone', conf['DEFAULT']['auth_strategy'])
        self.assertEqual(service.keystone.authtoken_config(),
                         conf['keystone_authtoken'])

    def test_settings_not_changed_by_a_service(self):
        self.service(with_keystone=True).ironic_config()
        self.assertEqual('noauth',
                         config.IRONIC_SETTINGS['DEFAULT']['auth_strategy'])

    def test_every_path_under_workdir(self):
        conf = self.service().ironic_config()
        for section, option in (('DEFAULT', 'log_file'),
                                ('pxe', 'tftp_root'),
                                ('deploy', 'http_root'),
                                ('oslo_concurrency', 'lock_path')):
            self.assertTrue(conf[section][option].startswith(
                str(self.workdir) + '/'), (section, option))


class TestClouds(StandaloneTestCase):

    def test_noauth_cloud(self):
        cloud = self.service().clouds_config()['clouds'][clouds.CLOUD_NAME]
        self.assertEqual({'auth_type': 'none',
                          'endpoint': 'http://127.0.0.1:16385',
                          'baremetal_endpoint_override':
                              'http://127.0.0.1:16385'}, cloud)

    def test_password_cloud(self):
        service = self.service(with_keystone=True)
        cloud = service.clouds_config()['clouds'][clouds.CLOUD_NAME]
        self.assertEqual({'auth_type': 'password',
                          'auth': service.keystone.admin_auth(),
                          'region_name': 'RegionOne'}, cloud)

    def test_written_private(self):
        service = self.service(with_keystone=True)
        service.write_config()
        for path in (service.config_file, service.clouds_yaml):
            self.assertEqual(0o600, stat.S_IMODE(path.stat().st_mode))
        with open(service.clouds_yaml) as stream:
            self.assertEqual(service.clouds_config(), yaml.safe_load(stream))


class TestCommandReadsBack(StandaloneTestCase):
    """status and stop find what start wrote, with no --port given."""

    def args(self, action):
        return cli.parse_args([action, '--workdir', str(self.workdir)])

    def test_port_and_keystone_of_a_previous_start(self):
        self.service(with_keystone=True).write_config()
        found = cli._service(self.args('status'))
        self.assertEqual(16385, found.port)
        self.assertEqual((self.workdir / 'keystone', 35357),
                         (found.keystone.workdir, found.keystone.port))

    def test_noauth_start_has_no_keystone(self):
        self.service().write_config()
        self.assertIsNone(cli._service(self.args('stop')).keystone)

    def test_nothing_started(self):
        found = cli._service(self.args('status'))
        self.assertEqual((ironic.DEFAULT_PORT, None),
                         (found.port, found.keystone))
        with unittest.mock.patch('sys.stdout', io.StringIO()) as out:
            self.assertEqual(3, cli.main(['status', '--workdir',
                                          str(self.workdir)]))
        self.assertIn('running: False', out.getvalue())
