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


"""The pure parts of the boot artefacts build, on data captured from
Debian 12's linux-image-6.1.0-57-cloud-amd64 and apt-cache."""

import collections
import json
import os
import subprocess
import time

import fixtures
import testtools

from tenks.artefacts import build
from tenks.artefacts import cache
from tenks.artefacts import debian
from tenks.artefacts import iso
from tenks.artefacts import kmod
from tenks.artefacts import ramdisk
from tenks import exception

# An excerpt of the modules.dep depmod writes for that kernel.
MODULES_DEP = """\
kernel/fs/isofs/isofs.ko: kernel/drivers/cdrom/cdrom.ko
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy\
_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/\
virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/\
net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/\
virtio_ring.ko
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/drivers/cdrom/cdrom.ko:
kernel/net/core/failover.ko:
kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/virtio/virtio.ko \
kernel/drivers/virtio/virtio_ring.ko
"""

# apt-cache show --no-all-versions, trimmed.
APT_META = """\
Package: linux-image-cloud-amd64
Source: linux-signed-amd64 (6.1.192+3)
Version: 6.1.192-3
Provides: linux-latest-modules-6.1.0-57-cloud-amd64, virtualbox-guest-modules
Depends: linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)
Section: kernel
SHA256: fcd79a9aee28374b8d1f1b1c0bf3ab0d920ed1a3eca887c9e6cc57bb7bee6e5c
Description: Linux for x86-64 cloud (meta-package)
 This package depends on the latest Linux kernel and modules for use on
 Depends: nothing-here

Package: busybox-static
Source: busybox (1:1.35.0-4+deb12u1)
Version: 1:1.35.0-4+deb12u1+b1
Provides: busybox
SHA256: 3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744

"""
APT_IMAGE = """\
Package: linux-image-6.1.0-57-cloud-amd64
Version: 6.1.192-3
Depends: kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | \
linux-initramfs-tool
SHA256: 0123456789abcdef
"""
VIRTIO_NET_ORDER = [
    'kernel/net/core/failover.ko',
    'kernel/drivers/net/net_failover.ko',
    'kernel/drivers/virtio/virtio_ring.ko',
    'kernel/drivers/virtio/virtio.ko',
    'kernel/drivers/net/virtio_net.ko',
]

Result = collections.namedtuple('Result', 'returncode stdout')


class FakeHost:
    """apt-cache show answering from captured stanzas."""

    def __init__(self, *stanzas):
        self.stanzas = stanzas
        self.calls = []

    def execute(self, argv, input=None):
        self.calls.append(argv)
        names = argv[3:]
        found = [s for s in self.stanzas
                 if debian.parse_stanzas(s)[0]['Package'] in names]
        return Result(0 if found else 100, '\n\n'.join(found))


class TestModulesDep(testtools.TestCase):

    def test_parse(self):
        deps = kmod.parse_modules_dep(MODULES_DEP)
        self.assertEqual([], deps['kernel/net/core/failover.ko'])
        self.assertEqual(['kernel/drivers/cdrom/cdrom.ko'],
                         deps['kernel/fs/isofs/isofs.ko'])

    def test_line_without_colon(self):
        self.assertRaisesRegex(exception.TenksError, 'without a colon',
                               kmod.parse_modules_dep, 'kernel/a.ko\n')

    def test_module_name(self):
        self.assertEqual('virtio_rng', kmod.module_name(
            'kernel/drivers/char/hw_random/virtio-rng.ko.xz'))

    def test_dependencies_load_first(self):
        deps = kmod.parse_modules_dep(MODULES_DEP)
        self.assertEqual(VIRTIO_NET_ORDER,
                         kmod.load_order(deps, ['virtio_net']))

    def test_shared_dependencies_once(self):
        deps = kmod.parse_modules_dep(MODULES_DEP)
        order = kmod.load_order(deps, ['virtio_net', 'virtio_pci',
                                       'virtio-rng'])
        self.assertEqual(VIRTIO_NET_ORDER + [
            'kernel/drivers/virtio/virtio_pci_legacy_dev.ko',
            'kernel/drivers/virtio/virtio_pci_modern_dev.ko',
            'kernel/drivers/virtio/virtio_pci.ko',
            'kernel/drivers/char/hw_random/virtio-rng.ko'], order)

    def test_unknown_module(self):
        deps = kmod.parse_modules_dep(MODULES_DEP)
        self.assertRaisesRegex(exception.TenksError, 'e1000 is not in',
                               kmod.load_order, deps, ['e1000'])

    def test_unlisted_dependency(self):
        deps = kmod.parse_modules_dep('kernel/a.ko: kernel/b.ko\n')
        self.assertRaisesRegex(exception.TenksError, 'a needs kernel/b.ko',
                               kmod.load_order, deps, ['a'])

    def test_loop(self):
        deps = kmod.parse_modules_dep('kernel/a.ko: kernel/b.ko\n'
                                      'kernel/b.ko: kernel/a.ko\n')
        self.assertRaisesRegex(exception.TenksError, 'loop through a',
                               kmod.load_order, deps, ['a'])


