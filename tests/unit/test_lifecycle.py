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

"""Ironic's lifecycle step by step, on a fake Ironic that follows a script."""

import types
from unittest import mock

import testtools

from tenks import checks
from tenks import lifecycle

IMAGE = lifecycle.Image('http://127.0.0.1:1/disk.img', 'ab' * 32,
                        'tenks_booted_from=disk')
# The states Ironic passes through for each verb, as a fast-track run
# on this machine showed them.
PATHS = {
    'inspect': ['inspecting', 'inspect wait', 'manageable'],
    'provide': ['cleaning', 'clean wait', 'cleaning', 'available'],
    'active': ['deploying', 'wait call-back', 'deploying', 'active'],
    'deleted': ['deleting', 'cleaning', 'clean wait', 'available'],
    'manage': ['verifying', 'manageable'],
}


class FakeBaremetal:
    """openstacksdk's baremetal proxy, for one node."""

    def __init__(self, state='manageable', paths=None, inspect='agent'):
        self.state = state
        self.paths = paths or PATHS
        self.pending = []
        self.verbs = []
        self.instance_info = {'capabilities': {'boot_mode': 'uefi'}}
        self.inspect_interface = inspect
        self.last_error = None

    def set_node_provision_state(self, uuid, verb):
        self.verbs.append(verb)
        self.pending = list(self.paths[verb])

    def update_node(self, uuid, instance_info):
        self.instance_info = instance_info

    def get_node(self, uuid):
        if self.pending:
            self.state = self.pending.pop(0)
        if self.state.endswith('failed'):
            self.last_error = 'Image download failed'
        return types.SimpleNamespace(
            provision_state=self.state,
            target_provision_state=None if not self.pending else 'x',
            last_error=self.last_error, instance_info=self.instance_info,
            inspect_interface=self.inspect_interface)


def node():
    return types.SimpleNamespace(name='n0', outcome=types.SimpleNamespace(
        ironic_uuid='u0'))


class Console:
    """A console log that shows the disk's boot once the node is active."""

    def __init__(self, baremetal):
        self.baremetal = baremetal
        self.text = 'earlier boots\n'

    def __call__(self):
        if self.baremetal.state == 'active':
            self.text += 'Command line: console=ttyS0 %s\n' % IMAGE.marker
        return self.text


@mock.patch.object(lifecycle, 'POLL_INTERVAL', 0)
class TestRun(testtools.TestCase):

    def run_one(self, baremetal, console=True, image=IMAGE, timeout=5):
        target = lifecycle.Target(node(), Console(baremetal) if console
                                  else None)
        return lifecycle.run(baremetal, target, image, timeout)

    def test_every_step_passes(self):
        baremetal = FakeBaremetal()
        results = self.run_one(baremetal)
        self.assertEqual([(step, checks.PASSED) for step in lifecycle.STEPS],
                         [(r.check, r.status) for r in results])
        self.assertEqual(['inspect', 'provide', 'active', 'deleted'],
                         baremetal.verbs)
        self.assertIn('cleaning -> clean wait -> cleaning -> available',
                      results[1].detail)
        # The image with its checksum, beside what Ironic had.
        self.assertEqual({'capabilities': {'boot_mode': 'uefi'},
                          'image_source': IMAGE.url,
                          'image_checksum': IMAGE.checksum},
                         baremetal.instance_info)

    def test_available_node_is_managed_first(self):
        baremetal = FakeBaremetal(state='available')
        self.run_one(baremetal)
        self.assertEqual(['manage', 'inspect', 'provide', 'active',
                          'deleted'], baremetal.verbs)

    def test_failed_deploy_ends_the_run(self):
        paths = dict(PATHS, active=['deploying', 'deploy failed'])
        results = self.run_one(FakeBaremetal(paths=paths))
        self.assertEqual(
            [checks.PASSED, checks.PASSED, checks.FAILED, checks.SKIPPED,
             checks.SKIPPED], [r.status for r in results])
        self.assertEqual('Ironic moved the node to deploy failed: Image '
                         'download failed', results[2].detail)
        self.assertEqual('not run: deploy failed', results[4].detail)

    def test_console_without_the_marker_fails(self):
        baremetal = FakeBaremetal()
        target = lifecycle.Target(node(), lambda: 'no such text')
        results = lifecycle.run(baremetal, target, IMAGE, 2)
        self.assertEqual(checks.FAILED, results[3].status)
        self.assertIn("no 'tenks_booted_from=disk' within 2 s",
                      results[3].detail)

    def test_marker_before_deploy_does_not_count(self):
        baremetal = FakeBaremetal()
        target = lifecycle.Target(node(), lambda: IMAGE.marker)
        results = lifecycle.run(baremetal, target, IMAGE, 2)
        self.assertEqual(checks.FAILED, results[3].status)

    def test_no_console_skips_boot_check_only(self):
        results = self.run_one(FakeBaremetal(), console=False)
        self.assertEqual(checks.SKIPPED, results[3].status)
        self.assertEqual(checks.PASSED, results[4].status)

    def test_out_of_band_inspection_is_skipped(self):
        baremetal = FakeBaremetal(inspect='no-inspect')
        results = self.run_one(baremetal)
        self.assertEqual(checks.SKIPPED, results[0].status)
        self.assertNotIn('inspect', baremetal.verbs)

    def test_no_cleaning_seen_is_skipped(self):
        paths = dict(PATHS, provide=['available'])
        results = self.run_one(FakeBaremetal(paths=paths))
        self.assertEqual(checks.SKIPPED, results[1].status)
        self.assertEqual(checks.PASSED, results[2].status)

    def test_stuck_step_times_out(self):
        paths = dict(PATHS, inspect=['inspect wait'] * 1000)
        results = self.run_one(FakeBaremetal(paths=paths), timeout=0)
        self.assertEqual('still inspect wait after 0 s (asked to inspect)',
                         results[0].detail)

    def test_locked_node_is_asked_again(self):
        baremetal = FakeBaremetal()
        locked = RuntimeError('Node n0 is locked by host h')
        locked.status_code = 409
        ask = baremetal.set_node_provision_state
        calls = []

        def flaky(uuid, verb):
            calls.append(verb)
            if len(calls) == 1:
                raise locked
            ask(uuid, verb)
        baremetal.set_node_provision_state = flaky
        results = self.run_one(baremetal)
        self.assertEqual([checks.PASSED] * 5, [r.status for r in results])
        self.assertEqual(['inspect', 'inspect', 'provide', 'active',
                          'deleted'], calls)

    def test_dropped_read_is_tried_again(self):
        baremetal = FakeBaremetal()
        get = baremetal.get_node
        reads = []

        def flaky(uuid):
            reads.append(uuid)
            if len(reads) == 2:
                raise ConnectionError('Remote end closed connection')
            return get(uuid)
        baremetal.get_node = flaky
        results = self.run_one(baremetal)
        self.assertEqual([checks.PASSED] * 5, [r.status for r in results])

    def test_refused_transition_in_its_own_words(self):
        baremetal = FakeBaremetal()
        baremetal.set_node_provision_state = mock.Mock(
            side_effect=RuntimeError('The requested action "inspect" can '
                                     'not be performed\nmore'))
        results = self.run_one(baremetal)
        self.assertEqual('RuntimeError: The requested action "inspect" can '
                         'not be performed', results[0].detail)
