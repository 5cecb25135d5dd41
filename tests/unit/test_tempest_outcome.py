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

"""The Tempest plugin's pure core: the verify command and its results.

The plugin is its own distribution (tempest-plugin/); tox puts it on the
path of the unit tests.
"""

import json

import testtools

from tenks import checks
from tenks_tempest_plugin import outcome


def Result(node, check, ok, detail, skipped=False):
    """A tenks verify row: passed or failed, or skipped."""
    status = (checks.SKIPPED if skipped else
              checks.PASSED if ok else checks.FAILED)
    return outcome.Result(node, check, status, status != checks.FAILED,
                          detail)


class CommandTest(testtools.TestCase):

    def test_defaults(self):
        self.assertEqual(['tenks', 'verify', '-f', 'json', '/c.yaml'],
                         outcome.command('tenks', cluster_file='/c.yaml'))

    def test_everything(self):
        self.assertEqual(
            ['sudo', '-n', '/v/bin/tenks', '--config-file', '/t.conf',
             '--config-file', '/o.conf', 'verify', '-f', 'json', '--power',
             '--pxe'],
            outcome.command('sudo -n /v/bin/tenks', '/t.conf', '/o.conf',
                            power=True, pxe=True))

    def test_overrides(self):
        self.assertIsNone(outcome.overrides())
        self.assertEqual('[DEFAULT]\nstate_file_path = /s.json\n[ironic]\n'
                         'cloud = c1\n', outcome.overrides('/s.json', 'c1'))

    def test_results_from_verify_json(self):
        # The columns tenks verify -f json prints.
        rows = [{'Node': 'n0', 'Check': 'bmc', 'Status': 'passed',
                 'OK': True, 'Detail': 'answers'}]
        self.assertEqual([outcome.Result('n0', 'bmc', 'passed', True,
                                         'answers')],
                         outcome.results(json.dumps(rows)))
        self.assertEqual(checks.SKIPPED, outcome.SKIPPED)

    def test_results_not_json(self):
        self.assertRaises(ValueError, outcome.results, 'Traceback')


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
