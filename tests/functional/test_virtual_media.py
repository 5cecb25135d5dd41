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
uploads it into the cluster's pool and attaches it as a CD-ROM. A
dnsmasq and an HTTP server in a namespace behind the physnet's source
device (a Linux bridge, with linuxbridge Tenks bridges: see issue 15 on
the Open vSwitch userspace datapath) give the booted ramdisk a lease and
take its callback.
"""

import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import testtools

from tenks.artefacts import build
from tenks.artefacts import debian
from tenks.artefacts import iso
from tenks import hosts
from tenks.standalone import ironic
from tenks.standalone import loopback
from tests.functional import base
from tests.functional import test_boot_artefacts
from tests.functional import test_ironic

SERVER = test_boot_artefacts.SERVER
CALLBACK = test_boot_artefacts.CALLBACK


# GRUB on the ESP Ironic puts on the ISOs it builds: it finds the
# configuration Ironic writes there ([DEFAULT] grub_config_path).
ESP_GRUB_CFG = ('search --no-floppy --file --set=root /EFI/BOOT/grub.cfg\n'
                'set prefix=($root)/EFI/BOOT\n'
                'configfile ($root)/EFI/BOOT/grub.cfg\n')


def build_esp(scratch):
    """An EFI system partition image for Ironic, from grub-efi-amd64-bin."""
    host = hosts.LocalHost()
    root = debian.unpack(host, debian.candidates(
        host, ['grub-efi-amd64-bin']), scratch)
    config = os.path.join(scratch, 'grub.cfg')
    with open(config, 'w') as stream:
        stream.write(ESP_GRUB_CFG)
    efi = os.path.join(scratch, 'bootx64.efi')
    base.run(['grub-mkimage', '-d',
              os.path.join(root, 'usr/lib/grub/x86_64-efi'),
              '-O', 'x86_64-efi', '-p', '/EFI/BOOT', '-c', config,
              '-o', efi] + list(iso.GRUB_MODULES))
    image = os.path.join(scratch, 'esp.img')
    with open(image, 'wb') as stream:
        stream.truncate(iso.ESP_KIB * 1024)
    base.run(['mformat', '-i', image, '-T', str(iso.ESP_KIB * 2), '-h',
              '2', '-s', '32', '::'])
    base.run(['mmd', '-i', image, '::/EFI', '::/EFI/BOOT'])
    base.run(['mcopy', '-i', image, efi, '::/EFI/BOOT/BOOTX64.EFI'])
    return image


class VirtualMediaIronic(ironic.StandaloneIronic):
    """The standalone Ironic, its http_root served, artefacts allowed."""

    def __init__(self, workdir, port, keystone, http_port, artefacts_dir,
                 esp_image):
        super().__init__(workdir, port, keystone)
        self.http_port = http_port
        self.artefacts_dir = artefacts_dir
        self.esp_image = esp_image

    def ironic_config(self):
        conf = super().ironic_config()
        conf['DEFAULT']['esp_image'] = self.esp_image
        conf['deploy']['http_url'] = 'http://%s:%d' % (loopback.HOST,
                                                       self.http_port)
        conf['conductor']['file_url_allowed_paths'] = self.artefacts_dir
        return conf


class TestVirtualMedia(test_ironic.IronicTestCase):

    @classmethod
    def make_ironic(cls, keystone):
        # The ISO's command line names the callback every test serves.
        cls.artefacts = build.ensure(test_boot_artefacts.cache_dir(),
                                     test_boot_artefacts.APPEND)
        esp = build_esp(os.path.join(cls.ironic_dir, 'esp'))
        # Ironic builds ISOs with mkisofs, which Debian 12 has only in
        # genisoimage; xorriso called so emulates it.
        tools = os.path.join(cls.ironic_dir, 'bin')
        os.makedirs(tools)
        os.symlink(shutil.which('xorriso'), os.path.join(tools, 'mkisofs'))
        cls.saved_path = os.environ['PATH']
        os.environ['PATH'] = tools + os.pathsep + cls.saved_path
        http_port = base._tcp_free_port()
        http_root = os.path.join(cls.ironic_dir, 'httpboot')
        os.makedirs(http_root, exist_ok=True)
        cls.http_server = subprocess.Popen(
            [sys.executable, '-m', 'http.server', '--bind', loopback.HOST,
             '--directory', http_root, str(http_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return VirtualMediaIronic(
            cls.ironic_dir, loopback.find_free_port(), keystone, http_port,
            os.path.dirname(cls.artefacts.iso), esp)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.environ['PATH'] = cls.saved_path
        cls.http_server.kill()
        cls.http_server.wait()

    def setUp(self):
        super().setUp()
        self.ns = self.source_prefix + 'ns'
        self._network()
        self._serve()

    def _network(self):
        """A namespace on the physnet's source device, at SERVER."""
        outside, inside = self.source_prefix + 'd0', self.source_prefix + 'd1'
        base.run(['ip', 'netns', 'add', self.ns])
        self.addCleanup(base.run, ['ip', 'netns', 'del', self.ns],
                        check=False)
        base.run(['ip', 'link', 'add', outside, 'type', 'veth', 'peer',
                  'name', inside, 'netns', self.ns])
        self.addCleanup(base.run, ['ip', 'link', 'del', outside], check=False)
        base.run(['ip', 'link', 'set', outside, 'master',
                  self.source_prefix + 'lb', 'up'])
        for argv in (['ip', 'link', 'set', 'lo', 'up'],
                     ['ip', 'addr', 'add', SERVER + '/24', 'dev', inside],
                     ['ip', 'link', 'set', inside, 'up']):
            base.run(['ip', 'netns', 'exec', self.ns] + argv)
        self.ns_device = inside

    def _serve(self):
        self.leases = os.path.join(self.workdir, 'leases')
        self.start('dnsmasq', [
            'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null',
            '--port=0', '--user=root', '--interface=' + self.ns_device,
            '--bind-interfaces', '--dhcp-authoritative', '--log-dhcp',
            '--log-facility=-', '--dhcp-leasefile=' + self.leases,
            '--dhcp-range=203.0.113.100,203.0.113.199,255.255.255.0,1h'])
        served = os.path.join(self.workdir, 'www')
        os.mkdir(served)
        open(os.path.join(served, 'callback'), 'w').close()
        self.start('http', [sys.executable, '-u', '-m', 'http.server',
                            '--bind', SERVER, '--directory', served, '8080'])

    def start(self, name, argv):
        """Start argv in the namespace; stop it, by PID, at cleanup."""
        path = os.path.join(self.workdir, name + '.log')
        log = open(path, 'w')
        self.addCleanup(log.close)
        # ip netns exec execs argv, so this PID is argv's own.
        process = subprocess.Popen(['ip', 'netns', 'exec', self.ns] + argv,
                                   stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(base.stop, process)
        self.addOnException(lambda _: self.addDetail(
            name + '.log', testtools.content.text_content(
                open(path, errors='replace').read()[-20000:])))
        return process

    def test_uefi_prebuilt_iso(self):
        """The boot artefacts' ISO as instance_info/boot_iso."""
        self.deploy_and_undeploy(boot_iso='file://' + self.artefacts.iso)

    def test_uefi_iso_built_by_ironic(self):
        """Ironic's own ISO of kernel, ramdisk and ESP, callback appended."""
        self.deploy_and_undeploy(
            kernel='file://' + self.artefacts.kernel,
            ramdisk='file://' + self.artefacts.initramfs,
            ramdisk_kernel_arguments='console=ttyS0 tenks_callback='
            + CALLBACK)

    def redfish_node(self):
        """A UEFI Redfish node for virtual media and ramdisk, available."""
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
        self.addOnException(lambda _: self.attach_console(node['name']))
        return path, node

    def deploy_and_undeploy(self, **instance_info):
        path, node = self.redfish_node()
        name = node['name']
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'set', name]
                 + ['--instance-info=%s=%s' % item
                    for item in sorted(instance_info.items())])
        started = time.monotonic()
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'deploy', name])
        self.wait_provision(name, 'active', 300)
        self.addDetail('seconds to active', testtools.content.text_content(
            '%.0f' % (time.monotonic() - started)))
        self.assert_booted_from_media(node)
        self.assert_called_back(node)
        self.addDetail('seconds to callback', testtools.content
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
        self.wait_for_console(node['name'], 'TENKS-RAMDISK: booted', 240)

    def assert_called_back(self, node):
        mac = node['nics'][0]['mac']
        pattern = re.compile(r'^(\S+) .*"GET /callback\?mac=%s&ip=(\S+) '
                             r'HTTP/1\.[01]" 200' % re.escape(mac), re.M)
        log = os.path.join(self.workdir, 'http.log')
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = pattern.findall(open(log).read())
            if found:
                break
            time.sleep(1)
        else:
            self.fail('%s: no callback from %s' % (node['name'], mac))
        source, address = found[0]
        self.assertEqual(source, address)
        with open(self.leases) as stream:
            self.assertIn('%s %s' % (mac, address), stream.read())
        # The ramdisk says so once the server has answered.
        for marker in ('lease %s on %s' % (address, mac),
                       'callback %s done' % CALLBACK):
            self.wait_for_console(node['name'], 'TENKS-RAMDISK: ' + marker,
                                  30)

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
