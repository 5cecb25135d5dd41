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

"""A damaged state file is refused, and a write is never half done."""

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from unittest import mock

import fixtures
import testtools

from tenks import exception
from tenks import state
from tests.unit import test_state_files

# Both this test and the writer it kills make generation n of the state
# this way, so that the test can tell a whole generation from a mix.
GENERATION = '''
def generation(state, path, n, size):
    data = state.empty(path)
    data.credentials = {'generation': str(n)}
    data.extra = {'filler': ['%d-%d' % (n, i) for i in range(size)]}
    return data
'''
WRITER = GENERATION + '''
import sys
from tenks import state
path, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print('writing', flush=True)
while True:
    n += 1
    state.save(path, generation(state, path, n, size))
'''
namespace = {}
exec(GENERATION, namespace)
generation = namespace['generation']
# Big enough that a save takes a while, so that kills land inside one.
SIZE = 30000


class DamageTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.dir, 'state.json')

    def write(self, text):
        with open(self.path, 'wb') as stream:
            stream.write(text if isinstance(text, bytes) else text.encode())

    def refused(self, cls=exception.StateError):
        return str(self.assertRaises(cls, state.load, self.path,
                                     'cluster.yaml'))


class TestDamage(DamageTestCase):

    def whole(self):
        data = test_state_files.captured('deployed.json')
        data['cluster_id'] = state.cluster_id(self.path)
        return json.dumps(data, indent=1, sort_keys=True)

    def test_truncated_anywhere(self):
        text = self.whole()
        for cut in sorted(random.Random(1).sample(range(1, len(text)), 50)):
            self.write(text[:cut])
            message = self.refused(exception.StateDamaged)
            self.assertIn('Cannot read state file %s: truncated after %d '
                          'bytes; nothing was changed' % (self.path, cut),
                          message)
            self.assertIn('run `tenks teardown cluster.yaml`', message)

    def test_empty(self):
        self.write('')
        self.assertIn(': empty; nothing was changed',
                      self.refused(exception.StateDamaged))

    def test_not_json(self):
        self.write('nodes: {}\n')
        self.assertIn(': not JSON (Expecting value: line 1 column 1 (char '
                      '0)); nothing was changed',
                      self.refused(exception.StateDamaged))

    def test_not_utf8(self):
        self.write(b'{"schema_version": 1, "cluster_id": "\xff"}')
        self.assertIn(': not UTF-8 text;',
                      self.refused(exception.StateDamaged))

    def test_wrong_shape(self):
        data = json.loads(self.whole())
        data['nodes']['tk0'] = ['not', 'a', 'node']
        self.write(json.dumps(data))
        message = self.refused(exception.StateDamaged)
        self.assertIn(': not a Tenks state of schema version 1 (', message)
        self.assertIn('`tenks teardown cluster.yaml`', message)

    def test_another_clusters(self):
        elsewhere = os.path.join(self.dir, 'other', 'state.json')
        state.save(elsewhere, state.empty(elsewhere))
        os.rename(elsewhere, self.path)
        message = self.refused(exception.StateOfAnotherCluster)
        self.assertIn('holds the state of cluster %s, written at another '
                      'path; the cluster at this path is %s' % (
                          state.cluster_id(elsewhere),
                          state.cluster_id(self.path)), message)
        self.assertIn('`tenks teardown cluster.yaml`', message)

    def test_newer_schema(self):
        data = json.loads(self.whole())
        data['schema_version'] = state.SCHEMA_VERSION + 1
        self.write(json.dumps(data))
        self.assertIn('A newer Tenks wrote it',
                      self.refused(exception.StateSchemaNewer))

    def test_permission_denied(self):
        # The tests run as root, whom file modes do not stop.
        self.write(self.whole())
        denied = PermissionError(errno.EACCES, 'Permission denied')
        with mock.patch.object(state, 'open', create=True,
                               side_effect=denied):
            self.assertEqual('Cannot read state file %s: Permission denied'
                             % self.path,
                             self.refused(exception.StateUnreadable))

    def test_symlink_loop(self):
        os.symlink(self.path, self.path)
        self.assertIn('Too many levels of symbolic links',
                      self.refused(exception.StateUnreadable))

    def test_one_line_and_file_untouched(self):
        for text in (self.whole()[:100], 'x', self.whole().replace(
                '"schema_version": 1', '"schema_version": 9')):
            self.write(text)
            message = self.refused()
            self.assertNotIn('\n', message)
            self.assertEqual(text, open(self.path).read())
            self.assertEqual(['state.json'], os.listdir(self.dir))


class TestAtomicWrite(DamageTestCase):

    def saved_generation(self):
        """The generation in the file, checked to be whole."""
        loaded = state.load(self.path)
        n = int(loaded.credentials['generation'])
        self.assertEqual(generation(state, self.path, n, SIZE).to_dict(),
                         loaded.to_dict())
        return n

    def kill_a_writer(self, start, delay):
        writer = subprocess.Popen(
            [sys.executable, '-c', WRITER, self.path, str(start), str(SIZE)],
            stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual('writing\n', writer.stdout.readline())
            time.sleep(delay)
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            writer.stdout.close()
        self.assertEqual(-signal.SIGKILL, writer.returncode)

    def test_killed_writer_leaves_old_or_new(self):
        state.save(self.path, generation(state, self.path, 0, SIZE))
        rng = random.Random(4)
        last = 0
        mid_write = 0
        for _ in range(12):
            self.kill_a_writer(last, rng.uniform(0.05, 0.3))
            temporaries = [name for name in os.listdir(self.dir)
                           if name != 'state.json']
            mid_write += bool(temporaries)
            n = self.saved_generation()
            # Old or new: never older than what was there before.
            self.assertGreaterEqual(n, last)
            last = n
        # The kills landed inside writes, not only between them.
        self.assertGreater(mid_write, 0)
        self.assertGreater(last, 0)
        state.save(self.path, generation(state, self.path, last + 1, 1))
        self.assertEqual(['state.json'], os.listdir(self.dir))

    def test_failure_between_write_and_rename_keeps_old(self):
        old = generation(state, self.path, 1, 10)
        state.save(self.path, old)
        before = open(self.path).read()
        for target, error in (('replace', OSError(errno.EXDEV, 'rename')),
                              ('fsync', OSError(errno.ENOSPC, 'full'))):
            with mock.patch.object(state.os, target, side_effect=error):
                self.assertRaises(exception.StateUnwritable, state.save,
                                  self.path,
                                  generation(state, self.path, 2, 10))
            self.assertEqual(before, open(self.path).read(), target)
            self.assertEqual(['state.json'], os.listdir(self.dir), target)

    def test_temporaries_of_other_state_files_kept(self):
        other = os.path.join(self.dir, '.other.json.tmp-x')
        open(other, 'w').close()
        state.save(self.path, state.empty(self.path))
        self.assertTrue(os.path.exists(other))
