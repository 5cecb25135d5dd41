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


"""The pure parts of the agent artefacts build, on output captured from
Debian 12's apt-get and pip 24's --report."""

import json
import os

import testtools

from tenks.artefacts import debian
from tenks.artefacts.ipa import agent
from tenks.artefacts.ipa import build
from tenks.artefacts.ipa import disk_image

SIMULATION = """NOTE: This is only a simulation!
Reading package lists...
Inst gcc-12-base (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64])
Inst libc6 (2.36-9+deb12u13 Debian:12.15/oldstable [amd64])
Conf libc6 (2.36-9+deb12u13 Debian:12.15/oldstable [amd64])
Inst busybox-static (1:1.35.0-4+deb12u1+b1 Debian:12.15/oldstable [amd64])
Inst tar [1.34+dfsg-1.2] (1.34+dfsg-1.2+deb12u1 Debian:12.15/oldstable [amd64])
"""

REPORT = {'install': [
    {'metadata': {'name': 'ironic-python-agent', 'version': '13.0.0'},
     'download_info': {'url': 'https://files/ipa.whl', 'archive_info': {
         'hashes': {'sha256': 'ab12'}}}},
    {'metadata': {'name': 'cheroot', 'version': '11.1.2'},
     'download_info': {'url': 'https://files/cheroot.whl'}},
]}


class TestAptSimulation(testtools.TestCase):

    def test_installs_in_order_with_versions(self):
        self.assertEqual([
            ('gcc-12-base', '12.2.0-14+deb12u1'),
            ('libc6', '2.36-9+deb12u13'),
            ('busybox-static', '1:1.35.0-4+deb12u1+b1'),
            ('tar', '1.34+dfsg-1.2+deb12u1')],
            agent.parse_simulation(SIMULATION))

    def test_nothing_to_install_is_nothing(self):
        self.assertEqual([], agent.parse_simulation('Reading lists...\n'))


class TestWheels(testtools.TestCase):

    def test_report_gives_sorted_packages_with_hashes(self):
        self.assertEqual([
            debian.Package('cheroot', '11.1.2', ''),
            debian.Package('ironic-python-agent', '13.0.0', 'ab12')],
            agent.parse_report(json.dumps(REPORT)))

    def test_pins(self):
        self.assertEqual(['cheroot==11.1.2'], agent.pins(
            [debian.Package('cheroot', '11.1.2', '')]))

    def test_pip_asks_for_wheels_of_debians_python(self):
        argv = agent.pip_argv('/venv/python', '/uc.txt', 'x==1')
        self.assertEqual(['/venv/python', '-m', 'pip', 'install'], argv[:4])
        self.assertEqual(
            '3.11', argv[argv.index('--python-version') + 1])
        self.assertEqual(':all:', argv[argv.index('--only-binary') + 1])
        self.assertEqual('/uc.txt', argv[argv.index('-c') + 1])
        self.assertIn('manylinux_2_28_x86_64', argv)
        self.assertEqual('x==1', argv[-1])

    def test_no_constraints_no_flag(self):
        self.assertNotIn('-c', agent.pip_argv('py', None))


class TestDiskImage(testtools.TestCase):

    def test_one_bios_bootable_esp_from_one_mib(self):
        self.assertEqual(
            'label: gpt\n'
            'start=2048, size=61440, '
            'type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="tenks-esp", '
            'attrs="LegacyBIOSBootable"\n', disk_image.sfdisk_script())

    def test_boots_with_the_marker(self):
        self.assertIn(disk_image.DISK_MARKER, disk_image.DISK_APPEND.split())


class TestInputs(testtools.TestCase):

    def test_code_scripts_and_constraints_all_keyed(self):
        files = build.inputs('/uc.txt')
        self.assertEqual('/uc.txt', files['upper-constraints.txt'])
        self.assertIn('ipa/agent.py', files)
        self.assertIn('ipa/init.sh', files)
        # The boot artefacts' own inputs, which this build uses too.
        self.assertIn('ramdisk.py', files)
        for path in files.values():
            if path != '/uc.txt':
                self.assertTrue(os.path.exists(path), path)

    def test_without_constraints(self):
        self.assertNotIn('upper-constraints.txt', build.inputs())
