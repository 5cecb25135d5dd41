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

import subprocess

import testtools

from tenks.bmc import vbmcd
from tenks import exception
from tests.unit import fakes

# `ss -Htlnp` on this project's machine: a vbmcd with a BMC it forked
# (which inherits the control socket), an Ironic, a listener on IPv6.
SS = (
    'LISTEN 0      100    127.0.0.1:57501 0.0.0.0:* users:(("vbmcd",'
    'pid=25336,fd=10),("vbmcd",pid=25166,fd=10))   \n'
    'LISTEN 0      5      127.0.0.1:42783 0.0.0.0:* users:(("ironic: '
    'Service",pid=22190,fd=7))\n'
    'LISTEN 0      128    [::]:22 [::]:* users:(("sshd",pid=700,fd=4))\n')


class Host(fakes.FakeHost):
    """ss, the daemon's pid file, ps and its conf file, as captured."""

    def __init__(self, pid, ss=SS, conf=None):
        super().__init__()
        self.files = {'/d/tenks-vbmcd.pid': '%d\n' % pid,
                      '/d/virtualbmc.conf': conf}
        self.ss = ss
        self.pid = pid

    def execute(self, argv, input=None, repeatable=False):
        self.seen.append(argv)
        out, code = '', 0
        if argv[0] == 'ss':
            out = self.ss
        elif argv[0] == 'cat':
            out = self.files.get(argv[-1])
            code = 1 if out is None else 0
        elif argv[0] == 'ps':
            out = '%d %d S vbmcd --foreground\n' % (self.pid, self.pid)
        return subprocess.CompletedProcess(argv, code, out or '', '')


class TestListeners(testtools.TestCase):

    def test_captured(self):
        self.assertEqual({57501: {25336, 25166}, 42783: {22190}, 22: {700}},
                         vbmcd.listeners(SS))


class TestChoosePort(testtools.TestCase):

    def test_of_its_own_per_directory_and_free(self):
        first = vbmcd.choose_port('/a/state/vbmc', {})
        self.assertTrue(vbmcd.PORT_RANGE[0] <= first < vbmcd.PORT_RANGE[1])
        self.assertEqual(first, vbmcd.choose_port('/a/state/vbmc', {}))
        self.assertNotEqual(first, vbmcd.choose_port('/b/state/vbmc', {}))
        self.assertNotEqual(first, vbmcd.choose_port('/a/state/vbmc',
                                                     {first: {1}}))


class TestOwnership(testtools.TestCase):

    def daemon(self, pid, port=None, **kwargs):
        return vbmcd.Daemon(Host(pid, **kwargs), '/d', '/log', port)

    def test_another_vbmcd_on_the_port_is_never_asked(self):
        # The soak's vbmcd holds the port this cluster's recorded one.
        daemon = self.daemon(4939, port=57501)
        err = self.assertRaises(exception.DaemonNotOurs, daemon.call,
                                'delete', domain_names=['bench0'])
        self.assertIn('vbmcd control port 57501 is served by PID(s) '
                      '25166, 25336, not by this cluster\'s vbmcd (PID '
                      '4939)', str(err))

    def test_recorded_port_read_back(self):
        daemon = self.daemon(25166, conf='[default]\nserver_port = 57501\n')
        self.assertEqual(57501, daemon.port)
        daemon._check_ours()
        self.assertTrue(daemon._checked)

    def test_nothing_recorded_nothing_configured(self):
        self.assertIsNone(self.daemon(25166).port)
