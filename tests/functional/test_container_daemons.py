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

"""A libvirt and an Open vSwitch Tenks did not start, as Kolla runs them.

The class's daemons (tests/nsdaemons.py) stand in for Kolla's nova_libvirt
and openvswitch containers: their own files, their sockets shared at paths
of the test's. Tenks reaches libvirt through libvirt_custom_socket_path
and Open vSwitch through an ovs-vsctl wrapper first on its PATH, as
Kayobe's dev/ovs-vsctl does with `docker exec`. Tenks runs in the daemons'
network namespace (as beside containers of the host's network), and with
the places of this machine's own daemons' sockets taken by tripwire
sockets, so any call it made to those would be seen. The daemons are then
killed under a run, by PID: the run ends with one line naming the part,
and the next run finishes the cluster.
"""

import json
import os
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import libvirt
import testtools.content

from tests.functional import base
from tests.functional import test_deploy
from tests import nsdaemons

# Where Tenks' mount namespace puts the tripwire's directories: where this
# machine's libvirt and Open vSwitch keep their sockets.
_HIDE_HOST_DAEMONS = ('mount --bind "$0/libvirt" /run/libvirt && '
                      'mount --bind "$0/openvswitch" /run/openvswitch && '
                      'exec "$@"')
_WRAPPER = '''#!/bin/sh
# The namespace's Open vSwitch, as Kayobe's dev/ovs-vsctl reaches the one
# in Kolla's openvswitch_vswitchd container.
exec %s --db=unix:%s "$@"
'''


class Tripwire:
    """Listening sockets in the place of this machine's daemons' own.

    Every connection is recorded (by the socket's name) and closed.
    """

    SOCKETS = {
        'libvirt': ('libvirt-sock', 'libvirt-sock-ro', 'libvirt-admin-sock',
                    'virtqemud-sock', 'virtqemud-sock-ro', 'virtlogd-sock'),
        'openvswitch': ('db.sock',),
    }

    def __init__(self, root):
        self.root = root
        self.calls = []
        self._selector = selectors.DefaultSelector()
        for directory, names in self.SOCKETS.items():
            os.makedirs(os.path.join(root, directory))
            for name in names:
                sock = socket.socket(socket.AF_UNIX)
                sock.bind(os.path.join(root, directory, name))
                sock.listen(16)
                self._selector.register(sock, selectors.EVENT_READ, name)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stopping.is_set():
            for key, _ in self._selector.select(timeout=0.1):
                conn, _ = key.fileobj.accept()
                conn.close()
                self.calls.append(key.data)

    def stop(self):
        self._stopping.set()
        self._thread.join()
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()
        self._selector.close()


