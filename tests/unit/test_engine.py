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

from tenks.providers import engine
from tenks.providers import libvirt as libvirt_provider
from tests.unit import fakes


class TestProbeImage(testtools.TestCase):

    def test_size(self):
        self.assertEqual(65536, len(engine.probe_image()))

    def test_reset_vector_far_jump(self):
        image = engine.probe_image()
        # jmp far F000:0000, the start of the image as the BIOS maps it.
        self.assertEqual(bytes.fromhex('ea000000f0'), image[0xfff0:0xfff5])
        self.assertEqual(bytes(11), image[0xfff5:])

    def test_code_at_start_then_zeros(self):
        image = engine.probe_image()
        code = bytes.fromhex(engine._PROBE_CODE)
        self.assertEqual(code, image[:len(code)])
        self.assertEqual(bytes(0xfff0 - len(code)),
                         image[len(code):0xfff0])

    def test_reports_success_value(self):
        # mov al, 0x31; out 0xf4, al: isa-debug-exit exits (0x31 << 1) | 1.
        self.assertIn(bytes.fromhex('b031e6f4'), engine.probe_image())
        self.assertEqual((0x31 << 1) | 1, engine.PROBE_SUCCESS)

    def test_stable(self):
        self.assertEqual(engine.probe_image(), engine.probe_image())


class TestDetect(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # Probing would run QEMU; an explicit setting must never get there.
        self.useFixture(fixtures.MockPatchObject(
            engine, 'kvm_runs_guests', side_effect=AssertionError('probed')))

    def test_explicit_settings_unchanged(self):
        self.assertEqual('qemu', engine.detect('qemu', None, None))
        self.assertEqual('kvm', engine.detect('kvm', None, None))

    def test_no_cache_written(self):
        state_dir = self.useFixture(fixtures.TempDir()).path
        engine.detect('kvm', None, os.path.join(state_dir, 'kvm-probe'))
        self.assertEqual([], os.listdir(state_dir))


class TestForgetProbe(testtools.TestCase):
    """A teardown leaves no probe answer behind, and only its own go."""

    def test_forget_removes_the_cluster_hypervisors_answers(self):
        directory = self.useFixture(fixtures.TempDir()).path
        data = fakes.cluster_data(
            state_file_path=os.path.join(directory, 'state.json'))
        cluster, state = fakes.scheduled(data)
        ctx = fakes.FakeContext(cluster, state)
        for name in ('kvm-probe-localhost', 'kvm-probe-elsewhere'):
            with open(os.path.join(directory, name), 'w') as stream:
                stream.write('boot qemu\n')
        libvirt_provider.LibvirtProvider().forget(ctx)
        self.assertEqual(['kvm-probe-elsewhere'], os.listdir(directory))
        # Nothing there to forget is no error.
        libvirt_provider.LibvirtProvider().forget(ctx)
