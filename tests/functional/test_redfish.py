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

"""Redfish nodes: sushy-tools, secured, driven by Ironic's redfish driver."""

import base64
import json
import os
import ssl
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET

from tests.functional import base
from tests.functional import test_ironic


class TestRedfish(test_ironic.IronicTestCase):

    def foreign_domain(self):
        """A domain Tenks did not make; the emulator must not expose it."""
        name = self.source_prefix + '-dom'
        identity = str(uuid.uuid4())
        path = os.path.join(self.workdir, 'foreign.xml')
        with open(path, 'w') as stream:
            stream.write("<domain type='qemu'><name>%s</name><uuid>%s</uuid>"
                         "<memory unit='MiB'>64</memory><os><type "
                         "arch='x86_64'>hvm</type></os></domain>"
                         % (name, identity))
        base.run(['virsh', 'define', path])
        self.addCleanup(base.run, ['virsh', 'undefine', name], check=False)
        return identity

    def redfish(self, path, scheme='https', auth=True):
        """(status, JSON body) of a GET to the emulator."""
        credentials = self.state()['credentials']
        request = urllib.request.Request('%s://127.0.0.1:%d%s' % (
            scheme, self.redfish_port, path))
        if auth:
            token = base64.b64encode(('%s:%s' % (
                credentials['redfish_username'],
                credentials['redfish_password'])).encode()).decode()
            request.add_header('Authorization', 'Basic ' + token)
        context = ssl.create_default_context(cafile=self.cert)
        try:
            with urllib.request.urlopen(request, timeout=10,
                                        context=context) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as err:
            return err.code, None

    def test_mixed_cluster_over_tls(self):
        foreign = self.foreign_domain()
        self.redfish_port = base._tcp_free_port()
        self.cert = os.path.join(os.path.dirname(self.state_file), 'sushy',
                                 'cert.pem')
        redfish_type = dict(test_ironic._node_type('physnet1'),
                            ironic_driver='redfish')
        path = self.cluster(
            node_types={'ipmi': test_ironic._node_type('physnet1'),
                        'rf': redfish_type},
            specs=[{'type': 'ipmi', 'count': 1,
                    'ironic_config': {'resource_class': 'rc'}},
                   {'type': 'rf', 'count': 2,
                    'ironic_config': {'resource_class': 'rc'}}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb'},
            default_boot_mode='bios', redfish_tls=True,
            redfish_port=self.redfish_port)
        self.tenks('deploy', path)
        nodes = self.state()['nodes']
        redfish = sorted((n for n in nodes.values()
                          if n['bmc']['driver'] == 'redfish'),
                         key=lambda n: n['name'])
        self.assertEqual(2, len(redfish))
        self.assert_enrolled(nodes, redfish)
        self.assert_emulator_secured(redfish, foreign)
        self.assert_driven_by_ironic(redfish[0])
        listing = {row['Node']: row['BMC'] for row in json.loads(
            self.tenks('list', path, '-f', 'json').stdout)}
        self.assertEqual(
            'https://127.0.0.1:%d/redfish/v1/Systems/%s' % (
                self.redfish_port, redfish[1]['uuid']),
            listing[redfish[1]['name']])
        self.assert_idempotent(path)
        pid = int(open(os.path.join(os.path.dirname(self.cert),
                                    'tenks-sushy.pid')).read())
        self.tenks('teardown', path)
        self.assertFalse(os.path.exists(os.path.dirname(self.cert)))
        self.assertNotIn(pid, self.daemon_pids())
        self.assertEqual([], self.baremetal('node', 'list'))
        self.assertEqual([], self.leftovers())

    def assert_enrolled(self, nodes, redfish):
        listed = {n['name']: n for n in self.baremetal('node', 'list')}
        self.assertEqual(['manageable'] * 3,
                         [listed[name]['provision_state']
                          for name in sorted(nodes)])
        for node in redfish:
            shown = self.baremetal('node', 'show', node['name'])
            self.assertEqual('redfish', shown['driver'])
            self.assertEqual({
                'redfish_address': 'https://127.0.0.1:%d' % self.redfish_port,
                'redfish_system_id': '/redfish/v1/Systems/%s' % node['uuid'],
                'redfish_username': 'tenks', 'redfish_password': '******',
                'redfish_verify_ca': self.cert}, shown['driver_info'])

    def assert_emulator_secured(self, redfish, foreign):
        self.assertEqual(401, self.redfish('/redfish/v1/Systems',
                                           auth=False)[0])
        status, systems = self.redfish('/redfish/v1/Systems')
        self.assertEqual(200, status)
        members = sorted(member['@odata.id'].rsplit('/', 1)[1]
                         for member in systems['Members'])
        self.assertEqual(sorted(node['uuid'] for node in redfish), members)
        self.assertNotIn(foreign, members)
        self.assertNotEqual(200, self.redfish(
            '/redfish/v1/Systems/%s' % foreign)[0])
        # Virtual media too, which sushy-tools alone leaves unguarded.
        media = '/redfish/v1/Systems/%s/VirtualMedia'
        self.assertEqual(200, self.redfish(media % redfish[0]['uuid'])[0])
        self.assertEqual(404, self.redfish(media % foreign)[0])
        self.assertRaises(OSError, self.redfish, '/redfish/v1/Systems',
                          scheme='http')

    def assert_driven_by_ironic(self, node):
        name = node['name']
        self.assert_powered_by_ironic(name)
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'boot',
                  'device', 'set', name, 'disk'])
        disk = self.domain_inactive(name).find('devices/disk/boot')
        self.assertEqual('1', disk.get('order'))

    def domain_inactive(self, name):
        return ET.fromstring(base.run(
            ['virsh', 'dumpxml', '--inactive', name]).stdout)
