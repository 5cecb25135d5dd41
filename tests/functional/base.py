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

"""Helpers of the functional tests: the real `tenks` on the real host.

Every test gets names of its own (bridge prefix, node prefix, pool, ports),
so a leftover of one test can never be mistaken for another's, and a
cleanup that removes by those names runs even when the test fails.
"""

import json
import os
import secrets
import socket
import subprocess
import sys

import fixtures
import testtools
import testtools.content
import yaml

TENKS = os.path.join(os.path.dirname(sys.executable), 'tenks')
# What the command line of each BMC daemon Tenks runs holds.
# tenks-ipmi by its module's name, and by the name it had before, which
# an emulator started by an earlier Tenks runs under.
DAEMON_MARKERS = (b'vbmcd', b'sushy-emulator', b'tenks.bmc.sushy_media',
                  b'tenks.ipmi_emulator',
                  b'tenks.bmc.ipmi_emulator')
# Every daemon Tenks starts: the BMCs' and each hypervisor's LLDP sender.
LEFTOVER_MARKERS = DAEMON_MARKERS + (b'lldp_sender.py',)


def run(argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode:
        raise AssertionError('%s failed (%d):\n%s\n%s' % (
            ' '.join(argv), result.returncode, result.stdout,
            result.stderr))
    return result


def stop(process):
    """End a process the test started (a Popen): SIGTERM, then SIGKILL."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port_range(count):
    """The first of count consecutive free UDP ports on loopback."""
    for _ in range(50):
        start = 20000 + secrets.randbelow(20000)
        if all(_udp_free(port) for port in range(start, start + count)):
            return start
    raise AssertionError('no free UDP port range found')


def _udp_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def _tcp_free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class TenksTestCase(testtools.TestCase):
    """A test with its own names, tenks.conf and leak-proof cleanup."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(900, gentle=True))
        tag = secrets.token_hex(2)
        self.bridge_prefix = 'tkf%s' % tag
        self.source_prefix = 'tks%s' % tag    # the test's own bridges
        self.node_prefix = 'f%s-' % tag
        self.pool = 'tkf%s' % tag
        self.workdir = self.useFixture(fixtures.TempDir()).path
        # QEMU runs as its own user and must reach the pool inside.
        os.chmod(self.workdir, 0o755)
        self.state_file = os.path.join(self.workdir, 'state', 'state.json')
        self.conf_file = os.path.join(self.workdir, 'tenks.conf')
        self.ipmi_start = free_port_range(4)
        with open(self.conf_file, 'w') as stream:
            stream.write('[DEFAULT]\nstate_dir = %s\n[ipmi]\n'
                         'vbmcd_control_port = %d\n' % (
                             os.path.join(self.workdir, 'state'),
                             _tcp_free_port()))
        self.addCleanup(self.sweep)
        self.addOnException(self.attach_logs)

    def attach_logs(self, exc_info):
        """Attach Tenks' daemon logs to a failing test's details."""
        log_dir = os.path.join(self.workdir, 'log')
        for name in sorted(os.listdir(log_dir)) if os.path.isdir(
                log_dir) else []:
            path = os.path.join(log_dir, name)
            if os.path.isfile(path):
                self.addDetail(name, testtools.content.text_content(
                    open(path, errors='replace').read()[-20000:]))

    def cluster(self, **overrides):
        data = {
            'node_name_prefix': self.node_prefix,
            'bridge_prefix': self.bridge_prefix,
            'libvirt_pool_name': self.pool,
            'libvirt_pool_path': os.path.join(self.workdir, 'pool'),
            'log_directory': os.path.join(self.workdir, 'log'),
            'state_file_path': self.state_file,
            'ipmi_port_range_start': self.ipmi_start,
            'ipmi_port_range_end': self.ipmi_start + 3,
            'libvirt_vm_engine': 'auto',
        }
        data.update(overrides)
        path = os.path.join(self.workdir, 'cluster.yaml')
        with open(path, 'w') as stream:
            yaml.safe_dump(data, stream)
        return path

    def tenks(self, *args, check=True, timeout=None):
        return run([TENKS, '--config-file', self.conf_file] + list(args),
                   check=check, timeout=timeout)

    def state(self):
        with open(self.state_file) as stream:
            return json.load(stream)

    def linux_bridge(self, name):
        run(['ip', 'link', 'add', name, 'type', 'bridge'])
        self.addCleanup(run, ['ip', 'link', 'del', name], check=False)
        run(['ip', 'link', 'set', name, 'up'])

    def ovs_bridge(self, name):
        run(['ovs-vsctl', 'add-br', name, '--', 'set', 'Bridge', name,
             'datapath_type=netdev'])
        self.addCleanup(run, ['ovs-vsctl', '--if-exists', 'del-br', name],
                        check=False)

    def leftovers(self):
        """Everything on the host that bears this test's names."""
        found = []
        domains = run(['virsh', 'list', '--all', '--name']).stdout.split()
        found += [d for d in domains if d.startswith(self.node_prefix)]
        pools = run(['virsh', 'pool-list', '--all', '--name']).stdout.split()
        found += [p for p in pools if p == self.pool]
        links = json.loads(run(['ip', '-j', 'link', 'show']).stdout)
        found += [link['ifname'] for link in links
                  if link['ifname'].startswith((self.bridge_prefix,
                                                self.node_prefix))]
        ports = run(['ovs-vsctl', '--columns=name', '-f', 'csv',
                     '--no-headings', 'list', 'Port']).stdout.split()
        found += [p for p in ports
                  if p.startswith((self.bridge_prefix, self.node_prefix))]
        found += ['daemon %d' % pid
                  for pid in self.daemon_pids(LEFTOVER_MARKERS)]
        return found

    def daemon_pids(self, markers=DAEMON_MARKERS):
        """Live daemons (by default BMCs) of this test's files."""
        pids = []
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                with open('/proc/%s/environ' % entry, 'rb') as stream:
                    environ = stream.read()
                with open('/proc/%s/cmdline' % entry, 'rb') as stream:
                    cmdline = stream.read()
                with open('/proc/%s/stat' % entry) as stream:
                    zombie = stream.read().rsplit(')', 1)[1].split()[0] == 'Z'
            except OSError:
                continue
            bmc = any(marker in cmdline for marker in markers)
            if bmc and not zombie and self.workdir.encode() in (environ
                                                                + cmdline):
                pids.append(int(entry))
        return pids

    def sweep(self):
        """Teardown through Tenks, then remove by name what it left."""
        if os.path.exists(self.state_file):
            self.tenks('teardown', os.path.join(self.workdir, 'cluster.yaml'),
                       check=False)
        for name in self.leftovers():
            self._remove(name)

    def _remove(self, name):
        if name.startswith('daemon '):
            os.kill(int(name.split()[1]), 9)
        elif name == self.pool:
            run(['virsh', 'pool-destroy', name], check=False)
            run(['virsh', 'pool-undefine', name], check=False)
        else:
            run(['virsh', 'destroy', name], check=False)
            run(['virsh', 'undefine', '--nvram', name], check=False)
            run(['ovs-vsctl', '--if-exists', 'del-br', name], check=False)
            run(['ovs-vsctl', '--if-exists', 'del-port', name], check=False)
            run(['ip', 'link', 'del', name], check=False)
