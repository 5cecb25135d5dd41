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

Each boot gets a network namespace of its own holding a bridge, the
node's tap, dnsmasq (DHCP only, on that bridge) and an HTTP server that
records the ramdisk's callback; the node must take a lease, report it on
its serial console and call back with its MAC, from the kernel and
initramfs directly and from the ISO under SeaBIOS and OVMF. QEMU runs
with TCG: guests under KVM do not survive on every host that runs this.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time

import fixtures
import testtools
import testtools.content

from tenks.artefacts import build
from tests.functional import base

TOOL = os.path.join(os.path.dirname(__file__), '..', '..', 'tools',
                    'build-boot-artefacts')
SERVER = '203.0.113.1'
CALLBACK = 'http://%s:8080/callback' % SERVER
# The ISO's command line is baked in, so it names the address every
# test's namespace has; the cache entry then serves every run.
APPEND = 'console=ttyS0 tenks_callback=%s' % CALLBACK
OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd'
OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd'
BOOT_TIMEOUT = 300


def cache_dir():
    return os.environ.get('TENKS_BOOT_ARTEFACTS_DIR',
                          build.DEFAULT_CACHE_DIR)


class TestBootArtefacts(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.artefacts = build.ensure(cache_dir(), APPEND)

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(600, gentle=True))
        self.workdir = self.useFixture(fixtures.TempDir()).path
        self.ns = 'tkba%s' % secrets.token_hex(3)
        self.mac = '52:54:00:%02x:%02x:%02x' % tuple(secrets.token_bytes(3))
        self.addDetail('artefacts', testtools.content.text_content(
            json.dumps(self.artefacts._asdict(), indent=2)))
        self._network()
        self._serve()

    def inside(self, argv, **kwargs):
        return base.run(['ip', 'netns', 'exec', self.ns] + argv, **kwargs)

    def _network(self):
        base.run(['ip', 'netns', 'add', self.ns])
        self.addCleanup(base.run, ['ip', 'netns', 'del', self.ns],
                        check=False)
        for argv in (['ip', 'link', 'set', 'lo', 'up'],
                     ['ip', 'link', 'add', 'tkbr', 'type', 'bridge'],
                     ['ip', 'addr', 'add', SERVER + '/24', 'dev', 'tkbr'],
                     ['ip', 'link', 'set', 'tkbr', 'up'],
                     ['ip', 'tuntap', 'add', 'tktap', 'mode', 'tap'],
                     ['ip', 'link', 'set', 'tktap', 'master', 'tkbr', 'up']):
            self.inside(argv)

    def start(self, name, argv):
        """Start argv in the namespace; stop it, by PID, at cleanup."""
        log = open(os.path.join(self.workdir, name + '.log'), 'w')
        self.addCleanup(log.close)
        # ip netns exec execs argv, so this PID is argv's own.
        process = subprocess.Popen(['ip', 'netns', 'exec', self.ns] + argv,
                                   stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(base.stop, process)
        self.addOnException(lambda _: self.attach(name + '.log'))
        return process

    def attach(self, name):
        path = os.path.join(self.workdir, name)
        if os.path.exists(path):
            self.addDetail(name, testtools.content.text_content(
                open(path, errors='replace').read()[-60000:]))

    def _serve(self):
        self.leases = os.path.join(self.workdir, 'leases')
        self.start('dnsmasq', [
            'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null',
            '--port=0', '--user=root', '--interface=tkbr',
            '--bind-interfaces', '--dhcp-authoritative', '--log-dhcp',
            '--log-facility=-', '--dhcp-leasefile=' + self.leases,
            '--dhcp-range=203.0.113.100,203.0.113.199,255.255.255.0,1h'])
        served = os.path.join(self.workdir, 'www')
        os.mkdir(served)
        open(os.path.join(served, 'callback'), 'w').close()
        self.start('http', [sys.executable, '-u', '-m', 'http.server',
                            '--bind', SERVER, '--directory', served, '8080'])

    def boot(self, *media, machine='pc'):
        """Boot media on the namespace's bridge.

        Returns the callback, the seconds it took and the console.
        """
        console = os.path.join(self.workdir, 'console.log')
        self.addOnException(lambda _: self.attach('console.log'))
        started = time.monotonic()
        qemu = self.start('qemu', [
            'qemu-system-x86_64', '-machine', machine + ',accel=tcg',
            '-m', '512', '-display', 'none', '-monitor', 'none',
            '-no-reboot', '-serial', 'file:' + console,
            '-nic', 'tap,ifname=tktap,script=no,downscript=no,'
            'model=virtio-net-pci,mac=' + self.mac] + list(media))
        request = self.wait_for_callback(qemu)
        seconds = round(time.monotonic() - started, 1)
        self.addDetail('seconds to callback', testtools.content.text_content(
            str(seconds)))
        return request, seconds, self.wait_for_console(console, 'ready')

    def wait_for_callback(self, qemu):
        pattern = re.compile(r'^(\S+) .*"GET /callback\?mac=([0-9a-f:]+)'
                             r'&ip=(\S+) HTTP/1\.[01]" 200', re.M)
        log = os.path.join(self.workdir, 'http.log')
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            found = pattern.findall(open(log).read())
            if found:
                return found[0]
            if qemu.poll() is not None:
                self.fail('QEMU exited (%d) before the callback' % qemu.poll())
            time.sleep(1)
        self.fail('no callback within %d s' % BOOT_TIMEOUT)

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
        with open(self.leases) as stream:
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
        for name in ('kernel', 'initramfs', 'iso'):
            self.assertEqual(second['sizes'][os.path.basename(
                second[name])], os.path.getsize(second[name]))
        # The initramfs is busybox, a few modules and two scripts.
        self.assertLess(second['sizes']['initramfs.img'], 4 * 2 ** 20)

    def _build(self):
        result = base.run([sys.executable, TOOL, '--cache-dir', cache_dir(),
                           '--append', APPEND, '-f', 'json'])
        return json.loads(result.stdout)
