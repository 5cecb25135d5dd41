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

import errno
import fcntl
import json
import os
import stat
import subprocess
import sys
from unittest import mock

import fixtures
import testtools

from tenks import exception
from tenks import records
from tenks import state

CHILD = '''
import sys
from tenks import exception, state
try:
    with state.locked(sys.argv[1]):
        print('ACQUIRED')
except exception.StateLocked as err:
    print('LOCKED %s' % err)
'''


class StateTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.dir, 'state.json')


class TestEmpty(StateTestCase):

    def test_missing_file_gives_empty_state(self):
        data = state.load(self.path)
        self.assertEqual(1, data.schema_version)
        self.assertEqual(state.SCHEMA_VERSION, data.schema_version)
        self.assertEqual({}, data.nodes)
        self.assertEqual({}, data.hypervisors)
        self.assertEqual({}, data.credentials)
        self.assertRegex(data.cluster_id, r'^[0-9a-f]{8}$')
        self.assertFalse(os.path.exists(self.path))

    def test_cluster_id_follows_the_path(self):
        # A lost state file at the same path must find its cluster again.
        self.assertEqual(state.empty(self.path).cluster_id,
                         state.empty(self.path).cluster_id)
        self.assertNotEqual(state.empty(self.path).cluster_id,
                            state.empty(self.path + '2').cluster_id)


class TestSaveLoad(StateTestCase):

    def test_round_trip(self):
        data = state.empty(self.path)
        data.nodes['tk0'] = records.Node.from_dict({
            'name': 'tk0', 'uuid': 'u', 'spec': 's', 'hypervisor': 'h',
            'bmc': {'driver': 'ipmi', 'address': '127.0.0.1', 'port': 6230},
            'nics': [{'physnet': 'p', 'mac': '52:54:00:00:00:01',
                      'bridge': 'b', 'veth_bridge': 'tk0-0b',
                      'veth_node': 'tk0-0n'}],
            'volumes': [], 'ironic_uuid': None})
        data.credentials['ipmi_password'] = 'p'
        state.save(self.path, data)
        self.assertEqual(data, state.load(self.path))

    def test_mode_0600(self):
        state.save(self.path, state.empty(self.path))
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))

    def test_mode_0600_replacing_readable_file(self):
        with open(self.path, 'w') as stream:
            stream.write('{}')
        os.chmod(self.path, 0o644)
        state.save(self.path, state.empty(self.path))
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))

    def test_no_temporary_files_left(self):
        state.save(self.path, state.empty(self.path))
        state.save(self.path, state.empty(self.path))
        self.assertEqual(['state.json'], os.listdir(self.dir))

    def test_failed_save_keeps_old_file(self):
        old = state.empty(self.path)
        state.save(self.path, old)
        broken = state.empty(self.path)
        broken.credentials = {'ipmi_password': {1, 2}}
        self.assertRaises(TypeError, state.save, self.path, broken)
        self.assertEqual(['state.json'], os.listdir(self.dir))
        self.assertEqual(old, state.load(self.path))

    def test_full_disk_keeps_old_file_and_says_so(self):
        old = state.empty(self.path)
        state.save(self.path, old)
        new = state.empty(self.path)
        new.credentials['ipmi_username'] = 'changed'
        full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        with mock.patch.object(os, 'fsync', side_effect=full):
            err = self.assertRaises(exception.StateUnwritable, state.save,
                                    self.path, new)
        self.assertIn('%s: No space left on device' % self.path, str(err))
        self.assertEqual(['state.json'], os.listdir(self.dir))
        self.assertEqual(old, state.load(self.path))

    def test_creates_directory(self):
        path = os.path.join(self.dir, 'sub', 'state.json')
        state.save(path, state.empty(path))
        self.assertEqual(state.SCHEMA_VERSION,
                         state.load(path).schema_version)
        self.assertEqual(0o700, stat.S_IMODE(
            os.stat(os.path.dirname(path)).st_mode) & 0o700)

    def test_wrong_schema_version(self):
        with open(self.path, 'w') as stream:
            json.dump({'schema_version': 2, 'nodes': {}}, stream)
        err = self.assertRaises(exception.StateError, state.load, self.path)
        self.assertEqual('State file %s has schema version 2; this Tenks '
                         'reads version 1. A newer Tenks wrote it: run that '
                         'one; nothing was changed.' % self.path, str(err))

    def test_missing_schema_version(self):
        with open(self.path, 'w') as stream:
            json.dump({'nodes': {}}, stream)
        err = self.assertRaises(exception.StateError, state.load, self.path)
        self.assertEqual('State file %s has schema version None; this Tenks '
                         'reads version 1.' % self.path, str(err))

    def test_corrupt_json(self):
        with open(self.path, 'w') as stream:
            stream.write('{"schema_version": 1, "nodes": ')
        err = self.assertRaises(exception.StateError, state.load, self.path)
        self.assertThat(str(err), testtools.matchers.StartsWith(
            'Cannot read state file %s: ' % self.path))

    def test_json_not_an_object(self):
        with open(self.path, 'w') as stream:
            stream.write('[]')
        self.assertRaises(exception.StateError, state.load, self.path)

    def test_unreadable_path(self):
        os.mkdir(self.path)
        err = self.assertRaises(exception.StateError, state.load, self.path)
        self.assertIn('Cannot read state file %s' % self.path, str(err))


