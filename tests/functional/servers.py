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

"""A user's provisioning server, in a network namespace a test makes.

dnsmasq answers DHCP and TFTP and a Python HTTP server serves HTTP, each
a file of random bytes, at 203.0.113.1 in the namespace, reached through
the kind of physnet source device asked for, or by a QEMU tap inside the
namespace. The HTTP server also answers the boot artefacts' ramdisk
callback (at the path the throwaway Ironic's provisioning network has),
and logs it. Everything is the test's own and goes when the test ends,
whatever happens.
"""

import hashlib
import os
import re
import subprocess
import sys
import time

from tenks.standalone import provisioning
from tests.functional import base

# Where the throwaway Ironic's network serves: the boot artefacts' ISO has
# its callback URL built in, and both answer it.
ADDRESS = provisioning.SERVER
CLIENT_ADDRESS = '203.0.113.2'
HTTP_PORT = provisioning.HTTP_PORT
CALLBACK = 'http://%s:%d/%s' % (ADDRESS, HTTP_PORT,
                                provisioning.CALLBACK_PATH)
# The client's address as the server saw it, and what the ramdisk said.
_CALLBACK = re.compile(r'^(\S+) .*"GET /%s\?mac=([0-9a-f:]+)&ip=(\S+) '
                       r'HTTP/1\.[01]" 200' % provisioning.CALLBACK_PATH,
                       re.M)
# The namespace's bridge and QEMU's tap on it, for kind 'tap'.
TAP_BRIDGE, TAP = 'tkbr', 'tktap'

# What a node fetches: a ramdisk of tens of MB over HTTP (TCP), a boot
# loader of about a MB over TFTP (UDP).
FILES = {'http': ('big', 30 * 1024 * 1024), 'tftp': ('small', 1024 * 1024)}


