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

"""Faults of the parts Tenks drives, during a run.

Ironic failing or gone, the disk full, an SSH hypervisor dropping its
connection: each run ends with one line naming the part and what to do,
or retries where that is safe, and the next run finishes from the state
it left.
"""

import errno
import http.client
import http.server
import json
import os
import signal
import threading

import testtools
import yaml

from tests.functional import base
from tests.functional import test_deploy
from tests.functional import test_ironic
from tests import nshosts

# Its management subnet 203.0.113.56/30: no other test's.
NS_INDEX = 14
NS_SOURCE = 'tksrc0'


class FaultyProxy:
    """An HTTP proxy to Ironic that fails the requests it is told to.

    faults maps an HTTP method to [what, how many]: what is a status to
    answer with (503) or 'drop' (close the connection unanswered); how
    many is a count, or None for every one.
    """

    def __init__(self, target_port):
        self.target_port = target_port
        self.faults = {}
        self.failed = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):

            def do(self):
                fault = proxy.take_fault(self.command)
                body = self.rfile.read(int(self.headers.get(
                    'Content-Length') or 0))
                if fault == 'drop':
                    self.close_connection = True
                    self.connection.close()
                elif fault:
                    self.send_response(fault)
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                else:
                    self.forward(body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do

            def forward(self, body):
                upstream = http.client.HTTPConnection('127.0.0.1',
                                                      proxy.target_port)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ('host', 'connection')}
                upstream.request(self.command, self.path, body or None,
                                 headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ('transfer-encoding',
                                           'connection', 'content-length'):
                        self.send_header(key, value)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def take_fault(self, method):
        with self.lock:
            fault = self.faults.get(method)
            if not fault or fault[1] == 0:
                return None
            if fault[1] is not None:
                fault[1] -= 1
            self.failed.append((method, fault[0]))
            return fault[0]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class TestIronicFaults(test_ironic.IronicTestCase):

    def setUp(self):
        super().setUp()
        self.proxy = FaultyProxy(self.ironic.port)
        self.addCleanup(self.proxy.stop)
        with open(self.clouds) as stream:
            clouds = yaml.safe_load(stream)
        proxied = json.loads(json.dumps(clouds['clouds'][
            self.ironic.cloud_name]).replace(str(self.ironic.port),
                                             str(self.proxy.port)))
        clouds['clouds']['tenks-proxied'] = proxied
        self.proxied_clouds = os.path.join(self.workdir, 'proxied.yaml')
        with open(self.proxied_clouds, 'w') as stream:
            yaml.safe_dump(clouds, stream)

    def proxied(self, command, path):
        """`tenks command path` talking to Ironic through the proxy."""
        return base.run(
            [base.TENKS, '--config-file', self.conf_file, command, path],
            check=False, env=dict(os.environ, OS_CLOUD='tenks-proxied',
                                  OS_CLIENT_CONFIG_FILE=self.proxied_clouds))

    def assert_failed_on_one_line(self, result, *words):
        self.assertEqual(1, result.returncode, result.stdout)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(1, len(lines), result.stderr)
        for word in words:
            self.assertIn(word, lines[0])
        self.assert_no_half_written_file()

    def assert_no_half_written_file(self):
        state_dir = os.path.dirname(self.state_file)
        self.state()    # whole JSON
        for root, _, files in os.walk(state_dir):
            for name in files:
                self.assertFalse(name.startswith('.state-')
                                 or name.endswith('.tmp'), name)

    def assert_converged(self):
        self.assertEqual([], json.loads(self.tenks(
            'plan', self.path, '-f', 'json').stdout))
        nodes = self.state()['nodes']
        self.assertEqual(
            {name: node['ironic_uuid'] for name, node in nodes.items()},
            {node['name']: node['uuid']
             for node in self.baremetal('node', 'list')})

    def cluster_of(self, count, resource_class='rc'):
        path = self.mixed_cluster(ipmi=count, redfish=0,
                                  ipmi_config={'resource_class':
                                               resource_class})
        return path

    def test_ironic_failing_then_back(self):
        self.path = self.cluster_of(2)
        # Ironic's connection lost when the nodes are to be created.
        self.proxy.faults = {'POST': ['drop', None]}
        self.assert_failed_on_one_line(self.proxied('deploy', self.path),
                                       'Ironic unavailable',
                                       'run the same command again')
        self.assertIn(('POST', 'drop'), self.proxy.failed)
        self.proxy.faults = {}
        self.assertEqual(0, self.proxied('deploy', self.path).returncode)
        self.assert_converged()
        uuids = {name: node['ironic_uuid']
                 for name, node in self.state()['nodes'].items()}
        # A server error for a while, on writes that are safe to repeat:
        # retried, and the run succeeds.
        self.proxy.failed = []
        self.proxy.faults = {'PATCH': [503, 2]}
        self.path = self.cluster_of(2, resource_class='rc2')
        result = self.proxied('deploy', self.path)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual([('PATCH', 503)] * 2, self.proxy.failed)
        self.assert_converged()
        self.assertEqual('rc2', self.baremetal(
            'node', 'show', self.node_prefix + '0')['resource_class'])
        # A server error on a create, which is not repeated blindly.
        self.proxy.faults = {'POST': [503, None]}
        self.path = self.cluster_of(3, resource_class='rc2')
        self.assert_failed_on_one_line(self.proxied('deploy', self.path),
                                       'Ironic unavailable', '503',
                                       'run the same command again')
        self.proxy.faults = {}
        self.assertEqual(0, self.proxied('deploy', self.path).returncode)
        self.assert_converged()
        for name, uuid in uuids.items():
            self.assertEqual(uuid, self.state()['nodes'][name]['ironic_uuid'])
        self.assert_clean_teardown(self.path)


class TestDiskFull(test_deploy.DeployTestCase):

    def setUp(self):
        super().setUp()
        state_dir = os.path.dirname(self.state_file)
        os.makedirs(state_dir, mode=0o700)
        base.run(['mount', '-t', 'tmpfs', '-o', 'size=1m,mode=0700',
                  'tenks-functional', state_dir])
        self.addCleanup(base.run, ['umount', state_dir], check=False)
        # Before the unmount: the teardown needs the state.
        self.addCleanup(self.sweep)
        self.filler = os.path.join(state_dir, 'filler')
        self.linux_bridge(self.source_prefix + 'lb')

    def cluster_of(self, count):
        return self.cluster(
            node_types={'small': test_ironic._node_type('physnet1')},
            specs=[{'type': 'small', 'count': count}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb'})

    def fill(self):
        chunk = b'\0' * 65536
        with open(self.filler, 'wb', buffering=0) as stream:
            try:
                while True:
                    stream.write(chunk)
            except OSError as err:
                self.assertEqual(errno.ENOSPC, err.errno)

    def test_disk_full_then_room_made(self):
        path = self.cluster_of(1)
        self.tenks('deploy', path)
        before = self.state()
        self.fill()
        result = self.tenks('deploy', self.cluster_of(2), check=False)
        self.assertEqual(1, result.returncode)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(1, len(lines), result.stderr)
        self.assertIn('No space left on device', lines[0])
        # The state file, or its lock file beside it.
        self.assertIn(self.state_file, lines[0])
        self.assertIn('run the same command again', lines[0])
        self.assertEqual(before, self.state())
        state_dir = os.path.dirname(self.state_file)
        self.assertEqual([], [name for name in os.listdir(state_dir)
                              if name.startswith('.state-')
                              or name.endswith('.tmp')])
        os.unlink(self.filler)
        self.tenks('deploy', path)
        self.assertEqual(2, len(self.state()['nodes']))
        self.assertEqual(before['nodes'][self.node_prefix + '0'],
                         self.state()['nodes'][self.node_prefix + '0'])
        self.assert_idempotent(path)
        self.assert_clean_teardown(path)


def _children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as stream:
            return [int(child) for child in stream.read().split()]
    except OSError:
        return []


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as stream:
            return stream.read().replace(b'\0', b' ')
    except OSError:
        return b''


class SessionKiller(threading.Thread):
    """Kills, by PID, the sshd session of Tenks' SSH commands mid-command.

    sshd forks a session per connection: Tenks' master connection runs
    each command as a child of its session (`bash -c COMMAND`); libvirt's
    connection, which runs nc to libvirt's socket or virt-ssh-helper, is
    left alone. The session is killed while one of targets (bytes of a
    command line) runs in it, each target once: its connection drops
    under the command.
    """

    def __init__(self, listener, targets):
        super().__init__(daemon=True)
        self.listener = listener
        self.targets = list(targets)
        self.killed = []
        self.stopped = threading.Event()

    def run(self):
        while self.targets and not self.stopped.wait(0.002):
            for session in _children(self.listener):
                # (A child gone meanwhile has no command line.)
                commands = [c for c in map(_cmdline, _children(session))
                            if c.startswith(b'bash -c ')]
                hit = [t for t in self.targets
                       if any(t in c for c in commands)]
                if hit:
                    os.kill(session, signal.SIGKILL)
                    self.targets.remove(hit[0])
                    self.killed.append(hit[0].decode())
                    break

    def stop(self):
        self.stopped.set()
        self.join()


class TestSSHDropped(test_deploy.DeployTestCase):
    """A namespace hypervisor whose SSH sessions are killed mid-run."""

    def setUp(self):
        super().setUp()
        keys = nshosts.Keys(os.path.join(self.workdir, 'controller-ssh'))
        self.host = nshosts.NamespaceHost(self.source_prefix + 'h',
                                          NS_INDEX, self.workdir, keys)
        # After the sweep (cleanups run last first): its teardown needs
        # the host.
        self.addCleanup(self.host.stop)
        self.host.start()
        self.host.inside(['ip', 'link', 'add', NS_SOURCE, 'type', 'bridge'])
        self.host.inside(['ip', 'link', 'set', NS_SOURCE, 'up'])
        with open(self.conf_file, 'a') as stream:
            stream.write('[ssh]\nkey_file = %s\nknown_hosts_file = %s\n' % (
                keys.private, keys.known_hosts))
        self.pool_path = '/var/lib/libvirt/%s' % self.pool
        self.addCleanup(base.run, ['rm', '-rf', self.pool_path],
                        check=False)

    def cluster_of(self, count):
        return self.cluster(
            node_types={'small': test_ironic._node_type('physnet1')},
            specs=[{'type': 'small', 'count': count}],
            hypervisors={self.host.name: {
                'address': self.host.address,
                'libvirt_uri': self.host.libvirt_uri,
                'physnet_mappings': {'physnet1': NS_SOURCE}}},
            libvirt_pool_path=self.pool_path, libvirt_vm_engine='qemu',
            default_boot_mode='bios')

    def domains(self):
        return sorted(d for d in self.host.inside(
            ['virsh', 'list', '--all', '--name']).stdout.split()
            if d.startswith(self.node_prefix))

    def test_sessions_killed_mid_run(self):
        path = self.cluster_of(1)
        # A batch of link changes (not repeatable: planned again from
        # what exists) and a read of processes (repeatable: run again).
        killer = SessionKiller(self.host.daemons.pids['sshd'],
                               [b'ip -batch', b'ps -e -o'])
        killer.start()
        try:
            result = self.tenks('deploy', path, check=False)
        finally:
            killer.stop()
        self.addDetail('stderr', testtools.content.text_content(
            result.stderr))
        self.assertTrue(killer.killed, 'no session was killed mid-command')
        lines = result.stderr.strip().splitlines()
        for target, seen in (('ip -batch', 'planning again from what '
                              'exists'), ('ps -e -o', 'trying again')):
            if target in killer.killed:
                self.assertTrue([line for line in lines
                                 if 'dropped its SSH connection during `%s'
                                 % target in line and seen in line],
                                result.stderr)
        if result.returncode:
            # Or the run ends on one line naming the hypervisor.
            self.assertIn('Hypervisor %s dropped its SSH connection'
                          % self.host.name, lines[-1])
            self.assertIn('run the same command again', lines[-1])
            self.tenks('deploy', path)
        self.assertEqual(sorted(self.state()['nodes']), self.domains())
        self.assertEqual(1, len(self.domains()))
        self.assertEqual([], json.loads(self.tenks('plan', path, '-f',
                                                   'json').stdout))
        self.tenks('teardown', path)
        self.assertEqual([], self.domains())
        self.assertFalse(os.path.exists(self.state_file))