class ContainerDaemonsTestCase(test_deploy.DeployTestCase):
    """Tests sharing one set of namespace daemons and its tripwire."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp(prefix='tenks-functional-daemons-')
        os.chmod(cls.root, 0o755)
        # Named as a test's own bridges: tests beside see it is not theirs.
        cls.netns = 'tks%sct' % secrets.token_hex(2)
        cls.daemons = nsdaemons.Daemons(os.path.join(cls.root, 'daemons'),
                                        cls.netns, cls.netns)
        cls.tripwire = None
        try:
            base.run(['ip', 'netns', 'add', cls.netns])
            base.run(['ip', '-n', cls.netns, 'link', 'set', 'lo', 'up'])
            cls.daemons.start()
            cls.tripwire = Tripwire(os.path.join(cls.root, 'tripwire'))
            cls.bin_dir = os.path.join(cls.root, 'bin')
            os.makedirs(cls.bin_dir)
            cls.wrapper = os.path.join(cls.bin_dir, 'ovs-vsctl')
            with open(cls.wrapper, 'w') as stream:
                stream.write(_WRAPPER % (shutil.which('ovs-vsctl'),
                                         cls.daemons.db_socket))
            os.chmod(cls.wrapper, 0o755)
            cls._check_tripwire()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _check_tripwire(cls):
        """What reaches for this machine's daemons from Tenks' place trips.

        Without this the tests' empty list of calls would prove nothing.
        """
        for argv in (['virsh', '-c', 'qemu:///system', 'version'],
                     [shutil.which('ovs-vsctl'), '--timeout=5', 'show']):
            base.run(cls.enter() + argv, check=False)
        # libvirt's client tries virtqemud's socket first where it exists.
        calls = sorted(cls.tripwire.calls)
        if len(calls) != 2 or calls[0] != 'db.sock' or \
                calls[1] not in cls.tripwire.SOCKETS['libvirt']:
            raise AssertionError('the tripwire saw %r' % cls.tripwire.calls)
        del cls.tripwire.calls[:]

    @classmethod
    def tearDownClass(cls):
        cls.daemons.stop()
        base.run(['ip', 'netns', 'del', cls.netns], check=False)
        if cls.tripwire:
            cls.tripwire.stop()
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def enter(cls):
        """The prefix of a command run where Tenks runs in these tests."""
        return ['ip', 'netns', 'exec', cls.netns, 'unshare', '--mount',
                '--propagation', 'private', 'sh', '-c', _HIDE_HOST_DAEMONS,
                cls.tripwire.root]

    def setUp(self):
        super().setUp()
        self.env = dict(os.environ,
                        PATH=self.bin_dir + ':' + os.environ['PATH'])
        self.source = self.source_prefix + 'ov'
        self.vsctl('add-br', self.source, '--', 'set', 'Bridge', self.source,
                   'datapath_type=netdev')
        self.addCleanup(self.vsctl, '--if-exists', 'del-br', self.source,
                        check=False)
        # Before the sweep: its teardown needs the daemons a test killed.
        self.addCleanup(self.revive)
        self.addCleanup(self.assert_no_call_tripped)

    def revive(self):
        self.daemons.start_daemons([name for name in nsdaemons.DAEMONS
                                    if name not in self.daemons.pids])

    def assert_no_call_tripped(self):
        calls, self.tripwire.calls = self.tripwire.calls, []
        self.assertEqual([], calls)

    def vsctl(self, *args, check=True):
        """ovs-vsctl of the namespace's Open vSwitch, through the wrapper."""
        return base.run([self.wrapper, '--timeout=30'] + list(args),
                        check=check).stdout

    def virsh(self, *args, check=True):
        return base.run(['virsh', '-c', self.daemons.libvirt_uri]
                        + list(args), check=check).stdout

    def argv(self, *args):
        return self.enter() + [base.TENKS, '--config-file',
                               self.conf_file] + list(args)

    def tenks(self, *args, check=True, timeout=None):
        return base.run(self.argv(*args), check=check, timeout=timeout,
                        env=self.env)

    def cluster_of(self, count):
        return self.cluster(
            node_types={'small': {'memory_mb': 256, 'vcpus': 1,
                                  'volumes': [{'capacity': '1GiB'}],
                                  'physical_networks': ['physnet1']}},
            specs=[{'type': 'small', 'count': count}],
            physnet_mappings={'physnet1': self.source},
            bridge_type='openvswitch', ovs_datapath_type='netdev',
            libvirt_custom_socket_path=self.daemons.socket_dir,
            libvirt_vm_engine='qemu')

    def host_leftovers(self):
        """What bears this test's names on this machine's own daemons.

        Not the BMC daemons, which run here whoever runs libvirt.
        """
        return [name for name in base.TenksTestCase.leftovers(self)
                if not name.startswith('daemon ')]

    def private_leftovers(self):
        prefixes = (self.bridge_prefix, self.node_prefix)
        found = [d for d in self.virsh('list', '--all', '--name').split()
                 if d.startswith(self.node_prefix)]
        found += [p for p in self.virsh('pool-list', '--all',
                                        '--name').split() if p == self.pool]
        links = json.loads(base.run(['ip', '-n', self.netns, '-j', 'link',
                                     'show']).stdout)
        found += [link['ifname'] for link in links
                  if link['ifname'].startswith(prefixes)]
        found += [p for p in self.vsctl('--columns=name', '-f', 'csv',
                                        '--no-headings', 'list',
                                        'Port').split()
                  if p.startswith(prefixes)]
        return found

    def leftovers(self):
        return (base.TenksTestCase.leftovers(self)
                + self.private_leftovers())

    def _remove(self, name):
        super()._remove(name)       # were anything left on this machine's
        if name.startswith('daemon '):
            return
        self.virsh('destroy', name, check=False)
        self.virsh('undefine', '--nvram', name, check=False)
        self.virsh('pool-destroy', name, check=False)
        self.virsh('pool-undefine', name, check=False)
        self.vsctl('--if-exists', 'del-br', name, check=False)
        self.vsctl('--if-exists', 'del-port', name, check=False)
        base.run(['ip', '-n', self.netns, 'link', 'del', name], check=False)

    def ipmi_power_status(self, node):
        credentials = self.state()['credentials']
        return base.run([
            'ip', 'netns', 'exec', self.netns, 'ipmitool', '-I', 'lanplus',
            '-H', node['bmc']['address'], '-p', str(node['bmc']['port']),
            '-U', credentials['ipmi_username'],
            '-P', credentials['ipmi_password'], 'power', 'status']).stdout

    def macs(self, state):
        return {name: [nic['mac'] for nic in node['nics']]
                for name, node in state['nodes'].items()}

    def interrupted(self, path, ready, fault):
        """A deploy of path, frozen once ready() and faulted meanwhile.

        Freezing Tenks (SIGSTOP) makes the fault happen between two of
        its steps whatever the machine's load, not at a guessed moment.
        """
        process = subprocess.Popen(self.argv('deploy', path), env=self.env,
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        self.addCleanup(base.stop, process)
        deadline = time.monotonic() + 300
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                self.fail('the run ended before its fault: %s' % (
                    process.communicate()[1] if process.poll() is not None
                    else 'timed out'))
            time.sleep(0.01)
        with open('/proc/%d/cmdline' % process.pid, 'rb') as stream:
            self.assertIn(base.TENKS.encode(), stream.read())
        os.kill(process.pid, signal.SIGSTOP)
        try:
            fault()
        finally:
            os.kill(process.pid, signal.SIGCONT)
        out, err = process.communicate(timeout=300)
        return process.returncode, out, err

    def assert_ended_on_one_line(self, code, stderr, *words):
        self.addDetail('stderr', testtools.content.text_content(stderr))
        self.assertEqual(1, code, stderr)
        lines = stderr.strip().splitlines()
        self.assertEqual(1, len(lines), stderr)
        for word in words:
            self.assertIn(word, lines[0])
        self.assertIn('run the same command again', lines[0])
        # No half-written state file, nor its temporary beside it.
        self.assertTrue(self.state()['nodes'])
        for _, _, files in os.walk(os.path.dirname(self.state_file)):
            for name in files:
                self.assertFalse(name.startswith('.state-')
                                 or name.endswith('.tmp'), name)

    def assert_converges(self, path, before):
        """The next deploy finishes the cluster the failed run began."""
        self.tenks('deploy', path)
        self.assertEqual([], json.loads(self.tenks('plan', path, '-f',
                                                   'json').stdout))
        state = self.state()
        self.assertEqual(self.macs(before), self.macs(state))
        for name, macs in self.macs(state).items():
            xml = self.virsh('dumpxml', name)
            for mac in macs:
                self.assertIn("<mac address='%s'/>" % mac, xml)
        for node in state['nodes'].values():
            self.assertIn('off', self.ipmi_power_status(node))
        self.assertEqual([], self.host_leftovers())


class TestContainerDaemons(ContainerDaemonsTestCase):

    def test_deploy_and_teardown_through_socket_and_wrapper(self):
        path = self.cluster_of(2)
        self.tenks('deploy', path)
        nodes = self.state()['nodes']
        self.assertEqual(2, len(nodes))
        domains = self.virsh('list', '--all', '--name').split()
        bridges = self.vsctl('list-br').split()
        for node in nodes.values():
            self.assertIn(node['name'], domains)
            for nic in node['nics']:
                self.assertIn(nic['bridge'], bridges)
                self.assertEqual(nic['bridge'], self.vsctl(
                    'port-to-br', nic['veth_bridge']).strip())
            self.assertIn('off', self.ipmi_power_status(node))
        # Nothing of the cluster on this machine's own daemons, and no
        # call to them.
        self.assertEqual([], self.host_leftovers())
        self.assert_no_call_tripped()
        self.assert_idempotent(path)
        self.assert_clean_teardown(path)
        self.assert_no_call_tripped()

    def test_setup_host_waits_for_these_daemons(self):
        # What the unit test cannot show: the waits reach the real
        # daemons, through the socket and the wrapper. That it starts
        # nothing, tests/unit/test_setup_host.py checks.
        result = base.run(
            [os.path.join(os.path.dirname(__file__), '..', '..', 'tools',
                          'setup-host.sh'), '--external-daemons'],
            env=dict(self.env, TENKS_SETUP_NO_INSTALL='1',
                     TENKS_SETUP_LIBVIRT_URI=self.daemons.libvirt_uri))
        self.assertIn('starting none', result.stdout)
        self.assertIn('ready: libvirt answers', result.stdout)
        self.assertIn('ready: Open vSwitch answers', result.stdout)
        self.assertNotIn(': starting', result.stdout)

    def test_libvirtd_restarted_during_a_deploy(self):
        path = self.cluster_of(2)
        conn = libvirt.open(self.daemons.libvirt_uri)
        closed = []
        self.addCleanup(lambda: closed or conn.close())

        def volume_made():
            pools = [p for p in conn.listAllStoragePools()
                     if p.name() == self.pool]
            return bool(pools and pools[0].isActive()
                        and pools[0].listVolumes())

        def restart():
            conn.close()
            closed.append(True)
            self.daemons.kill('libvirtd')
            self.daemons.start_daemons(['libvirtd'])

        code, _, err = self.interrupted(path, volume_made, restart)
        self.assert_ended_on_one_line(code, err, 'libvirt')
        before = self.state()
        self.assertEqual(2, len(before['nodes']))
        self.assert_converges(path, before)
        self.assert_clean_teardown(path)

    def test_open_vswitch_gone_during_a_deploy(self):
        path = self.cluster_of(2)

        def bridge_made():
            return any(name.startswith(self.bridge_prefix)
                       for name in self.vsctl('list-br').split())

        code, _, err = self.interrupted(
            path, bridge_made,
            lambda: self.daemons.kill(*nsdaemons.OVS))
        self.assert_ended_on_one_line(code, err, 'Open vSwitch')
        before = self.state()
        # A teardown meanwhile does not take the silent switch for one
        # without the cluster's bridges, and forget them: it stops, as is.
        result = self.tenks('teardown', path, check=False)
        self.assert_ended_on_one_line(result.returncode, result.stderr,
                                      'Open vSwitch')
        self.assertEqual(before, self.state())
        self.daemons.start_daemons(nsdaemons.OVS)
        self.assert_converges(path, before)
        self.assert_clean_teardown(path)
