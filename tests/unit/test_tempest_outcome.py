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

import os

import fixtures
import testtools

from tenks import checks
from tenks import conf as tenks_conf
from tenks_tempest_plugin import outcome


def Result(node, check, ok, detail, skipped=False):
    """A tenks.verify result: passed or failed, or skipped."""
    status = (checks.SKIPPED if skipped else
              checks.PASSED if ok else checks.FAILED)
    return checks.Result(node, check, status, detail)


class FailureTest(testtools.TestCase):

    def test_all_passed(self):
        results = [Result('n0', 'bmc', True, 'answers'),
                   Result('n1', 'domain', False, 'gone')]
        self.assertIsNone(outcome.failure(results, 'bmc'))

    def test_names_each_failed_node_and_detail(self):
        results = [Result('n0', 'domain', True, '256 MiB'),
                   Result('n1', 'domain', False, 'memory_mb is 512'),
                   Result('n2', 'domain', False, 'no domain n2'),
                   Result('n1', 'bmc', False, 'no answer')]
        self.assertEqual('domain check failed on 2 of 3 node(s):\n'
                         'n1: memory_mb is 512\nn2: no domain n2',
                         outcome.failure(results, 'domain'))


class SkipReasonTest(testtools.TestCase):

    def test_check_not_run(self):
        self.assertEqual('tenks verify ran no pxe check',
                         outcome.skip_reason([], 'pxe'))

    def test_every_node_skipped(self):
        results = [Result('n0', 'ironic-node', True, 'not enrolled',
                          skipped=True),
                   Result('n1', 'ironic-node', True, 'no cloud',
                          skipped=True)]
        self.assertEqual('n0: not enrolled; n1: no cloud',
                         outcome.skip_reason(results, 'ironic-node'))

    def test_one_node_checked_is_enough(self):
        results = [Result('n0', 'wiring', True, 'remote', skipped=True),
                   Result('n1', 'wiring', True, 'v0 on br0')]
        self.assertIsNone(outcome.skip_reason(results, 'wiring'))

    def test_a_failure_is_no_skip(self):
        results = [Result('n0', 'bmc', False, 'skipped: no, refused'),
                   Result('n1', 'bmc', True, 'remote', skipped=True)]
        self.assertIsNone(outcome.skip_reason(results, 'bmc'))


class StatePathTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.conf = tenks_conf.load(self.write('tenks.conf', (
            '[DEFAULT]\nstate_dir = %s\n' % self.dir)))

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as stream:
            stream.write(text)
        return path

    def test_state_file_wins(self):
        cluster = self.write('cluster.yaml', 'state_file_path: /x/s.json\n')
        self.assertEqual('/y/state.json', outcome.state_path(
            self.conf, '/y/state.json', cluster))

    def test_from_cluster_file(self):
        state = os.path.join(self.dir, 'mine.json')
        cluster = self.write('cluster.yaml', 'state_file_path: %s\n' % state)
        self.assertEqual(state, outcome.state_path(self.conf, None, cluster))

    def test_cluster_file_without_one_uses_tenks_conf(self):
        cluster = self.write('cluster.yaml', 'node_types: {}\n')
        self.assertEqual(os.path.join(self.dir, 'state.json'),
                         outcome.state_path(self.conf, None, cluster))

    def test_neither(self):
        self.assertIsNone(outcome.state_path(self.conf))
