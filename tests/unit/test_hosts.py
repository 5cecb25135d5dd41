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

import shlex
import subprocess

import testtools

from tenks import exception
from tenks import hosts
from tests.unit import fakes


class TestSSHHost(testtools.TestCase):

    def test_argv_quoted_for_the_remote_shell(self):
        host = hosts.SSHHost('hv1', '203.0.113.2', 'root', 2222,
                             key='/k', known_hosts='/kh')
        self.addCleanup(host.close)
        argv = host._argv(['ip', 'link', 'set', 'dev', "a b;rm -rf /"])
        self.assertEqual(['203.0.113.2', '--'], argv[-3:-1])
        self.assertEqual(['ip', 'link', 'set', 'dev', 'a b;rm -rf /'],
                         shlex.split(argv[-1]))
        for option in ('BatchMode=yes', 'ControlMaster=auto',
                       'UserKnownHostsFile=/kh'):
            self.assertIn(option, argv)
        self.assertEqual(['-p', '2222', '-l', 'root', '-i', '/k'],
                         [argv[i] for i in range(len(argv))
                          if argv[i] in ('-p', '-l', '-i')
                          or argv[i - 1] in ('-p', '-l', '-i')])


# What ssh said, captured on a namespace hypervisor (tests/nshosts.py):
# (exit code, stderr, whether the master connection ran afterwards).
KILLED_MID_COMMAND = (255, '', False)
SSHD_DOWN = (255, 'ssh: connect to host 203.0.113.58 port 22: '
                  'Connection refused\n', True)
PORT_FILTERED = (255, 'ssh: connect to host 203.0.113.58 port 22: '
                      'Connection timed out\n', True)
CLOSED_BY_PEER = (255, 'Connection to 203.0.113.58 closed by remote host.\n',
                  True)
REMOTE_EXIT_255 = (255, 'oops\n', True)
REMOTE_EXIT_255_SILENT = (255, '', True)
BAD_KEY = (255, 'Load key "/dev/null": bad permissions\n'
                'root@203.0.113.58: Permission denied (publickey).\n', True)
HOST_KEY = (255, 'No ED25519 host key is known for 203.0.113.58 and you '
                 'have requested strict checking.\n'
                 'Host key verification failed.\n', True)
COMMAND_FAILED = (1, 'Connection refused\n', False)


class TestConnectionLost(testtools.TestCase):

    def test_captured_outputs(self):
        for name, outcome, lost in (
                ('killed mid-command', KILLED_MID_COMMAND, True),
                ('sshd down', SSHD_DOWN, True),
                ('port filtered', PORT_FILTERED, True),
                ('closed by peer', CLOSED_BY_PEER, True),
                ('remote exit 255', REMOTE_EXIT_255, False),
                ('remote exit 255, silent', REMOTE_EXIT_255_SILENT, False),
                ('bad key', BAD_KEY, False),
                ('host key', HOST_KEY, False),
                ('the command failed', COMMAND_FAILED, False)):
            self.assertEqual(lost, hosts.connection_lost(*outcome), name)


class ScriptedSSHHost(hosts.SSHHost):
    """An SSHHost whose ssh answers in turn from captured outcomes."""

    def __init__(self, outcomes):
        super().__init__('hv1', '203.0.113.58', 'root', 22)
        self.outcomes = list(outcomes)
        self.master = True
        self.answered = True

    def _master_pid(self):
        return 4242 if self.master else None


