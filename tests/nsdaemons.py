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

"""A libvirt and an Open vSwitch of their own, as a container runs them.

virtlogd, libvirtd, ovsdb-server and ovs-vswitchd run in a private mount
namespace (a tmpfs /run; /etc/libvirt, /var/lib/libvirt, /var/log/libvirt
and Open vSwitch's directories bind-mounted from a directory of the
test's), inside a given network namespace. /run/libvirt and
/run/openvswitch are bind mounts too, so their sockets are reachable from
this machine at <root>/run/libvirt and <root>/run/openvswitch/db.sock,
as Kolla's containers share theirs with the host.

Two userspace-datapath Open vSwitches cannot share a network namespace:
each makes a tap named ovs-netdev, and the second fails with "Device or
resource busy"; so these daemons get a network namespace beside this
machine's own Open vSwitch. Every daemon is started and ended by PID.
"""

import os
import shutil
import signal
import subprocess
import time

# Mounts of the daemons' namespace, made by a process that then holds
# it. Their directory arrives as an argument.
_MOUNT_AND_HOLD = '''
set -e
mount -t tmpfs tenks-daemons-run /run
mkdir -p /run/sshd /run/libvirt /run/openvswitch /run/lock
for dir in run/libvirt run/openvswitch etc/libvirt var/lib/libvirt \
        var/log/libvirt etc/openvswitch var/lib/openvswitch \
        var/log/openvswitch; do
    mount --bind "$0/$dir" "/$dir"
done
: > "$0/ready"
exec sleep infinity
'''

_DB = 'unix:/run/openvswitch/db.sock'
# name: (argv, pid file), in the order they start.
DAEMONS = {
    'virtlogd': (['virtlogd', '-d'], '/run/virtlogd.pid'),
    'libvirtd': (['libvirtd', '-d'], '/run/libvirtd.pid'),
    'ovsdb-server': (
        ['ovsdb-server', '/etc/openvswitch/conf.db',
         '--remote=punix:/run/openvswitch/db.sock', '--detach',
         '--pidfile=/run/openvswitch/ovsdb-server.pid',
         '--log-file=/var/log/openvswitch/ovsdb-server.log'],
        '/run/openvswitch/ovsdb-server.pid'),
    'ovs-vswitchd': (
        ['ovs-vswitchd', _DB, '--detach',
         '--pidfile=/run/openvswitch/ovs-vswitchd.pid',
         '--log-file=/var/log/openvswitch/ovs-vswitchd.log'],
        '/run/openvswitch/ovs-vswitchd.pid'),
}
LIBVIRT = ('virtlogd', 'libvirtd')
OVS = ('ovsdb-server', 'ovs-vswitchd')


def run(argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode:
        raise RuntimeError('%s failed (%d): %s' % (
            ' '.join(argv), result.returncode, result.stderr.strip()))
    return result


class Daemons:
    """The daemons of one namespace; root holds their files."""

    def __init__(self, root, netns, name):
        self.root = root
        self.netns = netns
        self.name = name
        self.holder = None
        self.pids = {}      # daemon name -> PID

    @property
    def socket_dir(self):
        """libvirt's socket directory, as libvirt_custom_socket_path."""
        return os.path.join(self.root, 'run', 'libvirt')

    @property
    def libvirt_uri(self):
        return 'qemu+unix:///system?socket=%s/libvirt-sock' % self.socket_dir

    @property
    def db_socket(self):
        return os.path.join(self.root, 'run', 'openvswitch', 'db.sock')

    def start(self, daemons=LIBVIRT + OVS):
        self._make_files()
        self.holder = subprocess.Popen(
            ['ip', 'netns', 'exec', self.netns, 'unshare', '--mount',
             '--propagation', 'private', 'sh', '-c', _MOUNT_AND_HOLD,
             self.root], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        self.wait(lambda: os.path.exists(os.path.join(self.root, 'ready')),
                  'its mounts')
        self.start_daemons(daemons)

    def _make_files(self):
        for directory in ('run/libvirt', 'run/openvswitch',
                          'etc/libvirt/qemu', 'etc/libvirt/storage',
                          'var/lib/libvirt', 'var/log/libvirt',
                          'etc/openvswitch', 'var/lib/openvswitch',
                          'var/log/openvswitch'):
            os.makedirs(os.path.join(self.root, directory), exist_ok=True)
        os.chmod(self.root, 0o755)
        for name in os.listdir('/etc/libvirt'):
            if name.endswith('.conf'):
                shutil.copy(os.path.join('/etc/libvirt', name),
                            os.path.join(self.root, 'etc/libvirt', name))
        run(['ovsdb-tool', 'create',
             os.path.join(self.root, 'etc/openvswitch/conf.db'),
             '/usr/share/openvswitch/vswitch.ovsschema'])

    def inside(self, argv, **kwargs):
        """Run argv in the daemons' namespaces."""
        return run(['nsenter', '--target', str(self.holder.pid), '--mount',
                    '--net', '--'] + argv, **kwargs)

    def start_daemons(self, names):
        """Start the named daemons (DAEMONS' order); wait for them."""
        for name in [name for name in DAEMONS if name in names]:
            self.spawn(name, *DAEMONS[name])
            if name == 'ovsdb-server':
                self.inside(['ovs-vsctl', '--db=' + _DB, '--no-wait',
                             'init'])
        if 'libvirtd' in names:
            self.wait(lambda: self.inside(['virsh', 'version'],
                                          check=False).returncode == 0,
                      'libvirtd')
        if 'ovs-vswitchd' in names:
            # Without --no-wait, ovs-vsctl waits for the switch to catch
            # up with the database.
            self.inside(['ovs-vsctl', '--db=' + _DB, '--timeout=30',
                         'init'])

    def spawn(self, name, argv, pid_file):
        """Run a daemonising argv inside; record the PID it writes."""
        self.inside(argv)
        self.pids[name] = self._pid(pid_file)

    def kill(self, *names, sig=signal.SIGKILL):
        """End the named daemons by PID, as a crash or a restart would."""
        for name in names:
            end(self.pids.pop(name), sig)

    def _pid(self, pid_file):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = self.inside(['cat', pid_file], check=False).stdout.strip()
            if text.isdigit() and alive(int(text)):
                return int(text)
            time.sleep(0.1)
        raise RuntimeError('%s: no PID in %s' % (self.name, pid_file))

    def wait(self, ready, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not ready():
            if self.holder.poll() is not None:
                raise RuntimeError('%s: namespace holder died: %s' % (
                    self.name, self.holder.stderr.read().decode()))
            if time.monotonic() > deadline:
                raise RuntimeError('%s: %s not ready' % (self.name, what))
            time.sleep(0.1)

    def stop(self):
        """End every daemon and the holder, by PID."""
        if self.holder and self.holder.poll() is None and \
                'libvirtd' in self.pids:
            self._end_domains()
        for pid in reversed(list(self.pids.values())):
            end(pid)
        self.pids = {}
        if self.holder:
            end(self.holder.pid)
            self.holder.wait()

    def _end_domains(self):
        # QEMU processes outlive the libvirtd that started them: destroy
        # what still runs there.
        names = self.inside(['virsh', 'list', '--name'],
                            check=False).stdout.split()
        for name in names:
            self.inside(['virsh', 'destroy', name], check=False)


def alive(pid):
    """Whether pid runs (a zombie does not)."""
    try:
        with open('/proc/%d/stat' % pid) as stream:
            return stream.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def end(pid, sig=signal.SIGTERM, timeout=10):
    """Signal pid, and SIGKILL it if it outlives timeout."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
