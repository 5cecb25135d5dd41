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

"""Throw-away hypervisor hosts on this machine, for tests and benchmarks.

Each host is a network namespace whose daemons (tests/nsdaemons.py: its
own virtlogd, libvirtd and Open vSwitch in a private mount namespace) run
beside an sshd of its own, joined to this machine by a management veth
on 203.0.113.0/24. A host is reached over SSH with a key and known_hosts
file of the harness, as a real hypervisor would be. Everything a host
started is ended by PID when it stops.
"""

import os
import shutil
import socket
import subprocess
import time

from tests import nsdaemons

_SSHD_CONFIG = '''\
ListenAddress {address}
HostKey {root}/ssh/host_key
PidFile /run/sshd.pid
AuthorizedKeysFile {root}/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 50
MaxStartups 50
'''

SUBNET = '203.0.113.%d'

# An sshd beside this machine's own services: a private /run for its
# privilege separation directory and PID file, with this machine's Open
# vSwitch socket bound back in so that its sessions drive the real OVS.
# The sshd's directory arrives as an argument.
_SSHD_IN_PRIVATE_RUN = '''
set -e
mkdir -p "$0/ovs"
mount --bind /run/openvswitch "$0/ovs"
mount -t tmpfs tenks-sshd-run /run
mkdir -p /run/sshd /run/openvswitch
mount --bind "$0/ovs" /run/openvswitch
exec /usr/sbin/sshd -D -e -f "$0/ssh/sshd_config"
'''


run = nsdaemons.run


class Keys:
    """The controller's SSH key and the known hosts it trusts."""

    def __init__(self, directory):
        os.makedirs(directory, mode=0o700, exist_ok=True)
        self.private = os.path.join(directory, 'id_ed25519')
        self.known_hosts = os.path.join(directory, 'known_hosts')
        run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C',
             'tenks-tests', '-f', self.private])
        with open(self.private + '.pub') as stream:
            self.public = stream.read()
        open(self.known_hosts, 'w').close()

    def trust(self, address, host_key_pub):
        with open(self.known_hosts, 'a') as stream:
            stream.write('%s %s' % (address, host_key_pub))


class NamespaceHost:
    """One throw-away hypervisor; index picks its management subnet."""

    def __init__(self, name, index, workdir, keys):
        self.name = name
        self.root = os.path.join(workdir, name)
        self.address = SUBNET % (4 * index + 2)
        self.gateway = SUBNET % (4 * index + 1)
        self.link = name + 'c'
        self.keys = keys
        self.daemons = nsdaemons.Daemons(self.root, name, name)

    @property
    def libvirt_uri(self):
        return ('qemu+libssh2://root@%s/system?keyfile=%s&known_hosts=%s'
                '&sshauth=privkey' % (self.address, self.keys.private,
                                      self.keys.known_hosts))

    def start(self):
        self._make_files()
        run(['ip', 'netns', 'add', self.name])
        run(['ip', 'link', 'add', self.link, 'type', 'veth', 'peer', 'name',
             'mgmt0', 'netns', self.name])
        run(['ip', 'addr', 'add', self.gateway + '/30', 'dev', self.link])
        run(['ip', 'link', 'set', self.link, 'up'])
        for argv in (['ip', 'addr', 'add', self.address + '/30', 'dev',
                      'mgmt0'],
                     ['ip', 'link', 'set', 'mgmt0', 'up'],
                     ['ip', 'link', 'set', 'lo', 'up']):
            run(['ip', '-n', self.name] + argv[1:])
        self.daemons.start()
        self.daemons.spawn('sshd', ['/usr/sbin/sshd', '-f',
                                    os.path.join(self.root, 'ssh',
                                                 'sshd_config')],
                           '/run/sshd.pid')

    def _make_files(self):
        ssh = os.path.join(self.root, 'ssh')
        os.makedirs(ssh, exist_ok=True)
        run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f',
             os.path.join(ssh, 'host_key')])
        with open(os.path.join(ssh, 'host_key.pub')) as stream:
            self.keys.trust(self.address, stream.read())
        with open(os.path.join(ssh, 'authorized_keys'), 'w') as stream:
            stream.write(self.keys.public)
        with open(os.path.join(ssh, 'sshd_config'), 'w') as stream:
            stream.write(_SSHD_CONFIG.format(address=self.address,
                                             root=self.root))

    def inside(self, argv, **kwargs):
        """Run argv in the host's namespaces."""
        return self.daemons.inside(argv, **kwargs)

    def ssh(self, *argv):
        """argv run on the host over SSH, as Tenks reaches it."""
        return run(['ssh', '-i', self.keys.private, '-o', 'BatchMode=yes',
                    '-o', 'UserKnownHostsFile=' + self.keys.known_hosts,
                    'root@' + self.address] + list(argv))

    def stop(self):
        """End everything the host started, by PID, and remove it."""
        self.daemons.stop()
        run(['ip', 'link', 'del', self.link], check=False)
        run(['ip', 'netns', 'del', self.name], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


class LoopbackSshd:
    """A root sshd on a loopback port, trusting authorized_keys.

    It shares this machine's network and Open vSwitch: a switch user
    logging in there drives the bridges Tenks made here.
    """

    def __init__(self, workdir, port, authorized_keys):
        self.root = os.path.join(workdir, 'sshd')
        self.port = port
        self.authorized_keys = authorized_keys
        self.log = os.path.join(workdir, 'sshd.log')
        self.process = None

    def start(self):
        ssh = os.path.join(self.root, 'ssh')
        os.makedirs(ssh, exist_ok=True)
        run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f',
             os.path.join(ssh, 'host_key')])
        shutil.copy(self.authorized_keys,
                    os.path.join(ssh, 'authorized_keys'))
        with open(os.path.join(ssh, 'sshd_config'), 'w') as stream:
            stream.write(_SSHD_CONFIG.format(
                address='127.0.0.1:%d' % self.port, root=self.root))
        with open(self.log, 'w') as log:
            self.process = subprocess.Popen(
                ['unshare', '--mount', '--propagation', 'private', 'sh',
                 '-c', _SSHD_IN_PRIVATE_RUN, self.root],
                stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True)
        deadline = time.monotonic() + 30
        while not _listening(self.port):
            if self.process.poll() is not None:
                with open(self.log) as log:
                    raise RuntimeError('sshd died: %s' % log.read())
            if time.monotonic() > deadline:
                raise RuntimeError('sshd not listening on %d' % self.port)
            time.sleep(0.1)

    def stop(self):
        if self.process:
            nsdaemons.end(self.process.pid)
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def _listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(('127.0.0.1', port)) == 0


class Hosts:
    """N namespace hosts sharing one set of controller keys."""

    def __init__(self, prefix, count, workdir):
        self.keys = Keys(os.path.join(workdir, 'controller-ssh'))
        self.hosts = [NamespaceHost('%s%d' % (prefix, index), index,
                                    workdir, self.keys)
                      for index in range(count)]

    def start(self):
        for host in self.hosts:
            host.start()
        return self.hosts

    def stop(self):
        for host in self.hosts:
            host.stop()
