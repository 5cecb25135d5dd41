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


"""The Ironic Python Agent ramdisk, from Debian packages and PyPI wheels.

No image builder and no package manager inside a chroot: the closure of
PACKAGES is unpacked with dpkg-deb (no maintainer script matters in a
ramdisk), IPA and its dependencies are installed by pip as binary wheels
for Debian's Python, exactly the versions a resolution picked (so the
cache key can name them), and what an agent never reads is pruned before
the tree is packed as a zstd'd cpio (the kernel decompresses zstd fastest
of what it supports, which counts under TCG; level 9: -19 takes minutes
for 10% less).
"""

import json
import os
import re
import shutil
import tempfile

from tenks.artefacts import debian
from tenks.artefacts import kmod
from tenks.artefacts import ramdisk
from tenks import exception

IPA_VERSION = '13.0.0'
# Debian 12's python3; the wheels are picked for it, whatever runs pip.
PYTHON_VERSION = '3.11'
PACKAGES = (
    'python3', 'busybox-static', 'udev', 'kmod', 'util-linux', 'mount',
    'coreutils', 'iproute2', 'gdisk', 'parted', 'mdadm', 'lshw', 'dmidecode',
    'pciutils', 'hdparm', 'efibootmgr', 'psmisc',
    # ldconfig: ctypes.util.find_library (pyudev's libudev) asks it.
    'libc-bin',
    # What init-system-helpers (udev's) takes instead of usrmerge, which
    # would pull in all of Perl.
    'usr-is-merged')
# Tenks nodes: virtio disks and NICs, virtual media as SCSI CD-ROMs, EFI
# variables for UEFI nodes; the rest is built into the cloud kernel.
MODULES = ('virtio_pci', 'virtio_net', 'virtio_blk', 'virtio_scsi', 'sd_mod',
           'sr_mod', 'isofs', 'vfat', 'nls_ascii', 'efivarfs')
# Glibc 2.36's wheel tags, newest first.
PLATFORMS = ('manylinux_2_28_x86_64', 'manylinux_2_17_x86_64',
             'manylinux2014_x86_64', 'manylinux_2_12_x86_64',
             'manylinux2010_x86_64', 'manylinux_2_5_x86_64',
             'manylinux1_x86_64', 'linux_x86_64')
SITE = 'usr/lib/python3/dist-packages'
# "Inst name (version suite [arch])" of apt-get -s.
_INST = re.compile(r'^Inst (\S+) (?:\[\S+\] )?\((\S+) ', re.M)
PRUNE = (
    'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale',
    'usr/share/lintian', 'usr/share/bug', 'usr/share/bash-completion',
    'usr/share/zsh', 'usr/share/common-licenses', 'usr/share/perl5',
    'usr/share/perl', 'usr/lib/x86_64-linux-gnu/perl-base',
    'usr/lib/x86_64-linux-gnu/perl', 'usr/bin/perl', 'usr/bin/perl5.36.0',
    # hwdb.bin is generated from these; device names need no vendor
    # database.
    'lib/udev/hwdb.d', 'usr/lib/udev/hwdb.d',
    'usr/include', 'usr/lib/x86_64-linux-gnu/gconv', 'var/cache',
    'var/lib/dpkg', 'usr/lib/python3.11/test', 'usr/lib/python3.11/idlelib',
    'usr/lib/python3.11/tkinter', 'usr/lib/python3.11/ensurepip',
    'usr/lib/python3.11/lib2to3', 'usr/lib/python3.11/turtledemo',
    'usr/lib/python3.11/pydoc_data', 'usr/lib/python3.11/config-3.11-x86_64'
    '-linux-gnu', SITE + '/ironic_python_agent/tests',
    SITE + '/pint/testsuite')
HERE = os.path.dirname(os.path.abspath(__file__))
INIT_SCRIPT = os.path.join(HERE, 'init.sh')
_CPIO = ('cd "$0" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 '
         '--reproducible --quiet | zstd -q -9 -T0 > "$1"')
ETC = {
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    'etc/group': 'root:x:0:\ndisk:x:6:\n',
    'etc/hosts': '127.0.0.1 localhost\n::1 localhost\n',
    'etc/hostname': 'tenks-agent\n',
    # libc-bin's postinst would write it; ldconfig reads the multiarch
    # directories from libc6's file under ld.so.conf.d.
    'etc/ld.so.conf': 'include /etc/ld.so.conf.d/*.conf\n',
}


def pip_argv(python, constraints, *extra):
    """pip install argv for wheels Debian's Python can load."""
    argv = [python, '-m', 'pip', 'install', '-q', '--disable-pip-version-'
            'check', '--no-compile', '--only-binary', ':all:',
            '--implementation', 'cp', '--python-version', PYTHON_VERSION]
    for platform in PLATFORMS:
        argv += ['--platform', platform]
    if constraints:
        argv += ['-c', constraints]
    return argv + list(extra)


def parse_report(text):
    """debian.Package-like (name, version, sha256) of each wheel, sorted.

    The same shape as the .debs, so the cache key takes both alike.
    """
    wheels = []
    for item in json.loads(text)['install']:
        hashes = item['download_info'].get('archive_info', {}).get(
            'hashes', {})
        wheels.append(debian.Package(item['metadata']['name'],
                                     item['metadata']['version'],
                                     hashes.get('sha256', '')))
    return sorted(wheels)