class Server:
    """dnsmasq and an HTTP server behind a source device of kind.

    kind: interface (a veth whose peer is in the namespace: the source
    device is the host's end), linuxbridge (that veth on a Linux bridge
    the test made) or openvswitch (an internal port of an Open vSwitch
    netdev bridge the test made, moved into the namespace: how a local
    stack joins a userspace bridge; a veth there would hand the bridge
    partial checksums, which no bridge downstream can repair). Or tap:
    no source device, a Linux bridge inside the namespace holds the
    address and a tap (TAP) for a QEMU the test runs there.

    test gives source_prefix and node_prefix (base.TenksTestCase's),
    workdir and addCleanup.
    """

    def __init__(self, test, kind, bridge=None):
        """bridge: an existing bridge of the test's to join, of kind."""
        self.test = test
        self.prefix = test.source_prefix + 'sv'
        self.netns = self.prefix + '-' + test.node_prefix.rstrip('-')
        self.dir = os.path.join(test.workdir, 'server')
        os.makedirs(self.dir)
        self._namespace(self.netns)
        self.source = None
        if kind == 'tap':
            self.interface = self._tap()
        else:
            self.interface = self._plug(kind, bridge)
        self.ns(['ip', 'addr', 'add', ADDRESS + '/24', 'dev',
                 self.interface])
        self.ns(['ip', 'link', 'set', self.interface, 'up'])
        self.ns(['ip', 'link', 'set', 'lo', 'up'])
        self.root = os.path.join(self.dir, 'www')
        self.digests = self._files()
        self.spawn([
            sys.executable, '-u', '-m', 'http.server', '-b', ADDRESS, '-d',
            self.root, str(HTTP_PORT)], 'http.log')
        self.leases = os.path.join(self.dir, 'leases')
        self.dnsmasq = None
        self.start_dhcp()

    def _tap(self):
        for argv in (['ip', 'link', 'add', TAP_BRIDGE, 'type', 'bridge'],
                     ['ip', 'tuntap', 'add', TAP, 'mode', 'tap'],
                     ['ip', 'link', 'set', TAP, 'master', TAP_BRIDGE, 'up']):
            self.ns(argv)
        return TAP_BRIDGE

    def _plug(self, kind, bridge):
        """The namespace's device, behind a new source device of kind."""
        inside = self.prefix + 'i'
        if kind == 'openvswitch':
            self.source = bridge or self.prefix + 'ov'
            if not bridge:
                self.test.ovs_bridge(self.source)
            base.run(['ovs-vsctl', 'add-port', self.source, inside, '--',
                      'set', 'Interface', inside, 'type=internal'])
            base.run(['ip', 'link', 'set', self.source, 'up'])
        else:
            self.source = self._veth(self.prefix + 'h', inside)
            if kind == 'linuxbridge':
                if not bridge:
                    bridge = self.prefix + 'lb'
                    self.test.linux_bridge(bridge)
                base.run(['ip', 'link', 'set', self.source, 'master',
                          bridge])
                self.source = bridge
        base.run(['ip', 'link', 'set', inside, 'netns', self.netns])
        return inside

    def ns(self, argv, netns=None, **kwargs):
        return base.run(['ip', 'netns', 'exec', netns or self.netns] + argv,
                        **kwargs)

    def _namespace(self, name):
        base.run(['ip', 'netns', 'add', name])
        self.test.addCleanup(base.run, ['ip', 'netns', 'del', name],
                             check=False)

    def _veth(self, host_end, other_end):
        base.run(['ip', 'link', 'add', host_end, 'type', 'veth', 'peer',
                  'name', other_end])
        self.test.addCleanup(base.run, ['ip', 'link', 'del', host_end],
                             check=False)
        base.run(['ip', 'link', 'set', host_end, 'up'])
        return host_end

    def spawn(self, argv, log):
        """Start argv in the namespace; stop it, by PID, at cleanup."""
        with open(os.path.join(self.dir, log), 'ab') as stream:
            # ip netns exec execs argv, so this PID is argv's own.
            process = subprocess.Popen(
                ['ip', 'netns', 'exec', self.netns] + argv, stdout=stream,
                stderr=subprocess.STDOUT)
        self.test.addCleanup(base.stop, process)
        return process

    def _files(self):
        """{protocol: SHA-256} of the files served, once written."""
        os.makedirs(self.root)
        digests = {}
        for protocol, (name, size) in FILES.items():
            data = os.urandom(size)
            with open(os.path.join(self.root, name), 'wb') as stream:
                stream.write(data)
            digests[protocol] = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.root, provisioning.CALLBACK_PATH),
                  'w') as stream:
            stream.write('ok\n')
        return digests

    def start_dhcp(self):
        """dnsmasq on the namespace's interface only: DHCP and TFTP."""
        self.dnsmasq = self.spawn([
            'dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0',
            '--interface=' + self.interface, '--bind-interfaces',
            '--enable-tftp', '--tftp-root=' + self.root,
            '--dhcp-range=203.0.113.100,203.0.113.150,255.255.255.0,10m',
            '--dhcp-leasefile=' + self.leases, '--log-dhcp',
            # Else it drops to a user that cannot enter the workdir.
            '--user=root', '--dhcp-authoritative'], 'dnsmasq.log')
        self._wait_serving()

    def _wait_serving(self, timeout=30):
        deadline = time.monotonic() + timeout
        while not self.serving():
            if time.monotonic() > deadline:
                self.test.fail('dnsmasq and the HTTP server in %s are not '
                               'listening after %d s:\n%s' % (
                                   self.netns, timeout, self.log()))
            time.sleep(0.2)

    def stop_dhcp(self):
        base.stop(self.dnsmasq)

    def log(self, name='dnsmasq.log'):
        try:
            with open(os.path.join(self.dir, name),
                      errors='replace') as stream:
                return stream.read()
        except FileNotFoundError:
            return ''

    def serving(self):
        """Whether dnsmasq and the HTTP server listen in the namespace."""
        found = self.ns(['ss', '-Hltnu']).stdout
        return all(':%d ' % port in found for port in (67, HTTP_PORT))

    def callbacks(self):
        """(source address, mac, ip) of each ramdisk callback answered."""
        return _CALLBACK.findall(self.log('http.log'))

    def wait_for_callback(self, mac, timeout, alive=None):
        """The callback of mac, once it came; fail once alive() is false."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [call for call in self.callbacks() if call[1] == mac]
            if found:
                return found[0]
            if alive and not alive():
                self.test.fail('%s stopped before its callback' % mac)
            time.sleep(1)
        self.test.fail('no callback from %s within %d s' % (mac, timeout))

    def wait_for_ack(self, mac, timeout=180):
        """dnsmasq's log line acknowledging mac, once it has one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            acks = [line for line in self.log().splitlines()
                    if 'DHCPACK' in line and mac in line]
            if acks:
                return acks[0]
            time.sleep(0.5)
        self.test.fail('dnsmasq acknowledged no lease for %s in %d s:\n%s'
                       % (mac, timeout, self.log()[-3000:]))

    def download_from(self, veth_node):
        """{protocol: SHA-256} of the files fetched through a veth end.

        The client is a namespace on a macvlan in passthru mode on the
        node's veth end: a node's NIC is a macvtap in passthru mode on
        that end, and macvtap is macvlan with a tap for QEMU, so the
        client's frames take the node's path through the veth and the
        bridge, checksums left to the device as a guest's virtio NIC
        leaves them. Only while the node is off: passthru takes one.
        """
        netns = self.netns + 'c'
        self._namespace(netns)
        device = self.prefix + 'c'
        base.run(['ip', 'link', 'add', 'link', veth_node, 'name', device,
                  'type', 'macvlan', 'mode', 'passthru'])
        base.run(['ip', 'link', 'set', device, 'netns', netns])
        self.ns(['ip', 'addr', 'add', CLIENT_ADDRESS + '/24', 'dev',
                 device], netns)
        self.ns(['ip', 'link', 'set', device, 'up'], netns)
        urls = {'http': 'http://%s:%d/%s' % (ADDRESS, HTTP_PORT,
                                             FILES['http'][0]),
                'tftp': 'tftp://%s/%s' % (ADDRESS, FILES['tftp'][0])}
        digests = {protocol: self._fetch(netns, url)
                   for protocol, url in urls.items()}
        # Passthru takes the end for one: the node's macvtap needs it back.
        self.ns(['ip', 'link', 'del', device], netns)
        return digests

    def _fetch(self, netns, url):
        path = os.path.join(self.dir, 'downloaded')
        self.ns(['curl', '-sS', '--retry', '5', '--retry-connrefused',
                 '--retry-delay', '1', '--connect-timeout', '5', '-m', '60',
                 '--tftp-blksize', '1428', '-o', path, url], netns)
        with open(path, 'rb') as stream:
            digest = hashlib.sha256(stream.read()).hexdigest()
        os.unlink(path)
        return digest
