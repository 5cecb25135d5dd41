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


"""The boot artefacts, built from Debian and booted under plain QEMU.

Each boot gets a network namespace of its own (servers.Server, kind
tap) holding a bridge, the node's tap, dnsmasq (on that bridge) and an
HTTP server that records the ramdisk's callback; the node must take a
lease, report it on its serial console and call back with its MAC, from
the kernel and initramfs directly and from the ISO under SeaBIOS and
OVMF. QEMU runs with TCG: guests under KVM do not survive on every host
that runs this.
"""

import json
import os
import secrets
import shutil
import sys
import time

import fixtures
import testtools
import testtools.content

from tenks.artefacts import build
from tests.functional import base
from tests.functional import servers

TOOL = os.path.join(os.path.dirname(__file__), '..', '..', 'tools',
                    'build-boot-artefacts')
SERVER = servers.ADDRESS
# The throwaway Ironic's provisioning network answers it too.
CALLBACK = servers.CALLBACK
# The ISO's command line is baked in, so it names the address every
# test's namespace has; the cache entry then serves every run.
APPEND = 'console=ttyS0 tenks_callback=%s' % CALLBACK
OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd'
OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd'
BOOT_TIMEOUT = 300


def cache_dir():
    return build.default_cache_dir()


def artefacts():
    """The artefacts every functional test boots, built once."""
    return build.ensure(cache_dir(), APPEND)


class TestBootArtefacts(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.artefacts = artefacts()

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(600, gentle=True))
        self.workdir = self.useFixture(fixtures.TempDir()).path
        # What servers.Server names its namespace by.
        tag = secrets.token_hex(3)
        self.source_prefix, self.node_prefix = 'tkba' + tag, 'ba'
        self.mac = '52:54:00:%02x:%02x:%02x' % tuple(secrets.token_bytes(3))
        self.addDetail('artefacts', testtools.content.text_content(
            json.dumps(self.artefacts._asdict(), indent=2)))
        self.server = servers.Server(self, 'tap')
        for name in ('dnsmasq.log', 'http.log'):
            self.addOnException(lambda _, name=name: self.attach(name))

    def attach(self, name):
        self.addDetail(name, testtools.content.text_content(
            self.server.log(name)[-60000:]))

    def boot(self, *media, machine='pc'):
        """Boot media on the namespace's bridge.

        Returns the callback, the seconds it took and the console.
        """
        console = os.path.join(self.server.dir, 'console.log')
        self.addOnException(lambda _: self.attach('console.log'))
        self.addOnException(lambda _: self.attach('qemu.log'))
        started = time.monotonic()
        qemu = self.server.spawn([
            'qemu-system-x86_64', '-machine', machine + ',accel=tcg',
            '-m', '512', '-display', 'none', '-monitor', 'none',
            '-no-reboot', '-serial', 'file:' + console,
            '-nic', 'tap,ifname=%s,script=no,downscript=no,'
            'model=virtio-net-pci,mac=%s' % (servers.TAP, self.mac)]
            + list(media), 'qemu.log')
        request = self.server.wait_for_callback(
            self.mac, BOOT_TIMEOUT, alive=lambda: qemu.poll() is None)
        seconds = round(time.monotonic() - started, 1)
        self.addDetail('seconds to callback', testtools.content.text_content(
            str(seconds)))
        return request, seconds, self.wait_for_console(console, 'ready')

    def wait_for_console(self, path, marker, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = open(path, errors='replace').read()
            if 'TENKS-RAMDISK: %s' % marker in text:
                return text
            time.sleep(0.5)
        self.fail('console shows no TENKS-RAMDISK: %s' % marker)

    def assertBooted(self, request, console):
        source, mac, address = request
        self.assertEqual((self.mac, address), (mac, source))
        self.assertTrue(address.startswith('203.0.113.'), address)
        with open(self.server.leases) as stream:
            self.assertIn('%s %s' % (self.mac, address), stream.read())
        for marker in ('booted ', 'nic ', 'lease %s on %s' % (
                address, self.mac), 'callback %s done' % CALLBACK):
            self.assertIn('TENKS-RAMDISK: ' + marker, console)

    def test_kernel_and_initramfs(self):
        request, seconds, console = self.boot(
            '-kernel', self.artefacts.kernel,
            '-initrd', self.artefacts.initramfs,
            '-append', 'console=ttyS0 tenks_callback=' + CALLBACK)
        self.assertBooted(request, console)

    def test_iso_bios(self):
        request, seconds, console = self.boot('-cdrom', self.artefacts.iso)
        self.assertBooted(request, console)
        # isolinux booted it (it speaks on serial), not UEFI.
        self.assertIn('ISOLINUX', console)
        self.assertNotIn('efi: EFI v', console)

    def test_iso_uefi(self):
        variables = os.path.join(self.workdir, 'OVMF_VARS.fd')
        shutil.copy(OVMF_VARS, variables)
        request, seconds, console = self.boot(
            '-drive', 'if=pflash,format=raw,readonly=on,file=' + OVMF_CODE,
            '-drive', 'if=pflash,format=raw,file=' + variables,
            '-cdrom', self.artefacts.iso, machine='q35')
        self.assertBooted(request, console)
        # OVMF handed the kernel its EFI system table; isolinux had no say.
        self.assertIn('efi: EFI v', console)
        self.assertNotIn('ISOLINUX', console)


class TestBuildCommand(testtools.TestCase):

    def test_second_run_reuses_the_cache(self):
        first = self._build()
        second = self._build()
        self.assertTrue(second['cached'])
        self.assertEqual(first['key'], second['key'])
        for name in build.FILES:
            self.assertEqual(second['sizes'][os.path.basename(
                second[name])], os.path.getsize(second[name]))
        # The initramfs is busybox, a few modules and two scripts.
        self.assertLess(second['sizes']['initramfs.img'], 4 * 2 ** 20)
        # Ironic's ESP: a FAT file system with GRUB where UEFI looks.
        listing = base.run(['mdir', '-b', '-i', second['esp'],
                            '::/EFI/BOOT']).stdout
        self.assertIn('::/EFI/BOOT/BOOTX64.EFI', listing)

    def _build(self):
        result = base.run([sys.executable, TOOL, '--cache-dir', cache_dir(),
                           '--append', APPEND, '-f', 'json'])
        return json.loads(result.stdout)