class TestPackages(testtools.TestCase):

    def test_parse_stanzas(self):
        meta, busybox = debian.parse_stanzas(APT_META)
        self.assertEqual('6.1.192-3', meta['Version'])
        # A continuation line is not a field.
        self.assertEqual('linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)',
                         meta['Depends'])
        self.assertEqual('1:1.35.0-4+deb12u1+b1', busybox['Version'])

    def test_stanza_without_checksum(self):
        self.assertRaisesRegex(exception.TenksError, 'no SHA256',
                               debian.parse_stanzas,
                               'Package: a\nVersion: 1\n')

    def test_kernel_image(self):
        meta, busybox = debian.parse_stanzas(APT_META)
        self.assertEqual('linux-image-6.1.0-57-cloud-amd64',
                         debian.kernel_image(meta))
        self.assertIsNone(debian.kernel_image(busybox))
        self.assertIsNone(debian.kernel_image(
            debian.parse_stanzas(APT_IMAGE)[0]))

    def test_candidates_follow_the_metapackage(self):
        host = FakeHost(*APT_META.split('\n\n')[:2], APT_IMAGE)
        found = debian.candidates(host, ['linux-image-cloud-amd64',
                                         'busybox-static'])
        self.assertEqual([
            debian.Package('linux-image-6.1.0-57-cloud-amd64', '6.1.192-3',
                           '0123456789abcdef'),
            debian.Package('busybox-static', '1:1.35.0-4+deb12u1+b1',
                           '3d3fdbe91d4660c873e14b092c213fe81c1da6362daa23'
                           '6eb25d0171eb108744')], found)
        self.assertEqual(2, len(host.calls))

    def test_unknown_package(self):
        host = FakeHost(APT_IMAGE)
        self.assertRaisesRegex(exception.TenksError,
                               'busybox-static is not in apt',
                               debian.candidates, host, ['busybox-static'])


