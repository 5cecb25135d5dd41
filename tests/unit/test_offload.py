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

import testtools

from tenks.network import batch
from tenks.network import offload

# `echo tkbr0-ph tkbr0-up | xargs -n 1 ethtool -k` on this machine (cut),
# after `ethtool -K tkbr0-ph tx off`.
ETHTOOL_K = """\
Features for tkbr0-ph:
rx-checksumming: on
tx-checksumming: off
\ttx-checksum-ipv4: off [fixed]
\ttx-checksum-ip-generic: off
\ttx-checksum-ipv6: off [fixed]
\ttx-checksum-fcoe-crc: off [fixed]
\ttx-checksum-sctp: off
scatter-gather: on
\ttx-scatter-gather: on
tcp-segmentation-offload: on
\ttx-tcp-segmentation: off [requested on]
Features for tkbr0-up:
rx-checksumming: on
tx-checksumming: on
\ttx-checksum-ipv4: off [fixed]
\ttx-checksum-ip-generic: on
"""


class FakeHost:

    def __init__(self, output=''):
        self.output = output
        self.calls = []

    def run(self, argv, input=None, repeatable=False):
        self.calls.append((argv, input))
        return self.output


class TestOffload(testtools.TestCase):

    def test_parse(self):
        self.assertEqual({'tkbr0-ph': False, 'tkbr0-up': True},
                         offload.parse(ETHTOOL_K))

    def test_parse_empty(self):
        self.assertEqual({}, offload.parse(''))

    def test_read_is_one_call(self):
        host = FakeHost(ETHTOOL_K)
        self.assertEqual({'tkbr0-ph': False, 'tkbr0-up': True},
                         offload.read(host, ['tkbr0-ph', 'tkbr0-up']))
        self.assertEqual([(offload.QUERY, 'tkbr0-ph\ntkbr0-up\n')],
                         host.calls)

    def test_read_nothing_runs_nothing(self):
        host = FakeHost()
        self.assertEqual({}, offload.read(host, []))
        self.assertEqual([], host.calls)

    def test_turn_off_is_one_command_for_many(self):
        changes = batch.Batch(host=None)
        changes.ip('link', 'set', 'dev', 'a', 'up')
        offload.turn_off(changes, 'a')
        offload.turn_off(changes, 'b')
        self.assertEqual([
            (['ip', '-batch', '-'], 'link set dev a up\n'),
            (['xargs', '-L', '1', 'ethtool', '-K'], 'a tx off\nb tx off\n'),
        ], changes.commands())
