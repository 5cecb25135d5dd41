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

"""tools/setup-host.sh for daemons run elsewhere (Kolla's containers).

The script runs with a PATH of recording stubs only (and a few plain
utilities), on a host where, as the stubs tell it, no daemon runs: every
command it would start a daemon or install a package with is recorded,
and nothing real is changed.
"""

import os
import shutil
import subprocess

import fixtures
import testtools

SCRIPT = os.path.join(os.path.dirname(__file__), '..', '..', 'tools',
                      'setup-host.sh')
URI = 'qemu+unix:///system?socket=/srv/kolla/libvirt/libvirt-sock'
# Commands that start a daemon or change the host, recorded.
STARTERS = ('libvirtd', 'virtlogd', 'virtqemud', 'ovsdb-server',
            'ovs-vswitchd', 'ovs-ctl', 'systemctl', 'modprobe', 'chgrp',
            'chmod', 'groupadd')
# stub: its output, then its exit status.
ANSWERS = {
    'id': 'echo 0',
    'stat': 'case "$2" in %G) echo kvm ;; *) echo 660 ;; esac',
    'dpkg-query': 'exit 1',         # nothing installed
    'apt-get': 'exit 0',
    'getent': 'exit 0',
    'virsh': 'exit 0',
    'ovs-vsctl': 'exit 0',
}
_REAL = ('sed', 'sleep', 'rm', 'mkdir', 'cat', 'grep', 'head')


class TestExternalDaemons(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.bin = self.useFixture(fixtures.TempDir()).path
        self.log = os.path.join(self.bin, 'calls.log')
        for name in STARTERS + tuple(ANSWERS) + ('pgrep',):
            self.stub(name, ANSWERS.get(name, 'exit 0'))
        for name in _REAL:
            os.symlink(shutil.which(name), os.path.join(self.bin, name))

    def stub(self, name, body):
        path = os.path.join(self.bin, name)
        with open(path, 'w') as stream:
            stream.write('#!/bin/bash\necho "%s $*" >> %s\n%s\n' % (
                name, self.log, body))
        os.chmod(path, 0o755)

    def setup_host(self, *args, **env):
        result = subprocess.run(
            ['/bin/bash', SCRIPT] + list(args), capture_output=True,
            text=True, env=dict(PATH=self.bin, TENKS_SETUP_TIMEOUT='2',
                                TENKS_SETUP_LIBVIRT_URI=URI, **env))
        with open(self.log) as stream:
            calls = [line.split() for line in stream]
        return result, calls

    def test_starts_and_installs_no_daemon(self):
        self.stub('pgrep', 'exit 1')      # none runs: normally all start
        result, calls = self.setup_host('--external-daemons')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('host is ready', result.stdout)
        self.assertEqual([], [c for c in calls if c[0] in STARTERS])
        installs = [c for c in calls if c[:2] == ['apt-get', 'install']]
        self.assertEqual(1, len(installs))
        for package in ('libvirt-daemon-system', 'openvswitch-switch'):
            self.assertNotIn(package, installs[0])
        self.assertIn('libvirt-clients', installs[0])
        # It waited for the libvirt it was given, and the ovs-vsctl found.
        self.assertIn(['virsh', '-c', URI, 'version'], calls)
        self.assertIn(['ovs-vsctl', '--timeout=5', 'show'], calls)

    def test_the_environment_variable_too(self):
        self.stub('pgrep', 'exit 1')
        result, calls = self.setup_host(TENKS_SETUP_EXTERNAL_DAEMONS='1',
                                        TENKS_SETUP_NO_INSTALL='1')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual([], [c for c in calls if c[0] in STARTERS])

    def test_no_ovs_vsctl_is_an_error(self):
        os.unlink(os.path.join(self.bin, 'ovs-vsctl'))
        result, _ = self.setup_host('--external-daemons',
                                    TENKS_SETUP_NO_INSTALL='1')
        self.assertEqual(1, result.returncode)
        self.assertIn("no ovs-vsctl on the PATH", result.stderr)

    def test_without_the_option_the_same_host_gets_its_daemons(self):
        # The stubs would see a start: libvirt's daemons are not running
        # (Open vSwitch's are, so the script stays with plain stubs).
        self.stub('pgrep', 'case "$2" in ovs*) exit 0 ;; *) exit 1 ;; esac')
        result, calls = self.setup_host(TENKS_SETUP_NO_INSTALL='1')
        self.assertEqual(0, result.returncode, result.stderr)
        started = [c for c in calls if c[0] in STARTERS]
        self.assertTrue(any('libvirtd' in c for c in started), calls)