class TestCacheKey(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.script = os.path.join(self.dir, 'init.sh')
        self.write('#!/bin/sh\n')
        self.packages = [debian.Package('busybox-static', '1', 'aa'),
                         debian.Package('isolinux', '2', 'bb')]

    def write(self, text):
        with open(self.script, 'w') as stream:
            stream.write(text)

    def key(self, packages=None, modules=('virtio_net',), append='a=1'):
        return cache.cache_key(packages or self.packages,
                               {'init.sh': self.script}, modules, append)

    def test_same_inputs_same_key(self):
        self.assertEqual(self.key(), self.key(list(reversed(self.packages))))
        self.assertEqual(cache.KEY_LENGTH, len(self.key()))

    def test_every_input_counts(self):
        keys = {self.key()}
        keys.add(self.key([debian.Package('busybox-static', '1', 'aa'),
                           debian.Package('isolinux', '3', 'bb')]))
        keys.add(self.key([debian.Package('busybox-static', '1', 'ab'),
                           debian.Package('isolinux', '2', 'bb')]))
        keys.add(self.key(modules=('virtio_net', 'virtio_pci')))
        keys.add(self.key(append='a=2'))
        self.write('#!/bin/sh\necho changed\n')
        keys.add(self.key())
        self.assertEqual(6, len(keys))

    def test_build_code_is_an_input(self):
        names = build.inputs()
        for name in ('init.sh', 'udhcpc.sh', 'build.py', 'ramdisk.py',
                     'iso.py', 'kmod.py'):
            self.assertIn(name, names)


class TestCache(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cache = cache.Cache(os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'cache'))

    def scratch(self, key, content):
        scratch = self.cache.building(key)
        os.mkdir(os.path.join(scratch, 'out'))
        with open(os.path.join(scratch, 'out', 'vmlinuz'), 'w') as stream:
            stream.write(content)
        return scratch

    def test_miss(self):
        self.assertIsNone(self.cache.lookup('k'))

    def test_store_then_hit(self):
        scratch = self.scratch('k', 'one')
        self.assertEqual({'sizes': 1}, self.cache.store(
            'k', scratch, {'sizes': 1}))
        self.assertEqual({'sizes': 1}, self.cache.lookup('k'))
        self.assertFalse(os.path.exists(scratch))
        with open(os.path.join(self.cache.entry('k'), 'manifest.json')) as f:
            self.assertEqual({'sizes': 1}, json.load(f))

    def test_first_store_wins(self):
        first, second = self.scratch('k', 'one'), self.scratch('k', 'two')
        self.cache.store('k', first, {'n': 1})
        self.assertEqual({'n': 1}, self.cache.store('k', second, {'n': 2}))
        with open(os.path.join(self.cache.entry('k'), 'vmlinuz')) as f:
            self.assertEqual('one', f.read())
        self.assertEqual(['k'], os.listdir(self.cache.directory))

    def test_least_recently_used_pruned(self):
        for index, key in enumerate('abcd'):
            self.cache.store(key, self.scratch(key, key), {})
            os.utime(self.cache.entry(key), (1000 + index, 1000 + index))
        self.assertEqual(cache.KEEP, len(os.listdir(self.cache.directory)))
        self.cache.lookup('a')    # used now: the most recent
        self.cache.store('e', self.scratch('e', 'e'), {})
        self.assertEqual(['a', 'c', 'd', 'e'],
                         sorted(os.listdir(self.cache.directory)))

    def test_stale_scratch_swept(self):
        stale, fresh = self.scratch('a', 'x'), self.scratch('b', 'y')
        self.cache.store('k', self.scratch('k', 'z'), {})
        old = time.time() - cache.STALE_SECONDS - 60
        os.utime(stale, (old, old))
        os.utime(self.cache.entry('k'), (old, old))
        current = self.cache.building('c')
        self.assertEqual(sorted(['k', os.path.basename(fresh),
                                 os.path.basename(current)]),
                         sorted(os.listdir(self.cache.directory)))


class TestEnsure(testtools.TestCase):

    def test_multi_line_append(self):
        # Refused before apt, the cache or anything else is touched.
        self.assertRaisesRegex(
            exception.TenksError, 'one printable line',
            build.ensure, '/nonexistent', 'console=ttyS0\nx=1', object())


class TestInitScript(testtools.TestCase):

    def render(self):
        with open(ramdisk.INIT_SCRIPT) as stream:
            return ramdisk.render_init(stream.read(), VIRTIO_NET_ORDER[:2])

    def test_modules_in_order(self):
        self.assertIn('MODULES="/kernel/net/core/failover.ko '
                      '/kernel/drivers/net/net_failover.ko"\n', self.render())

    def test_valid_shell(self):
        for text in (self.render(), open(ramdisk.DHCP_SCRIPT).read()):
            subprocess.run(['sh', '-n'], input=text, text=True, check=True)

    def test_reports_and_reads_the_command_line(self):
        text = self.render()
        for needle in ('TENKS-RAMDISK: $*', 'say "booted', 'say "lease ',
                       '/proc/cmdline', 'cmdline_value tenks_callback',
                       'mac=$mac&ip=$address', 'udhcpc -i "$nic"'):
            self.assertIn(needle, text)

    def test_template_without_slot(self):
        self.assertRaisesRegex(exception.TenksError, 'no @MODULES@',
                               ramdisk.render_init, '#!/bin/sh\n', [])


class TestIsoConfig(testtools.TestCase):

    def test_isolinux(self):
        text = iso.isolinux_cfg('console=ttyS0 tenks_callback=http://x/')
        self.assertTrue(text.startswith('SERIAL 0 115200\n'))
        self.assertIn('  APPEND console=ttyS0 tenks_callback=http://x/\n',
                      text)
        self.assertIn('  INITRD /boot/initrd.img\n', text)

    def test_grub(self):
        text = iso.grub_cfg('console=ttyS0')
        self.assertIn('search --no-floppy --file --set=root /boot/vmlinuz',
                      text)
        self.assertIn('linux /boot/vmlinuz console=ttyS0\n'
                      'initrd /boot/initrd.img\nboot\n', text)

    def test_ironic_esp_reads_the_config_ironic_writes(self):
        text = iso.ironic_grub_cfg()
        self.assertIn('--set=root /EFI/BOOT/grub.cfg\n', text)
        self.assertTrue(text.endswith(
            'configfile ($root)/EFI/BOOT/grub.cfg\n'))

    def test_xorriso_boots_both_ways(self):
        argv = iso.xorriso_argv('/tree', '/out.iso', 'V', '/mbr.bin')
        self.assertEqual(argv[argv.index('-b') + 1], 'isolinux/isolinux.bin')
        self.assertEqual(argv[argv.index('-e') + 1], iso.ESP)
        self.assertEqual(['/tree'], argv[-1:])
