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

"""The state file: what Tenks made, so that it can keep and remove it.

Written atomically (temporary file, fsync, rename) with mode 0600 since it
holds BMC passwords, and locked for a whole run so that two runs never
interleave.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import sys
import tempfile

from tenks import exception
from tenks import records

SCHEMA_VERSION = 1


def cluster_id(path):
    """The mark of the cluster whose state lives at path.

    Derived from the path rather than chosen at random, so that when the
    state file is lost the next run at the same path still recognises,
    and can remove, everything the cluster made.
    """
    real = os.path.realpath(os.path.abspath(path))
    return hashlib.sha256(real.encode()).hexdigest()[:8]


def empty(path):
    return records.State(schema_version=SCHEMA_VERSION,
                         cluster_id=cluster_id(path))


def load(path, cluster_file=None):
    """Return the state in path, or a new empty state if there is none.

    A file that cannot be trusted is refused with a way out that names
    cluster_file, the cluster file the user runs Tenks with.
    """
    teardown = 'tenks teardown %s' % (cluster_file or 'CLUSTER_FILE')
    try:
        with open(path, 'rb') as stream:
            raw = stream.read()
    except FileNotFoundError:
        return empty(path)
    except OSError as err:
        raise exception.StateUnreadable(path=path,
                                        reason=err.strerror or err)
    data = _parse(path, raw, teardown)
    version = data.get('schema_version')
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise exception.StateSchemaNewer(path=path, version=version,
                                         expected=SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise exception.StateSchemaMismatch(path=path, version=version,
                                            expected=SCHEMA_VERSION)
    try:
        state = records.State.from_dict(data)
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise exception.StateDamaged(
            path=path, teardown=teardown, problem='not a Tenks state of '
            'schema version %d (%s: %s)' % (SCHEMA_VERSION,
                                            type(err).__name__, err))
    if state.cluster_id != cluster_id(path):
        # Its resources bear another path's marks: a run here would not
        # recognise them, or would take another cluster's for its own.
        raise exception.StateOfAnotherCluster(
            path=path, found=state.cluster_id, expected=cluster_id(path),
            teardown=teardown)
    return state


def _parse(path, raw, teardown):
    """The JSON object in raw, or an error saying what is wrong with it."""
    try:
        data = json.loads(raw.decode('utf-8'))
    except UnicodeDecodeError:
        problem = 'not UTF-8 text'
    except json.JSONDecodeError as err:
        problem = ('empty' if not raw.strip() else
                   'truncated after %d bytes' % len(raw) if _cut_short(err)
                   else 'not JSON (%s)' % err)
    else:
        if not isinstance(data, dict):
            raise exception.StateNotTenks(path=path)
        return data
    raise exception.StateDamaged(path=path, problem=problem,
                                 teardown=teardown)


def _cut_short(err):
    """Whether the JSON ended where a value was still being read.

    Tenks writes one value a line, so a file cut short fails on its last
    line; a file that is not JSON at all fails with more after it.
    """
    return (err.doc.lstrip().startswith('{')
            and '\n' not in err.doc[err.pos:].rstrip())


def save(path, state):
    """Replace path with the records.State in one atomic step.

    The file at path is always whole, old or new: the new one is written
    beside it, flushed to disk, then renamed over it. A run killed before
    the rename leaves its temporary file, which the next save removes. A
    write that fails (a full disk) leaves the old state and no temporary
    file, and says so on one line.
    """
    try:
        _save(path, state.to_dict())
    except OSError as err:
        raise exception.StateUnwritable(path=path,
                                        reason=err.strerror or err)


def _save(path, data):
    directory = os.path.dirname(path) or '.'
    os.makedirs(directory, mode=0o700, exist_ok=True)
    prefix = _temporary_prefix(path)
    _remove_temporaries(directory, prefix)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix)
    try:
        with os.fdopen(fd, 'w') as stream:
            json.dump(data, stream, indent=1, sort_keys=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _temporary_prefix(path):
    """Of this state file's own temporaries, never another file's."""
    return '.%s.tmp-' % os.path.basename(path)


def _remove_temporaries(directory, prefix):
    """What saves of this file killed before their rename left behind.

    Only a holder of the state's lock saves, so none is being written.
    """
    for name in os.listdir(directory):
        if name.startswith(prefix):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(directory, name))


def _fsync_directory(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(path):
    """Hold the exclusive lock of the state file at path for a run.

    The lock file names its holder, so a second run can say who to wait
    for. The kernel drops the lock when the holder dies, however it dies.
    A run that ends without a state file leaves no lock file or directory
    behind either, so a rejected first run changes nothing on the host.
    """
    directory = os.path.dirname(path) or '.'
    made_directory = not os.path.isdir(directory)
    lock_path = path + '.lock'
    fd = _acquire(path, lock_path)
    try:
        os.ftruncate(fd, 0)
        try:
            os.pwrite(fd, ('%d\n%s\n' % (os.getpid(), ' '.join(sys.argv)))
                      .encode(), 0)
        except OSError as err:
            raise exception.StateUnwritable(path=lock_path,
                                            reason=err.strerror or err)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            if not os.path.exists(path):
                _remove_lock(lock_path, directory if made_directory else None)
    finally:
        os.close(fd)


def _acquire(path, lock_path):
    """An fd holding the flock of the lock file that is at lock_path now.

    A run that ends without a state file unlinks the lock file; a run that
    opened it just before then locks a file no longer linked, so it tries
    again on the new one instead of running beside a third run.
    """
    while True:
        os.makedirs(os.path.dirname(lock_path) or '.', mode=0o700,
                    exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, command = _holder(fd)
            os.close(fd)
            raise exception.StateLocked(path=path, pid=pid, command=command)
        if still_linked(fd, lock_path):
            return fd
        os.close(fd)


def still_linked(fd, lock_path):
    try:
        return os.stat(lock_path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _remove_lock(lock_path, directory):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock_path)
    if directory:
        with contextlib.suppress(OSError):
            os.rmdir(directory)


def _holder(fd):
    lines = os.pread(fd, 4096, 0).decode(errors='replace').splitlines()
    return (lines[0] if lines else '?'), (lines[1] if len(lines) > 1 else '?')
