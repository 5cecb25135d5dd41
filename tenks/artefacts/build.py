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


"""Build the boot artefacts into the cache, or find them there.

    artefacts = build.ensure('/var/cache/tenks/boot-artefacts',
                             append='console=ttyS0 tenks_callback=URL')

gives the kernel, the initramfs and the ISO (whose kernel command line is
append; kernel and initramfs take theirs from whoever boots them), and
what Ironic needs to build ISOs of its own (an EFI system partition image
and isolinux's files), with the time it took and whether the cache served
them.
"""

import collections
import glob
import os
import shutil
import time

from tenks.artefacts import cache as cache_mod
from tenks.artefacts import debian
from tenks.artefacts import iso
from tenks.artefacts import ramdisk
from tenks import exception
from tenks import hosts

DEFAULT_CACHE_DIR = '/var/cache/tenks/boot-artefacts'
DEFAULT_APPEND = 'console=ttyS0'
PACKAGES = ('linux-image-cloud-amd64', 'busybox-static',
            'grub-efi-amd64-bin', 'isolinux', 'syslinux-common')
# Tenks nodes have virtio NICs; the cloud kernel builds their drivers as
# modules.
NIC_MODULES = ('virtio_pci', 'virtio_net')
KERNEL, INITRAMFS, ISO = 'vmlinuz', 'initramfs.img', 'tenks-ramdisk.iso'
# For Ironic's own ISOs ([DEFAULT] esp_image, isolinux_bin, ldlinux_c32).
ESP, ISOLINUX, LDLINUX = 'esp.img', 'isolinux.bin', 'ldlinux.c32'
FILES = {'kernel': KERNEL, 'initramfs': INITRAMFS, 'iso': ISO,
         'esp': ESP, 'isolinux': ISOLINUX, 'ldlinux': LDLINUX}

Artefacts = collections.namedtuple(
    'Artefacts', 'key directory kernel initramfs iso esp isolinux ldlinux '
    'sizes cached seconds')


def default_cache_dir():
    """$TENKS_BOOT_ARTEFACTS_DIR, else DEFAULT_CACHE_DIR."""
    return os.environ.get('TENKS_BOOT_ARTEFACTS_DIR', DEFAULT_CACHE_DIR)


def inputs():
    """{name: path} of the files whose content the artefacts depend on."""
    here = os.path.dirname(os.path.abspath(__file__))
    return {os.path.relpath(path, here): path for path in sorted(
        glob.glob(os.path.join(here, '*.py'))
        + [ramdisk.INIT_SCRIPT, ramdisk.DHCP_SCRIPT])}


def ensure(cache_dir=DEFAULT_CACHE_DIR, append=DEFAULT_APPEND, host=None):
    """The artefacts for append, built now unless the cache has them."""
    if not append.isprintable():
        raise exception.KernelCommandLineInvalid(append=append)
    started = time.monotonic()
    host = host or hosts.LocalHost()
    packages = debian.candidates(host, PACKAGES)
    key = cache_mod.cache_key(packages, inputs(), NIC_MODULES, append)
    cache = cache_mod.Cache(cache_dir)
    manifest = cache.lookup(key)
    cached = manifest is not None
    if not cached:
        manifest = _build(host, cache, key, packages, append)
    directory = cache.entry(key)
    return Artefacts(
        key=key, directory=directory, sizes=manifest['sizes'],
        cached=cached, seconds=round(time.monotonic() - started, 1),
        **{field: os.path.join(directory, name)
           for field, name in FILES.items()})


def _build(host, cache, key, packages, append):
    scratch = cache.building(key)
    try:
        root = debian.unpack(host, packages, scratch)
        out = os.path.join(scratch, 'out')
        os.makedirs(out)
        kernel = os.path.join(out, KERNEL)
        shutil.copy2(_kernel_image(root), kernel)
        initramfs = os.path.join(out, INITRAMFS)
        ramdisk.build(host, root, NIC_MODULES,
                      os.path.join(scratch, 'initramfs'), initramfs)
        iso.build(host, root, kernel, initramfs, append, scratch,
                  os.path.join(out, ISO))
        iso.ironic_files(host, root, scratch, {
            field: os.path.join(out, FILES[field])
            for field in ('esp', 'isolinux', 'ldlinux')})
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return cache.store(key, scratch, {
        'key': key,
        'packages': [package._asdict() for package in packages],
        'modules': list(NIC_MODULES),
        'append': append,
        'sizes': {name: os.path.getsize(os.path.join(out, name))
                  for name in FILES.values()},
    })


def _kernel_image(root):
    found = glob.glob(os.path.join(root, 'boot', 'vmlinuz-*'))
    if len(found) != 1:
        raise exception.NotOneKernel(where='in the kernel package',
                                     found=found)
    return found[0]