class TestReconnect(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.patch(hosts, 'RECONNECT_FIRST_WAIT', 0)
        self.calls = []

    def host(self, *outcomes):
        host = ScriptedSSHHost(outcomes)
        self.addCleanup(host.close)

        def run(argv, **kwargs):
            if '-O' in argv:     # the master's own control, on close
                return subprocess.CompletedProcess(argv, 0, '', '')
            code, stderr, host.master = host.outcomes.pop(0)
            self.calls.append(argv[-1])
            return subprocess.CompletedProcess(argv, code, '', stderr)
        self.patch(hosts.subprocess, 'run', run)
        return host

    def test_repeatable_command_retried_until_it_answers(self):
        host = self.host(KILLED_MID_COMMAND, SSHD_DOWN, (0, '', True))
        self.assertEqual('', host.read_file('/x'))
        self.assertEqual(["cat -- /x"] * 3, self.calls)

    def test_retries_bounded(self):
        host = self.host(*[KILLED_MID_COMMAND] * 10)
        err = self.assertRaises(exception.HostConnectionLost,
                                host.read_file, '/x')
        self.assertEqual(hosts.RECONNECT_ATTEMPTS, len(self.calls))
        self.assertIn('Hypervisor hv1 dropped its SSH connection '
                      '(root@203.0.113.58:22) during `cat -- /x`', str(err))

    def test_other_command_never_run_again(self):
        host = self.host(KILLED_MID_COMMAND, KILLED_MID_COMMAND,
                         (0, '', True))
        self.assertRaises(exception.HostConnectionLost, host.run,
                          ['ip', '-batch', '-'], input='link add x\n')
        # A PID signalled twice may be another process by then.
        self.assertRaises(exception.HostConnectionLost, host.kill, [99])
        self.assertEqual(['ip -batch -', 'kill -s TERM 99'], self.calls)

    def test_remote_failure_is_not_a_lost_connection(self):
        host = self.host(REMOTE_EXIT_255, (0, '', True))
        self.assertIsNone(host.read_file('/x'))
        self.assertEqual(1, len(self.calls))

    def test_before_first_answer_out_of_reach_not_retried(self):
        for outcome in (SSHD_DOWN, PORT_FILTERED):
            host = self.host(outcome, (0, '', True))
            host.answered = False
            self.assertEqual(255, host.execute(['true'],
                                               repeatable=True).returncode)
        self.assertEqual(2, len(self.calls))

    def test_first_connection_made_then_lost_is_retried(self):
        host = self.host(KILLED_MID_COMMAND, (0, '', True))
        host.answered = False
        self.assertEqual(0, host.execute(['true'],
                                         repeatable=True).returncode)
        self.assertTrue(host.answered)


class TestHostCalls(testtools.TestCase):

    def test_processes_parsed(self):
        host = fakes.FakeHost({'ps': (0, '  10  10 Ss  vbmcd --foreground\n'
                                         '  11  10 Z   [vbmcd] <defunct>\n'
                                         'garbage\n')})
        self.assertEqual(
            [hosts.Process(10, 10, 'S', 'vbmcd --foreground'),
             hosts.Process(11, 10, 'Z', '[vbmcd] <defunct>')],
            host.processes())

    def test_read_file_missing_is_none(self):
        self.assertIsNone(fakes.FakeHost({'cat': (1, '')}).read_file('/x'))

    def test_read_files_split_by_header(self):
        host = fakes.FakeHost({'sh': (0, '==> /d/a/config\nx = 1\n'
                                         '==> /d/b/config\ny = 2\n')})
        self.assertEqual({'/d/a/config': 'x = 1\n',
                          '/d/b/config': 'y = 2\n'},
                         host.read_files('/d', 'config'))

    def test_spawn_passes_names_as_arguments(self):
        host = fakes.FakeHost({})
        host.spawn(['vbmcd', '--foreground'], '/s/pid', '/l/log',
                   env={'VIRTUALBMC_CONFIG': '/s/conf'})
        argv, _ = host.seen[0]
        self.assertEqual(['setsid', '-f', 'sh', '-c'], argv[:4])
        self.assertEqual(['/s/pid', '/l/log', 'env',
                          'VIRTUALBMC_CONFIG=/s/conf', 'vbmcd',
                          '--foreground'], argv[5:])
        self.assertNotIn('/s/pid', argv[4])

    def test_spawn_under_systemd_is_a_unit(self):
        host = fakes.FakeHost({})
        host.supervisor = 'systemd'
        host.spawn(['vbmcd', '--foreground'], '/s/vbmcd.pid', '/l/log',
                   env={'VIRTUALBMC_CONFIG': '/s/conf'})
        argv, _ = host.seen[0]
        unit = hosts.unit_name('/s/vbmcd.pid')
        self.assertEqual(['systemd-run', '--quiet', '--collect', '--unit',
                          unit, '--', 'sh', '-c'], argv[:8])
        # The journal takes the output: no log file.
        self.assertEqual(['/s/vbmcd.pid', 'env', 'VIRTUALBMC_CONFIG=/s/conf',
                          'vbmcd', '--foreground'], argv[9:])
        self.assertNotIn('>>', argv[8])
        self.assertRegex(unit, r'^tenks-vbmcd-[0-9a-f]{8}\.service$')
        # One unit per daemon file, whatever its directory.
        self.assertNotEqual(unit, hosts.unit_name('/t/vbmcd.pid'))

    def test_private_dirs_made_owner_only(self):
        host = fakes.FakeHost({})
        host.make_dirs('/s/vbmc/bmcs', private=True)
        host.make_dirs('/pool')
        (private, _), (plain, _) = host.seen
        self.assertEqual(['sh', '-c', '/s/vbmc/bmcs'],
                         private[:2] + private[3:])
        self.assertIn('umask 077', private[2])
        self.assertEqual(['mkdir', '-p', '--', '/pool'], plain)

    def test_full_disk_is_one_line_naming_the_file(self):
        host = fakes.FakeHost({'sh': (
            1, 'cat: write error: No space left on device')})
        err = self.assertRaises(exception.HostDiskFull, host.write_file,
                                '/s/f', 'text')
        self.assertIn('/s/f', str(err))

    def test_write_file_sends_text_on_stdin(self):
        host = fakes.FakeHost({})
        host.write_file('/s/f', 'secret')
        argv, text = host.seen[0]
        self.assertEqual('/s/f', argv[-1])
        self.assertEqual('secret', text)
        self.assertIn('umask 077', argv[2])
