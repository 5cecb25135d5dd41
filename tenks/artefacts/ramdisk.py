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


"""The Tenks ramdisk: busybox, the NIC modules and /init, as a gzip'd cpio.

The kernel package ships no modules.dep (Debian runs depmod when it is
installed), so depmod writes one into the unpacked tree, never the host's.
"""

import os
import shutil

from tenks.artefacts import kmod
from tenks import exception

HERE = os.path.dirname(os.path.abspath(__file__))
INIT_SCRIPT = os.path.join(HERE, 'init.sh')
DHCP_SCRIPT = os.path.join(HERE, 'udhcpc.sh')
_CPIO = ('cd "$0" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 '
         '--reproducible --quiet | gzip -9n > "$1"')


def render_init(template, module_paths):
    """/init with the modules to load, in order, filled in."""
    if '@MODULES@' not in template:
        raise exception.InitSlotMissing(slot='@MODULES@')
    return template.replace('@MODULES@', ' '.join(
        '/' + path for path in module_paths))


def kernel_release(root):
    """The one kernel release unpacked under root/lib/modules."""
    releases = os.listdir(os.path.join(root, 'lib', 'modules'))
    if len(releases) != 1:
        raise exception.NotOneKernel(where='under %s' % root,
                                     found=releases or 'none')
    return releases[0]


def module_paths(host, root, names):
    """Paths (relative to root) of names and their dependencies."""
    release = kernel_release(root)
    host.run(['depmod', '-b', root, release])
    base = os.path.join('lib', 'modules', release)
    with open(os.path.join(root, base, 'modules.dep')) as stream:
        deps = kmod.parse_modules_dep(stream.read())
    return [os.path.join(base, path) for path in kmod.load_order(deps, names)]


def build(host, root, modules, stage, output):
    """Write the initramfs of root's busybox and modules to output."""
    paths = module_paths(host, root, modules)
    for path in paths + ['bin/busybox']:
        target = os.path.join(stage, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(root, path), target)
    # /init's interpreter; busybox installs its other applets itself.
    os.symlink('busybox', os.path.join(stage, 'bin', 'sh'))
    with open(INIT_SCRIPT) as stream:
        _write(os.path.join(stage, 'init'), render_init(stream.read(), paths))
    with open(DHCP_SCRIPT) as stream:
        _write(os.path.join(stage, 'etc', 'udhcpc.sh'), stream.read())
    host.run(['sh', '-c', _CPIO, stage, output])


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as stream:
        stream.write(text)
    os.chmod(path, 0o755)
