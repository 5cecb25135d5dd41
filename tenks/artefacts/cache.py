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


"""The boot artefacts cache: one directory per key, complete or absent.

The key digests everything that goes into the artefacts (the .debs apt
would fetch, the scripts, the code that builds them, the kernel command
line of the ISO), so an entry is reused only for the same inputs. An
entry is built under a temporary name and renamed into place with its
manifest inside, so a killed build never leaves a half entry behind.
"""

import hashlib
import json
import os
import shutil
import tempfile
import time

MANIFEST = 'manifest.json'
KEY_LENGTH = 16
STALE_SECONDS = 3600
# Entries kept: a few kernel command lines, and the last build or two.
KEEP = 4


def file_digest(path):
    with open(path, 'rb') as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def cache_key(packages, files, modules, append):
    """The key of artefacts built from these inputs.

    packages: debian.Package tuples; files: {name: path} of the scripts
    and code; modules: the kernel modules asked for; append: the ISO's
    kernel command line.
    """
    inputs = {
        'packages': sorted([list(package) for package in packages]),
        'files': {name: file_digest(path) for name, path in files.items()},
        'modules': list(modules),
        'append': append,
    }
    text = json.dumps(inputs, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


class Cache:
    """Entries under one directory, kept between runs."""

    def __init__(self, directory):
        self.directory = directory

    def entry(self, key):
        return os.path.join(self.directory, key)

    def lookup(self, key):
        """The manifest of key's entry, or None when there is none."""
        path = os.path.join(self.entry(key), MANIFEST)
        try:
            with open(path) as stream:
                manifest = json.load(stream)
        except FileNotFoundError:
            return None
        # Its time of last use, for prune().
        os.utime(self.entry(key))
        return manifest

    def prune(self, keep=KEEP):
        """Remove all but the keep entries used last."""
        entries = sorted(
            (os.path.getmtime(path), path) for path in (
                os.path.join(self.directory, name)
                for name in os.listdir(self.directory)
                if not name.startswith('.')))
        for _, path in entries[:-keep]:
            shutil.rmtree(path, ignore_errors=True)

    def building(self, key):
        """A fresh scratch directory beside the entries."""
        os.makedirs(self.directory, exist_ok=True)
        self._sweep()
        return tempfile.mkdtemp(prefix='.%s-' % key, dir=self.directory)

    def _sweep(self):
        """Remove the scratch of builds killed long ago.

        A build takes seconds, so an hour-old one is no build in progress.
        """
        cutoff = time.time() - STALE_SECONDS
        for name in os.listdir(self.directory):
            path = os.path.join(self.directory, name)
            if name.startswith('.') and os.path.getmtime(path) < cutoff:
                shutil.rmtree(path, ignore_errors=True)

    def store(self, key, scratch, manifest):
        """Make scratch/out key's entry; scratch goes either way.

        An entry another build stored first wins; the least recently used
        beyond KEEP go.
        """
        out = os.path.join(scratch, 'out')
        with open(os.path.join(out, MANIFEST), 'w') as stream:
            json.dump(manifest, stream, indent=2, sort_keys=True)
        try:
            os.rename(out, self.entry(key))
        except OSError:
            if self.lookup(key) is None:
                raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        manifest = self.lookup(key)
        self.prune()
        return manifest