def pins(wheels):
    return ['%s==%s' % (wheel.name, wheel.version) for wheel in wheels]


def parse_simulation(text):
    """[(name, version)] apt-get -s output would install, in its order."""
    return _INST.findall(text)


def closure(host, names):
    """The debian.Packages of names and all they depend on.

    apt resolves against an empty package database of its own, so the
    result is what a root holding just these packages needs, whatever
    the host has installed; recommends are left out. Name and version
    name a .deb of the archive; no sha256, which would cost an apt-cache
    call of seconds on every cache lookup. (Here rather than in
    tenks.artefacts.debian: see this package's docstring.)
    """
    with tempfile.TemporaryDirectory(prefix='tenks-apt-') as scratch:
        status = os.path.join(scratch, 'status')
        open(status, 'w').close()
        result = host.execute([
            'apt-get', '-s', '-q', '-o', 'Dir::State::status=' + status,
            '-o', 'APT::Install-Recommends=false',
            # Simulation only: the host's dpkg lock is no business of ours.
            '-o', 'Debug::NoLocking=1', 'install'] + list(names))
    found = parse_simulation(result.stdout)
    if result.returncode or not found:
        raise exception.PackagesUnknown(packages=list(names))
    return [debian.Package(name, version, '') for name, version in found]


def resolve(host, python, constraints, scratch):
    """The pins of IPA and its dependencies, as pip resolves them now."""
    report = os.path.join(scratch, 'pip-report.json')
    host.run(pip_argv(python, constraints, '--dry-run', '--ignore-installed',
                      '--target', os.path.join(scratch, 'none'), '--report',
                      report, 'ironic-python-agent==' + IPA_VERSION))
    with open(report) as stream:
        return parse_report(stream.read())


def build(host, python, root, kernel_root, wheels, output):
    """Write the agent ramdisk of root (unpacked PACKAGES) to output."""
    _check_python(root)
    host.run(pip_argv(python, None, '--no-deps', '--target',
                      os.path.join(root, SITE)) + pins(wheels))
    for path in PRUNE:
        _remove(os.path.join(root, path))
    for name, text in ETC.items():
        _write(os.path.join(root, name), text, 0o644)
    _modules(host, kernel_root, root)
    # /init's interpreter: Debian's own sh (dash) is not in the closure.
    if not os.path.lexists(os.path.join(root, 'bin', 'sh')):
        os.symlink('busybox', os.path.join(root, 'bin', 'sh'))
    with open(INIT_SCRIPT) as stream:
        _write(os.path.join(root, 'init'), ramdisk.render_init(
            stream.read(), _module_order(root)), 0o755)
    with open(ramdisk.DHCP_SCRIPT) as stream:
        _write(os.path.join(root, 'etc', 'udhcpc.sh'), stream.read(), 0o755)
    # Byte-compiled here, by the ramdisk's own Python, in place of the
    # sources (half the size, no compiling at each boot under TCG); then
    # checked: the compiled wheels load, so one unfit for it fails the
    # build, not a boot (the agent itself reads /proc/cmdline on import).
    host.run(['chroot', root, '/sbin/ldconfig'])
    host.run(['nice', 'chroot', root, '/usr/bin/python3', '-m',
              'compileall', '-q', '-b', '/usr/lib/python3.11', '/' + SITE])
    host.run(['find', os.path.join(root, 'usr/lib/python3.11'),
              os.path.join(root, SITE), '-name', '*.py', '-delete'])
    host.run(['chroot', root, '/usr/bin/python3', '-c',
              'import ironic_python_agent, psutil, pyudev, '
              'cryptography.x509, msgpack, yaml, zeroconf'])
    # pyudev finds libudev through ldconfig's cache (ctypes.util), which
    # the chroot cannot show it: no /dev/null there.
    if 'libudev.so.1 ' not in host.run(['chroot', root, '/sbin/ldconfig',
                                        '-p']):
        raise exception.AgentLibraryUnlisted(library='libudev.so.1')
    host.run(['nice', 'sh', '-c', _CPIO, root, output])


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _check_python(root):
    found = os.path.join(root, 'usr/lib/python' + PYTHON_VERSION)
    if not os.path.isdir(found):
        raise exception.AgentPythonMismatch(
            want=PYTHON_VERSION, found=sorted(
                name for name in os.listdir(os.path.join(root, 'usr/lib'))
                if name.startswith('python3.')))


def _modules(host, kernel_root, root):
    """Copy MODULES and their needs from kernel_root, index them in root."""
    release = ramdisk.kernel_release(kernel_root)
    for path in ramdisk.module_paths(host, kernel_root, MODULES):
        target = os.path.join(root, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(kernel_root, path), target)
    base = os.path.join('lib', 'modules', release)
    for name in ('modules.order', 'modules.builtin',
                 'modules.builtin.modinfo'):
        source = os.path.join(kernel_root, base, name)
        if os.path.exists(source):
            shutil.copy2(source, os.path.join(root, base, name))
    host.run(['depmod', '-b', root, release])


def _module_order(root):
    release = ramdisk.kernel_release(root)
    base = os.path.join('lib', 'modules', release)
    with open(os.path.join(root, base, 'modules.dep')) as stream:
        deps = kmod.parse_modules_dep(stream.read())
    return [os.path.join(base, path) for path in kmod.load_order(deps,
                                                                 MODULES)]


def _write(path, text, mode):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as stream:
        stream.write(text)
    os.chmod(path, mode)
