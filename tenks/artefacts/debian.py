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


"""The Debian packages boot artefacts are made of, through apt alone.

What apt would fetch is read from its package lists (``apt-cache show``),
so a cache hit needs no download; a build fetches the very same .debs with
``apt-get download`` and unpacks them with ``dpkg-deb -x`` into a scratch
directory, never onto the host.
"""

import collections
import glob
import os

from tenks import exception

Package = collections.namedtuple('Package', 'name version sha256')

# Fields of a package stanza the artefacts depend on.
_FIELDS = ('Package', 'Version', 'SHA256', 'Depends')


def parse_stanzas(text):
    """[{field: value}] of the stanzas of apt-cache show output."""
    stanzas = []
    for block in text.split('\n\n'):
        fields = {}
        for line in block.splitlines():
            name, sep, value = line.partition(':')
            if sep and line[:1].strip() and name in _FIELDS:
                fields[name] = value.strip()
        if fields:
            missing = [name for name in _FIELDS[:3] if name not in fields]
            if missing:
                raise exception.PackageStanzaIncomplete(
                    missing=missing, stanza=block[:80])
            stanzas.append(fields)
    return stanzas


def kernel_image(fields):
    """The linux-image package a kernel metapackage stands for.

    None when fields are those of a real kernel image already.
    """
    for alternatives in fields.get('Depends', '').split(','):
        name = alternatives.split('|')[0].split('(')[0].strip()
        if name.startswith('linux-image-'):
            return name
    return None


def candidates(host, names):
    """The Packages apt would install for names, in order.

    A kernel metapackage (linux-image-cloud-amd64) is followed to its image.
    """
    # One apt-cache run for all: each reads every package list.
    result = host.execute(['apt-cache', 'show', '--no-all-versions']
                          + list(names))
    found = {fields['Package']: fields
             for fields in parse_stanzas(result.stdout)}
    missing = [name for name in names if name not in found]
    if missing:
        raise exception.PackagesUnknown(packages=missing)
    packages = []
    for name in names:
        image = kernel_image(found[name])
        packages += candidates(host, [image]) if image else [Package(
            found[name]['Package'], found[name]['Version'],
            found[name]['SHA256'])]
    return packages


def unpack(host, packages, scratch):
    """Download packages into scratch, unpack them into scratch/root."""
    debs = os.path.join(scratch, 'debs')
    root = os.path.join(scratch, 'root')
    host.make_dirs(debs)
    host.make_dirs(root)
    host.run(['sh', '-c', 'cd "$0" && exec apt-get download -q "$@"', debs]
             + ['%s=%s' % (package.name, package.version)
                for package in packages])
    for package in packages:
        found = glob.glob(os.path.join(debs, '%s_*.deb' % package.name))
        if len(found) != 1:
            raise exception.PackageNotDownloaded(package=package.name)
        host.run(['dpkg-deb', '-x', found[0], root])
    return root
