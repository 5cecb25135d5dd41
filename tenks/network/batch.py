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

"""Network changes of one hypervisor, sent as few commands as possible.

Consecutive `ip` changes go through one `ip -batch`, consecutive Open
vSwitch changes through one `ovs-vsctl` transaction, consecutive offload
changes through one `xargs ethtool -K`; order is kept.
"""
import shlex

from tenks import exception

IP = 'ip'
OVS = 'ovs'
ETHTOOL = 'ethtool'
BARRIER = 'barrier'


class Batch:

    def __init__(self, host):
        self.host = host
        self._steps = []

    def ip(self, *words):
        self._steps.append((IP, words))

    def ovs(self, *words):
        self._steps.append((OVS, words))

    def ethtool(self, *words):
        """An `ethtool -K` change: a device, then feature/state pairs."""
        self._steps.append((ETHTOOL, words))

    def barrier(self):
        """What follows goes in a command of its own, after what came."""
        self._steps.append((BARRIER, ()))

    def commands(self):
        """The argument lists (and stdin) flush() would run, in order."""
        groups = []
        for tool, words in self._steps:
            if tool == BARRIER:
                groups.append((BARRIER, []))
            elif groups and groups[-1][0] == tool:
                groups[-1][1].append(words)
            else:
                groups.append((tool, [words]))
        return [_command(tool, entries) for tool, entries in groups
                if tool != BARRIER]

    def flush(self):
        for argv, stdin in self.commands():
            if argv[0] == 'ovs-vsctl':
                run_vsctl(self.host, argv)
            else:
                self.host.run(argv, input=stdin)
        self._steps = []


# ovs-vsctl's exit when its --timeout ran out (SIGALRM): a signal's
# negative code here, the shell's 128 + 14 over SSH.
_ALARM = (-14, 142)


def run_vsctl(host, argv, repeatable=False):
    """host.run(argv) of an ovs-vsctl argv; Open vSwitch gone, said so.

    A database it cannot connect to, or an ovs-vswitchd that never takes
    the change (--timeout), is a daemon down, not a refused change.
    """
    result = host.execute(argv, repeatable=repeatable)
    if result.returncode in _ALARM or (
            result.returncode and 'database connection failed'
            in result.stderr):
        raise exception.OpenvswitchUnreachable(
            host=host.name, command=shlex.join(argv),
            reason=unanswered(result.returncode, result.stderr))
    return host.stdout_of(argv, result)


def unanswered(code, stderr):
    """Why ovs-vsctl got no answer, in its own words where it has some."""
    if code in _ALARM:
        return 'no answer before its --timeout'
    lines = stderr.strip().splitlines() or ['exit %d' % code]
    return lines[-1].replace('ovs-vsctl: ', '', 1)


def _command(tool, entries):
    lines = ''.join(' '.join(words) + '\n' for words in entries)
    if tool == IP:
        return ['ip', '-batch', '-'], lines
    if tool == ETHTOOL:
        # ethtool changes one device per call; xargs makes it one command.
        return ['xargs', '-L', '1', 'ethtool', '-K'], lines
    argv = ['ovs-vsctl', '--timeout=30']
    for words in entries:
        argv.append('--')
        argv.extend(words)
    return argv, None
