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

"""The daemons Tenks starts on a host, known by the PID they recorded.

A PID is trusted only while its process still runs with the daemon's
marker in its command line, so a reused PID is never taken for the
daemon; and a daemon's session is ended whole, since what it forked
(vbmcd's BMCs) outlives it and keeps its ports.
"""

from tenks import waits


def recorded_pid(host, pid_file, marker):
    """The PID in pid_file if that daemon still runs, else None."""
    pid = _read_pid(host, pid_file)
    return pid if pid and pid in session_members(host, pid, marker) \
        else None


def _read_pid(host, pid_file):
    text = host.read_file(pid_file)
    try:
        return int(text.strip()) if text else None
    except ValueError:
        return None


def session_members(host, leader, marker):
    """Live processes of leader's session with marker in their commands.

    That is the daemon and what it forked, even once the daemon died.
    """
    return [p.pid for p in host.processes()
            if p.session == leader and p.state != 'Z' and marker in p.args]


def terminate(host, pid_file, marker, timeout=10):
    """End the daemon recorded in pid_file and every process it forked."""
    leader = _read_pid(host, pid_file)
    if leader is None:
        return
    members = session_members(host, leader, marker)
    if leader in members:
        host.kill([leader])

        def ended():
            members[:] = session_members(host, leader, marker)
            return leader not in members
        waits.until(ended, timeout, 0.1)
    host.kill(members, 'KILL')
