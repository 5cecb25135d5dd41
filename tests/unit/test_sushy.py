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

import os
import ssl

import bcrypt
from cryptography import x509
import fixtures
import testtools

from tenks.bmc import sushy_daemon
from tenks.ironic import fields
from tenks import records

SETTINGS = {'address': '127.0.0.1', 'port': 8443,
            'libvirt_uri': 'qemu:///system', 'allowed': ['u-1', 'u-2'],
            'tls': True, 'username': 'tenks', 'password': 'pw',
            'pool': 'tenks-pool'}


class TestEmulatorFiles(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.emulator = sushy_daemon.Emulator(
            None, self.dir, os.path.join(self.dir, 'sushy.log'))

    def test_render_restricts_and_secures(self):
        namespace = {}
        exec(sushy_daemon.render(SETTINGS, self.emulator), namespace)
        self.assertEqual(['u-1', 'u-2'],
                         namespace['SUSHY_EMULATOR_ALLOWED_INSTANCES'])
        self.assertEqual(self.emulator.auth_file,
                         namespace['SUSHY_EMULATOR_AUTH_FILE'])
        self.assertEqual(self.emulator.cert_file,
                         namespace['SUSHY_EMULATOR_SSL_CERT'])
        self.assertEqual(('127.0.0.1', 8443),
                         (namespace['SUSHY_EMULATOR_LISTEN_IP'],
                          namespace['SUSHY_EMULATOR_LISTEN_PORT']))

    def test_render_keeps_media_to_the_cluster(self):
        namespace = {}
        exec(sushy_daemon.render(SETTINGS, self.emulator), namespace)
        # Images are uploaded into the cluster's pool, sushy-tools' state
        # kept in the emulator's own directory rather than a shared /tmp.
        self.assertEqual('tenks-pool',
                         namespace['SUSHY_EMULATOR_STORAGE_POOL'])
        self.assertEqual(os.path.join(self.dir, 'state'),
                         namespace['SUSHY_EMULATOR_STATE_DIR'])

    def test_render_without_tls(self):
        text = sushy_daemon.render(dict(SETTINGS, tls=False), self.emulator)
        self.assertNotIn('SSL', text)

    def test_htpasswd_is_bcrypt(self):
        user, digest = sushy_daemon.htpasswd('tenks', 'pw').strip().split(
            ':', 1)
        self.assertEqual('tenks', user)
        self.assertTrue(bcrypt.checkpw(b'pw', digest.encode()))

    def test_certificate_for_address(self):
        cert_pem, key_pem = sushy_daemon.make_certificate('127.0.0.1')
        self.assertIn('PRIVATE KEY', key_pem)
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        names = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
        self.assertEqual(['127.0.0.1'], [str(ip) for ip in
                                         names.get_values_for_type(
                                             x509.IPAddress)])
        # Usable as its own trust anchor, as Ironic will use it.
        ssl.create_default_context(cadata=cert_pem)


class TestRedfishDriverInfo(testtools.TestCase):

    NODE = records.Node.from_dict({
        'name': 'tk1', 'uuid': 'u-1', 'hypervisor': 'localhost',
        'spec': 'small/tk/1', 'nics': [],
        'vcpus': 1, 'memory_mb': 512, 'boot_mode': 'bios', 'volumes': [],
        'bmc': {'driver': 'redfish', 'address': '127.0.0.1', 'port': 8443},
        'ironic_driver': 'redfish',
        'ironic_config': {'resource_class': 'rc'}})
    CREDENTIALS = {'redfish_username': 'tenks', 'redfish_password': 'pw'}
    SETTINGS = {'default_interfaces': {}}

    def test_https_with_ca(self):
        info = fields.node_fields(self.NODE, self.SETTINGS, self.CREDENTIALS,
                                  'c1', {}, '/ca.pem')['driver_info']
        self.assertEqual({'redfish_address': 'https://127.0.0.1:8443',
                          'redfish_system_id': '/redfish/v1/Systems/u-1',
                          'redfish_username': 'tenks',
                          'redfish_password': 'pw',
                          'redfish_verify_ca': '/ca.pem'}, info)

    def test_http(self):
        info = fields.node_fields(self.NODE, self.SETTINGS, self.CREDENTIALS,
                                  'c1', {})['driver_info']
        self.assertEqual('http://127.0.0.1:8443', info['redfish_address'])
        self.assertNotIn('redfish_verify_ca', info)
