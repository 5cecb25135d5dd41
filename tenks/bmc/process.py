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

"""Daemons Tenks starts: finding, stopping and keeping their files."""

import contextlib
import os
import signal
import sys
import time


def executable(name):
    """name beside the running Python (its venv), else on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    return beside if os.path.exists(beside) else name


def recorded_pid(pid_file, marker):
    """The PID in pid_file if it runs with marker in its command line.

    None otherwise, so a reused PID is never mistaken for the daemon Tenks
    started.
    """
    try:
        with open(pid_file) as stream:
            pid = int(stream.read().strip())
        with open('/proc/%d/cmdline' % pid, 'rb') as stream:
            cmdline = stream.read()
    except (OSError, ValueError):
        return None
    return pid if marker in cmdline else None


def terminate(pid, timeout=10):
    """SIGTERM pid, then SIGKILL its process group if it lingers.

    Tenks starts its daemons in sessions of their own, so the group is
    the daemon and the children it forked, nothing else.
    """
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not os.path.exists('/proc/%d' % pid) or is_zombie(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def is_zombie(pid):
    try:
        with open('/proc/%d/stat' % pid) as stream:
            return stream.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except OSError:
        return True


def write_private(path, text):
    """Write text to path readable by its owner only: it holds secrets."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as stream:
        stream.write(text)
