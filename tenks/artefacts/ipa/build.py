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


"""Build the agent artefacts into their cache, or find them there.

    artefacts = build.ensure('/var/cache/tenks/agent-artefacts',
                                   constraints='upper-constraints.txt')

gives the kernel, the Ironic Python Agent ramdisk and a whole-disk image
(with its sha256), the time it took and whether the cache served them.
The key names every input: the .debs (the kernel's and the closure of the
agent's packages), this code (which pins IPA) and the constraints file
the rest of the wheels are resolved with; the manifest records the wheels
a build installed. (Resolving on every lookup would key them exactly, but
costs PyPI round trips of tens of seconds; the constraints pin all but
certifi and setuptools.) Its own cache directory, beside the
boot artefacts', so neither's pruning ever removes the other's entries.
"""

import collections
import glob
import os
import shutil
import sys
import time

from tenks.artefacts import build as boot_build
from tenks.artefacts import cache as cache_mod
from tenks.artefacts import debian
from tenks.artefacts.ipa import agent
from tenks.artefacts.ipa import disk_image
from tenks.artefacts import ramdisk
from tenks import hosts

DEFAULT_CACHE_DIR = '/var/cache/tenks/agent-artefacts'
# The kernel, busybox for the disk image's ramdisk, its boot loaders.
KERNEL_PACKAGES = ('linux-image-cloud-amd64', 'busybox-static',
                   'syslinux-common', 'grub-efi-amd64-bin')
KERNEL, RAMDISK, DISK = 'vmlinuz', 'ipa.initramfs', 'tenks-disk.img'
DISK_RAMDISK = 'disk.initramfs'

Artefacts = collections.namedtuple(
    'Artefacts', 'key directory kernel ramdisk disk disk_sha256 '
    'ipa_version sizes cached seconds build_seconds')


def inputs(constraints=None):
    """{name: path} of the files whose content the artefacts depend on."""
    here = os.path.dirname(os.path.abspath(__file__))
    files = boot_build.inputs()
    files.update({'ipa/' + os.path.relpath(path, here): path for path in
                  sorted(glob.glob(os.path.join(here, '*.py'))
                         + [agent.INIT_SCRIPT])})
    if constraints:
        files['upper-constraints.txt'] = constraints
    return files


def ensure(cache_dir=DEFAULT_CACHE_DIR, constraints=None, host=None,
           python=sys.executable):
    """The agent artefacts, built now unless the cache has them."""
    started = time.monotonic()
    host = host or hosts.LocalHost()
    kernel_packages = _kernel_packages(host)
    agent_packages = agent.closure(host, agent.PACKAGES)
    key = cache_mod.cache_key(
        kernel_packages + agent_packages, inputs(constraints), agent.MODULES,
        disk_image.DISK_APPEND)
    cache = cache_mod.Cache(cache_dir)
    manifest = cache.lookup(key)
    cached = manifest is not None
    if not cached:
        manifest = _build(host, python, cache, key, kernel_packages,
                          agent_packages, constraints)
    directory = cache.entry(key)
    return Artefacts(
        key, directory, os.path.join(directory, KERNEL),
        os.path.join(directory, RAMDISK), os.path.join(directory, DISK),
        manifest['disk_sha256'], agent.IPA_VERSION, manifest['sizes'],
        cached, round(time.monotonic() - started, 1),
        manifest['build_seconds'])


def _kernel_packages(host):
    """The .debs of KERNEL_PACKAGES, the kernel image for its metapackage.

    From the apt-get simulation the agent's packages need anyway: one apt
    run costs seconds here (no apt cache kept between runs), and
    debian.candidates takes two for the metapackage.
    """
    return [package for package in agent.closure(host, KERNEL_PACKAGES)
            if package.name in KERNEL_PACKAGES
            or package.name.startswith('linux-image-')]


def _build(host, python, cache, key, kernel_packages, agent_packages,
           constraints):
    started = time.monotonic()
    scratch = cache.building(key)
    try:
        wheels = agent.resolve(host, python, constraints, scratch)
        kernel_root = debian.unpack(host, kernel_packages,
                                    os.path.join(scratch, 'kernel'))
        agent_root = debian.unpack(host, agent_packages,
                                   os.path.join(scratch, 'agent'))
        out = os.path.join(scratch, 'out')
        os.makedirs(out)
        kernel = os.path.join(out, KERNEL)
        shutil.copy2(boot_build._kernel_image(kernel_root), kernel)
        agent.build(host, python, agent_root, kernel_root, wheels,
                    os.path.join(out, RAMDISK))
        disk_ramdisk = os.path.join(scratch, DISK_RAMDISK)
        ramdisk.build(host, kernel_root, boot_build.NIC_MODULES,
                      os.path.join(scratch, 'disk-stage'), disk_ramdisk)
        disk = os.path.join(out, DISK)
        disk_image.build(host, kernel_root, kernel, disk_ramdisk, scratch,
                         disk)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return cache.store(key, scratch, {
        'key': key,
        'packages': [package._asdict()
                     for package in kernel_packages + agent_packages],
        'wheels': [wheel._asdict() for wheel in wheels],
        'ipa_version': agent.IPA_VERSION,
        'modules': list(agent.MODULES),
        'disk_append': disk_image.DISK_APPEND,
        'disk_sha256': cache_mod.file_digest(disk),
        'build_seconds': round(time.monotonic() - started, 1),
        'sizes': {name: os.path.getsize(os.path.join(out, name))
                  for name in (KERNEL, RAMDISK, DISK)},
    })
