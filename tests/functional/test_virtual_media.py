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

"""A Redfish node booted by Ironic over virtual media, in UEFI.

Ironic's redfish-virtual-media boot interface with the ramdisk deploy
interface publishes the boot artefacts' ISO from its http_root (served
here by an HTTP server on loopback); the node's sushy-tools downloads it,
uploads it into the cluster's pool and attaches it as a CD-ROM.
"""

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import testtools

from tenks.artefacts import build
from tenks.standalone import ironic
from tenks.standalone import loopback
from tests.functional import base
from tests.functional import test_ironic

MARKER = 'TENKS-RAMDISK: ready'


class VirtualMediaIronic(ironic.StandaloneIronic):
    """The standalone Ironic, its http_root served and the ISO allowed."""

    def __init__(self, workdir, port, keystone, http_port, iso_dir):
        super().__init__(workdir, port, keystone)
        self.http_port = http_port
        self.iso_dir = iso_dir

    def ironic_config(self):
        conf = super().ironic_config()
        conf['deploy']['http_url'] = 'http://%s:%d' % (loopback.HOST,
                                                       self.http_port)
        conf['conductor']['file_url_allowed_paths'] = self.iso_dir
        return conf


class TestVirtualMedia(test_ironic.IronicTestCase):

    @classmethod
    def make_ironic(cls, keystone):
        cls.artefacts = build.ensure(
            os.environ.get('TENKS_BOOT_ARTEFACTS_DIR',
                           build.DEFAULT_CACHE_DIR))
        http_port = base._tcp_free_port()
        standalone = VirtualMediaIronic(
            cls.ironic_dir, loopback.find_free_port(), keystone, http_port,
            os.path.dirname(cls.artefacts.iso))
        http_root = os.path.join(cls.ironic_dir, 'httpboot')
        os.makedirs(http_root, exist_ok=True)
        cls.http_server = subprocess.Popen(
            [sys.executable, '-m', 'http.server', '--bind', loopback.HOST,
             '--directory', http_root, str(http_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return standalone

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.http_server.kill()
        cls.http_server.wait()

    def test_uefi_ramdisk_over_virtual_media(self):
        self.redfish_port = base._tcp_free_port()
        node_type = dict(test_ironic._node_type('physnet1'),
                         ironic_driver='redfish', console_log_enabled=True)
        path = self.cluster(
            node_types={'rf': node_type},
            specs=[{'type': 'rf', 'count': 1, 'ironic_config': {
                'resource_class': 'rc',
                'boot_interface': 'redfish-virtual-media',
                'deploy_interface': 'ramdisk'}}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb'},
            bridge_type='linuxbridge', default_boot_mode='uefi',
            redfish_port=self.redfish_port, ironic_target_state='available')
        self.tenks('deploy', path, timeout=300)
        node = list(self.state()['nodes'].values())[0]
        name = node['name']
        self.addOnException(lambda _: self.attach_console(name))
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'set', name,
                  '--instance-info', 'boot_iso=file://' + self.artefacts.iso])
        started = time.monotonic()
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'deploy', name])
        self.wait_provision(name, 'active', 300)
        self.assert_booted_from_media(node)
        self.addDetail('seconds to ramdisk', testtools.content
                       .text_content('%.0f' % (time.monotonic() - started)))
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'undeploy',
                  name])
        self.wait_provision(name, 'available', 300)
        self.wait_domstate(name, 'shut off', 60)
        self.assertEqual([], self.media(name))
        self.assertEqual([], self.uploads(node['uuid']))
        self.tenks('teardown', path)
        self.assertEqual([], self.leftovers())

    def assert_booted_from_media(self, node):
        media = self.media(node['name'])
        self.assertEqual(1, len(media), media)
        pool = os.path.join(self.workdir, 'pool')
        self.assertEqual(pool, os.path.dirname(media[0]))
        self.assertEqual([os.path.basename(media[0])],
                         self.uploads(node['uuid']))
        self.wait_for_console(node['name'], MARKER, 240)

    def wait_provision(self, name, wanted, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.baremetal('node', 'show', name)
            if shown['provision_state'] == wanted:
                return
            if shown['provision_state'].endswith('failed'):
                self.fail('%s: %s: %s' % (name, shown['provision_state'],
                                          shown['last_error']))
            time.sleep(2)
        self.fail('%s not %s after %d s' % (name, wanted, timeout))

    def console(self, name):
        path = os.path.join(self.workdir, 'log', 'console', name + '.log')
        if not os.path.exists(path):
            return ''
        with open(path, errors='replace') as stream:
            return stream.read()

    def attach_console(self, name):
        self.addDetail('console', testtools.content.text_content(
            self.console(name)[-20000:]))

    def wait_for_console(self, name, marker, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.console(name):
                return
            time.sleep(2)
        self.fail('%s: console shows no %r after %d s' % (name, marker,
                                                          timeout))

    def media(self, name):
        """Files in the domain's CD-ROM and floppy drives."""
        tree = ET.fromstring(base.run(['virsh', 'dumpxml', '--inactive',
                                       name]).stdout)
        return [disk.find('source').get('file')
                for disk in tree.findall('devices/disk')
                if disk.get('device') in ('cdrom', 'floppy')
                and disk.find('source') is not None]

    def uploads(self, uuid):
        """Volumes uploaded for uuid's virtual media, in any pool."""
        found = []
        for pool in base.run(['virsh', 'pool-list', '--name']).stdout.split():
            volumes = base.run(['virsh', 'vol-list', pool], check=False)
            found += [line.split()[0] for line in
                      volumes.stdout.splitlines()[2:]
                      if line.split() and line.split()[0].endswith(
                          '-%s.img' % uuid)]
        return found