class TestLocked(StateTestCase):

    def try_in_child(self):
        result = subprocess.run(
            [sys.executable, '-c', CHILD, self.path],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(0, result.returncode, result.stderr)
        return result.stdout.strip()

    def test_second_process_fails_naming_holder(self):
        with state.locked(self.path):
            output = self.try_in_child()
        self.assertThat(output, testtools.matchers.StartsWith(
            'LOCKED State file %s is in use by PID %d (' % (
                self.path, os.getpid())))
        self.assertThat(output, testtools.matchers.EndsWith(
            '); wait for it to finish or stop it.'))

    def test_released_after_exit(self):
        with state.locked(self.path):
            pass
        self.assertEqual('ACQUIRED', self.try_in_child())

    def test_released_after_exception(self):
        def fail():
            with state.locked(self.path):
                raise RuntimeError('boom')

        self.assertRaises(RuntimeError, fail)
        self.assertEqual('ACQUIRED', self.try_in_child())

    def test_lock_file_names_holder_then_is_cleared(self):
        state.save(self.path, state.empty(self.path))
        lock = self.path + '.lock'
        with state.locked(self.path):
            with open(lock) as stream:
                self.assertEqual(str(os.getpid()),
                                 stream.read().splitlines()[0])
            self.assertEqual(0o600, stat.S_IMODE(os.stat(lock).st_mode))
        with open(lock) as stream:
            self.assertEqual('', stream.read())

    def test_run_without_state_file_leaves_nothing(self):
        directory = os.path.join(self.dir, 'new')
        path = os.path.join(directory, 'state.json')
        with state.locked(path):
            self.assertEqual(['state.json.lock'], os.listdir(directory))
        self.assertEqual([], os.listdir(self.dir))

    def test_run_without_state_file_keeps_existing_directory(self):
        with state.locked(self.path):
            pass
        self.assertEqual([], os.listdir(self.dir))
        self.assertTrue(os.path.isdir(self.dir))

    def test_lock_survives_unlink_race(self):
        with state.locked(self.path):
            # A second run has opened the lock file and waits to flock it.
            waiting = os.open(self.path + '.lock', os.O_RDWR)
        self.addCleanup(os.close, waiting)
        # The first run unlinked it on exit; a third run takes the lock.
        self.assertEqual('ACQUIRED', self.try_in_child())
        # The second run gets its flock, but on a file no longer linked:
        # locked() must see that and try again rather than go ahead.
        fcntl.flock(waiting, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.assertFalse(state.still_linked(waiting, self.path + '.lock'))

    def test_lock_file_in_place_is_linked(self):
        with state.locked(self.path):
            fd = os.open(self.path + '.lock', os.O_RDWR)
            self.addCleanup(os.close, fd)
            self.assertTrue(state.still_linked(fd, self.path + '.lock'))

    def test_reacquire_in_same_process(self):
        with state.locked(self.path):
            pass
        with state.locked(self.path):
            pass

    def test_stale_lock_file_is_not_a_lock(self):
        with open(self.path + '.lock', 'w') as stream:
            stream.write('999999\nold run\n')
        self.assertEqual('ACQUIRED', self.try_in_child())
