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

"""Where an agent boot's time goes, from timestamped console and states."""

import importlib.util
import os

import testtools

TOOLS = os.path.join(os.path.dirname(__file__), '..', '..', 'tools')


def _tool():
    # tools/ is scripts, not a package: load the module from its file.
    spec = importlib.util.spec_from_file_location(
        'benchmark_lifecycle', os.path.join(TOOLS, 'benchmark_lifecycle.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _tool()
# A fast-track run as the watcher records it: host seconds, kind, value.
EVENTS = [
    (0.0, 'state', 'inspecting'),
    (20.0, 'state', 'inspect wait'),
    (55.0, 'kernel', None),
    (90.0, 'init', '34.69'),
    (173.0, 'lease', '117.95'),
    (173.5, 'agent', '117.99'),
    (240.0, 'state', 'inspecting'),
    (250.0, 'state', 'manageable'),
    (300.0, 'state', 'deploying'),
    (310.0, 'state', 'wait call-back'),
    (330.0, 'written', None),
    (350.0, 'kernel', None),
    (380.0, 'disk', None),
    (381.0, 'state', 'active'),
]


class TestBoots(testtools.TestCase):

    def test_agent_boot_then_disk_boot(self):
        agent, disk = bench.boots(EVENTS)
        self.assertEqual({'power_on_to_kernel_s': 35.0,
                          'kernel_and_ramdisk_unpack_s': 34.69,
                          'udev_and_dhcp_s': 83.3,
                          'agent_start_to_heartbeat_s': 66.5,
                          'image_download_and_write_s': 20.0}, agent)
        self.assertEqual({'power_on_to_kernel_s': 40.0,
                          'booted_from_disk': True,
                          'written_to_disk_boot_s': 50.0}, disk)

    def test_nothing_before_a_kernel_counts(self):
        self.assertEqual([], bench.boots([(1.0, 'lease', '3.0')]))


class TestSteps(testtools.TestCase):

    def test_seconds_of_passed_steps_status_of_others(self):
        rows = [
            {'Node': 'n0', 'Check': 'inspect', 'Status': 'passed',
             'Detail': 'inspecting -> inspect wait -> manageable in 230 s'},
            {'Node': 'n0', 'Check': 'boot-from-disk', 'Status': 'passed',
             'Detail': "console shows 'x' after 31 s"},
            {'Node': 'n0', 'Check': 'undeploy', 'Status': 'skipped',
             'Detail': 'not run: deploy failed'},
            {'Node': 'n0', 'Check': 'bmc', 'Status': 'passed',
             'Detail': 'answers'},
        ]
        self.assertEqual({'n0': {'inspect': 230, 'boot-from-disk': 31,
                                 'undeploy': 'skipped'}},
                         bench.steps(rows))
