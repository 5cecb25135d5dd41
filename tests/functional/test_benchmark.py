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

"""The benchmark in a reduced form, so that it cannot rot.

No timing is asserted here: the figures are the benchmark's to print.
"""

import json
import pathlib
import sys

import fixtures
import testtools

from tests.functional import base

BENCHMARK = (pathlib.Path(__file__).resolve().parents[2] / 'tools'
             / 'benchmark.py')
PHASES = ('deploy', 'noop_deploy', 'add_one', 'remove_one', 'teardown')


class TestBenchmark(testtools.TestCase):

    def test_reduced_run(self):
        self.useFixture(fixtures.Timeout(900, gentle=True))
        result = base.run([sys.executable, str(BENCHMARK), '--nodes', '3',
                           '--redfish-nodes', '2', '--ipmi-emulators',
                           'virtualbmc', 'tenks-ipmi', '--boot-nodes', '1'])
        report = json.loads(result.stdout)
        for driver, count in (('ipmi', '3'), ('ipmi+tenks-ipmi', '3'),
                              ('redfish', '2')):
            run = report[driver][count]
            for phase in PHASES:
                for key in ('wall_s', 'actions', 'host_commands',
                            'libvirt_calls', 'ironic_writes',
                            'peak_rss_mb'):
                    self.assertIsInstance(run[phase][key], (int, float),
                                          '%s %s %s' % (driver, phase, key))
            self.assertGreater(run['bmc_rss_mb_per_node'], 0)
            # Nothing to do is nothing done: no change, no Ironic write.
            self.assertEqual((0, 0), (run['noop_deploy']['actions'],
                                      run['noop_deploy']['ironic_writes']))
            for phase in ('deploy', 'add_one', 'remove_one', 'teardown'):
                self.assertGreater(run[phase]['actions'], 0, phase)
        # One node deployed through Ironic booted and called back.
        boot = report['boot']
        self.assertEqual((1, 1, {}), (boot['1']['nodes'],
                                      boot['1']['called_back'],
                                      boot['1']['failed']))
        for key in ('deploy_to_active_s', 'deploy_to_callback_s'):
            self.assertEqual(1, len(boot['1'][key]), key)
        self.assertEqual(1, boot['max_nodes_booted'])
        links = json.loads(base.run(['ip', '-j', 'link', 'show']).stdout)
        self.assertEqual([], [link['ifname'] for link in links
                              if link['ifname'].startswith('tkbench')])
        self.assertEqual([], [d for d in base.run(
            ['virsh', 'list', '--all', '--name']).stdout.split()
            if d.startswith('tkbench')])
