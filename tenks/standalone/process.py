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

"""The daemons of the throwaway services: started, found, stopped.

Each daemon gets a session of its own, so it outlives the command that
started it and its whole process group (it may fork workers) can be
stopped together. A PID file names it; a PID is trusted only while its
process still runs (a zombie has exited).
"""

import os
import pathlib
import shutil
import signal
import subprocess
import sys

from tenks.standalone import exception
from tenks import waits


def find_executable(name):
    """Return the path of a console script, preferring our own venv's."""
    # The venv need not be activated (PATH may not include its bin), but
    # its scripts always sit next to the interpreter running us.
    candidate = pathlib.Path(sys.executable).parent / name
    if os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise exception.ExecutableMissing(name=name)
    return found


def run(command, what, env=None):
    """Run a set-up command to its end; raise naming what if it fails."""
    result = subprocess.run(command, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, env=env)
    if result.returncode:
        raise exception.CommandFailed(what=what, code=result.returncode,
                                      output=result.stdout + result.stderr)


def _proc_stat(pid):
    """Return the fields of /proc/PID/stat from the state on, or None."""
    try:
        stat = pathlib.Path('/proc/%s/stat' % pid).read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may contain spaces: split after its ')'.
    return stat.rsplit(')', 1)[1].split()


def is_alive(pid):
    # A zombie has exited; it only waits for its parent to reap it.
    fields = _proc_stat(pid)
    return fields is not None and fields[0] != 'Z'


def _group_members(pgid):
    """Return the live PIDs whose process group is pgid."""
    members = []
    for entry in pathlib.Path('/proc').iterdir():
        fields = _proc_stat(entry.name) if entry.name.isdigit() else None
        if fields and fields[0] != 'Z' and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def cmdline(pid):
    try:
        raw = pathlib.Path('/proc/%d/cmdline' % pid).read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return raw.decode(errors='replace').split('\0')


def recorded_pid(pid_file):
    """The live PID pid_file names, or None."""
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if is_alive(pid) else None


def wait_until(predicate, timeout, interval=0.2):
    """Whether predicate() held within timeout seconds."""
    return bool(waits.until(predicate, timeout, interval))


def spawn(command, log_file, cwd, env=None):
    """Start a daemon logging to log_file; return its Popen."""
    with open(log_file, 'ab') as log:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, cwd=cwd, env=env,
            start_new_session=True)


def terminate(pid, timeout):
    """SIGTERM pid and its workers, SIGKILL them if they linger."""
    # We made it a session (so group) leader and its forked workers
    # share its group; only if it somehow is not, signal the PID alone.
    try:
        group = pid if os.getpgid(pid) == pid else None
    except ProcessLookupError:
        return

    def gone():
        return not (_group_members(group) if group else is_alive(pid))

    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
        try:
            if group:
                os.killpg(group, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_until(gone, wait):
            return
    raise exception.WouldNotExit(pid=pid)


def stop(proc, find_pid, pid_file, timeout):
    """End the daemon: ours (proc, a Popen) if it runs, else find_pid()'s.

    Return whether one was running.
    """
    if proc is not None and proc.poll() is None:
        pid = proc.pid    # ours for certain: we started it
    else:
        pid = find_pid()
    if pid:
        terminate(pid, timeout)
    if proc is not None:
        proc.wait()     # reap our child, so that no zombie stays
    pid_file.unlink(missing_ok=True)
    return pid is not None
