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
import subprocess
import sys
import time


def executable(name):
    """name beside the running Python (its venv), else on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    return beside if os.path.exists(beside) else name


# The daemon records its own PID before it becomes the daemon, so a Tenks
# killed just after starting it still leaves a record the next run finds.
# Its files (VirtualBMC's hold BMC passwords) are its owner's alone. Names
# reach the script as arguments, never inside it.
_RECORD_AND_EXEC = ('umask 077 && echo $$ > "$0.tmp" && mv "$0.tmp" "$0" '
                    '&& exec "$@"')


def spawn(argv, pid_file, log_file, env=None):
    """Start a daemon in a session of its own, its PID in pid_file."""
    with open(log_file, 'ab') as log:
        return subprocess.Popen(
            ['/bin/sh', '-c', _RECORD_AND_EXEC, pid_file] + argv,
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, close_fds=True)


def recorded_pid(pid_file, marker):
    """The PID in pid_file if it runs with marker in its command line.

    None otherwise, so a reused PID is never mistaken for the daemon Tenks
    started.
    """
    pid = _read_pid(pid_file)
    return pid if pid and pid in session_members(pid, marker) else None


def _read_pid(pid_file):
    try:
        with open(pid_file) as stream:
            return int(stream.read().strip())
    except (OSError, ValueError):
        return None


def session_members(leader, marker):
    """Live processes of leader's session with marker in their commands.

    That is the daemon and what it forked, even once the daemon died.
    """
    members = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as stream:
                fields = stream.read().rsplit(')', 1)[1].split()
            with open('/proc/%s/cmdline' % entry, 'rb') as stream:
                cmdline = stream.read()
        except OSError:
            continue
        if fields[0] != 'Z' and int(fields[3]) == leader \
                and marker in cmdline:
            members.append(int(entry))
    return members


def terminate(pid_file, marker, timeout=10):
    """End the daemon recorded in pid_file and every process it forked.

    A daemon killed by someone else can leave children behind (vbmcd's
    BMCs keep its ports); they go too, each by PID.
    """
    leader = _read_pid(pid_file)
    if leader is None:
        return
    if leader in session_members(leader, marker):
        os.kill(leader, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not is_zombie(leader):
            time.sleep(0.05)
    for pid in session_members(leader, marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


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
