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

IP = 'ip'
OVS = 'ovs'
ETHTOOL = 'ethtool'


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

    def commands(self):
        """The argument lists (and stdin) flush() would run, in order."""
        groups = []
        for tool, words in self._steps:
            if groups and groups[-1][0] == tool:
                groups[-1][1].append(words)
            else:
                groups.append((tool, [words]))
        return [_command(tool, entries) for tool, entries in groups]

    def flush(self):
        for argv, stdin in self.commands():
            self.host.run(argv, input=stdin)
        self._steps = []


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
