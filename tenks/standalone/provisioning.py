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

"""The provisioning network of the throwaway Ironic.

A network namespace of its own holding one end of a veth pair, with
dnsmasq (DHCP, TFTP, iPXE chain-loading to Ironic's boot.ipxe), an HTTP
server for Ironic's http_root (its image server) and a forwarder of
Ironic's API; a second HTTP server of http_root on the host's
loopback, where BMCs (sushy-tools) download virtual media from; and a
forwarder on loopback to the image server in the namespace, which
Ironic's environment names as its HTTP proxy (see conductor_env). The
veth's other end is a plain host device, named by the user, that a
cluster's physnet_mappings names: Tenks plugs it into the physnet bridge
like any interface, so the nodes see these servers and nothing else
does.

Everything made bears the work directory: the namespace name is derived
from it, the veth's host end and the namespace's loopback carry it as
their alias, and the daemons' PID files and command lines name it. Stop
removes only what bears that mark, also after a crash.
"""

import hashlib
import json
import pathlib
import re
import shutil
import subprocess
import sys
import urllib.parse

from tenks.standalone import exception
from tenks.standalone import loopback
from tenks.standalone import process

SERVER = '203.0.113.1'
PREFIX_LENGTH = 24
DHCP_RANGE = ('203.0.113.100', '203.0.113.199')
HTTP_PORT = 8080
NAMESPACE_PREFIX = 'tenks-prov-'
MARK = 'tenks-provisioning:'
# The namespace's end of the veth: the namespace is ours, so any name.
INNER_DEVICE = 'prov0'
IPXE_DIR = pathlib.Path('/usr/lib/ipxe')
# BIOS clients chain-load undionly.kpxe (on the NIC's own PXE stack),
# UEFI ones snponly.efi (on the firmware's network driver); ipxe.efi,
# with drivers of its own, for firmware without one.
BOOT_FILES = ('undionly.kpxe', 'snponly.efi', 'ipxe.efi')
# What the ramdisk calls back (tenks_callback=...): answered 200, and
# recorded in the HTTP server's log with its query.
CALLBACK_PATH = 'tenks-callback'
# What Ironic reaches directly: its own API, BMCs, agents (forwarded).
NO_PROXY = '127.0.0.1,localhost,::1'
_DEVICE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$')
_CALLBACK = re.compile(r'"GET /%s\?(\S*) HTTP' % CALLBACK_PATH)


def check_device(name):
    """Raise unless name can be a new network device's name."""
    if not _DEVICE.match(name or ''):
        raise exception.BadDeviceName(name=name)


def namespace_name(workdir):
    digest = hashlib.sha256(str(workdir).encode()).hexdigest()
    return NAMESPACE_PREFIX + digest[:10]


def dnsmasq_config(tftp_root, lease_file, pid_file, hosts_dir=None):
    """dnsmasq.conf: DHCP and TFTP on the namespace's device, no DNS.

    hosts_dir: where reserved addresses go, one file per MAC; dnsmasq
    reads new files there without a restart.
    """
    boot_ipxe = 'http://%s:%d/boot.ipxe' % (SERVER, HTTP_PORT)
    lines = [
        'port=0', 'interface=%s' % INNER_DEVICE, 'bind-interfaces',
        'dhcp-range=%s,%s,255.255.255.0,10m' % DHCP_RANGE,
        'dhcp-leasefile=%s' % lease_file, 'pid-file=%s' % pid_file,
        # Else it drops to a user that cannot enter the work directory.
        'user=root', 'log-dhcp', 'log-facility=-',
        'enable-tftp', 'tftp-root=%s' % tftp_root,
        # iPXE says who it is (user class, or its option 175): it gets
        # Ironic's script; firmware gets iPXE, by architecture
        # (option 93: 7 and 9 are x86-64 UEFI, else BIOS).
        'dhcp-userclass=set:ipxe,iPXE', 'dhcp-match=set:ipxe,175',
        'dhcp-match=set:efi,option:client-arch,7',
        'dhcp-match=set:efi,option:client-arch,9',
        'dhcp-boot=tag:ipxe,%s' % boot_ipxe,
        'dhcp-boot=tag:!ipxe,tag:efi,snponly.efi',
        'dhcp-boot=tag:!ipxe,tag:!efi,undionly.kpxe',
    ]
    if hosts_dir:
        lines.append('dhcp-hostsdir=%s' % hosts_dir)
    return '\n'.join(lines) + '\n'


def image_url():
    """Where the agents download what Ironic serves them: http_url."""
    return 'http://%s:%d' % (SERVER, HTTP_PORT)


def conductor_env(proxy_port, environ):
    """Ironic's environment: plain HTTP off loopback goes to proxy_port.

    Ironic's conductor checks with a HEAD each image URL it gives an agent
    ([deploy] http_url, on this network); from the host that address
    would route out of the default route's device, to whatever answers
    there. Through the forwarder it reaches this network's image server,
    and every other plain HTTP URL off loopback reaches only that server
    too, never the world.
    """
    proxy = loopback.endpoint(proxy_port)
    env = dict(environ)
    for name in ('http_proxy', 'no_proxy', 'https_proxy', 'all_proxy'):
        env.pop(name, None)
        env.pop(name.upper(), None)
    env.update(http_proxy=proxy, HTTP_PROXY=proxy,
               no_proxy=NO_PROXY, NO_PROXY=NO_PROXY)
    return env


def ironic_settings(api_port, media_port):
    """What ironic.conf needs for nodes on this network."""
    return {
        # The URL agents on the nodes are told to call Ironic at.
        'service_catalog': {
            'endpoint_override': 'http://%s:%d' % (SERVER, api_port)},
        'pxe': {'kernel_append_params': 'console=ttyS0 no_timer_check'},
        # Cleaning (when a node asks for it) erases metadata only: a full
        # shred of each disk takes minutes under TCG.
        'deploy': {'http_url': image_url(),
                   # Virtual media images: the BMC fetches them, from
                   # the host, where 203.0.113.1 is not reachable.
                   'external_http_url': loopback.endpoint(media_port),
                   'erase_devices_priority': '0'},
        # The conductor fetches an instance image (from a URL on the
        # host) and serves it to the agent from http_url; the agent
        # cannot reach the host's loopback.
        'agent': {'image_download_source': 'local'},
    }


def parse_callbacks(log_text):
    """[{'mac': ..., 'ip': ...}] of the ramdisk callbacks in the log."""
    return [dict(urllib.parse.parse_qsl(query))
            for query in _CALLBACK.findall(log_text)]


class ProvisioningNetwork:
    """A namespace, a veth to it and its servers, for one Ironic."""

    def __init__(self, workdir, device, http_root, tftp_root, api_port,
                 media_port=None, proxy_port=None):
        """media_port: of http_root on loopback; a free one by default.

        proxy_port: of the forwarder to the image server, on loopback.
        """
        check_device(device)
        self.workdir = pathlib.Path(workdir).absolute()
        self.device = device
        self.http_root = pathlib.Path(http_root)
        self.tftp_root = pathlib.Path(tftp_root)
        self.api_port = int(api_port)
        self.media_port = int(media_port or loopback.find_free_port())
        self.proxy_port = int(proxy_port or loopback.find_free_port())
        self.namespace = namespace_name(self.workdir)
        self.mark = MARK + str(self.workdir)

    @property
    def callback_url(self):
        return 'http://%s:%d/%s' % (SERVER, HTTP_PORT, CALLBACK_PATH)

    @property
    def state_file(self):
        return self.workdir / 'network.json'

    def _file(self, name):
        return self.workdir / name

    def _daemons(self):
        """(name, argv, text its command line holds) of each server."""
        inside = ['ip', 'netns', 'exec', self.namespace]
        conf = self._file('dnsmasq.conf')
        return [
            ('dnsmasq', inside + [
                shutil.which('dnsmasq') or 'dnsmasq', '--keep-in-foreground',
                '--conf-file=%s' % conf], str(conf)),
            ('http', inside + [
                sys.executable, '-u', '-m', 'tenks.standalone.serve_http',
                '--bind', SERVER,
                '--directory', str(self.http_root), str(HTTP_PORT)],
             str(self.http_root)),
            ('media', [
                sys.executable, '-u', '-m', 'http.server', '--bind',
                loopback.HOST, '--directory', str(self.http_root),
                str(self.media_port)], str(self.http_root)),
            ('forward', [
                sys.executable, '-m', 'tenks.standalone.forward',
                self.namespace, SERVER, str(self.api_port), '127.0.0.1'],
             self.namespace),
            ('proxy', self._into(self.proxy_port, SERVER, HTTP_PORT),
             self.namespace),
        ]

    def check(self):
        """Sweep what a crashed start left; raise if the names are taken."""
        self.stop()
        if _link_exists(self.device):
            raise exception.DeviceNotOurs(device=self.device,
                                          workdir=self.workdir)
        if self.namespace in _namespaces():
            raise exception.NamespaceNotOurs(namespace=self.namespace)

    def start(self, timeout=30):
        """Make the namespace and veth, start the servers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.check()
        # For a later stop or status, which is given only the workdir.
        self.state_file.write_text(json.dumps(
            {'device': self.device, 'namespace': self.namespace,
             'media_port': self.media_port,
             'proxy_port': self.proxy_port}) + '\n')
        try:
            self._wire()
            self._boot_files()
            for name, argv, _ in self._daemons():
                proc = process.spawn(argv, self._file(name + '.log'),
                                     self.workdir)
                self._file(name + '.pid').write_text('%d\n' % proc.pid)
            if not process.wait_until(self._serving, timeout):
                raise exception.ServersDidNotStart(namespace=self.namespace,
                                                   workdir=self.workdir)
        except Exception:
            self.stop()
            raise

    def _wire(self):
        ns = ['ip', '-n', self.namespace]
        steps = [
            ['ip', 'netns', 'add', self.namespace],
            ns + ['link', 'set', 'lo', 'alias', self.mark],
            ns + ['link', 'set', 'lo', 'up'],
            ['ip', 'link', 'add', self.device, 'type', 'veth', 'peer',
             'name', INNER_DEVICE, 'netns', self.namespace],
            ['ip', 'link', 'set', self.device, 'alias', self.mark],
            ['ip', 'link', 'set', self.device, 'up'],
            ns + ['addr', 'add', '%s/%d' % (SERVER, PREFIX_LENGTH), 'dev',
                  INNER_DEVICE],
            ns + ['link', 'set', INNER_DEVICE, 'up'],
        ]
        for step in steps:
            process.run(step, ' '.join(step))

    def _boot_files(self):
        self.tftp_root.mkdir(parents=True, exist_ok=True)
        self.http_root.mkdir(parents=True, exist_ok=True)
        for name in BOOT_FILES:
            source = IPXE_DIR / name
            if not source.exists():
                raise exception.PackageMissing(
                    missing=source, package='ipxe',
                    needed_for='iPXE for the nodes that boot over TFTP')
            shutil.copyfile(source, self.tftp_root / name)
        (self.http_root / CALLBACK_PATH).write_text('ok\n')
        self._file('dhcp-hosts').mkdir(exist_ok=True)
        self._file('dnsmasq.conf').write_text(dnsmasq_config(
            self.tftp_root, self._file('dnsmasq.leases'),
            self._file('dnsmasq.pid'), self._file('dhcp-hosts')))

    def reach_agent(self, mac, address, port):
        """Let Ironic reach the agent of the node with mac; its settings.

        The node gets address from DHCP; 127.0.0.1:port here forwards to
        address:port there. The agent listens on port and tells Ironic to
        call it at 127.0.0.1:port: the kernel parameters returned say so.
        """
        name = mac.replace(':', '')
        (self._file('dhcp-hosts') / name).write_text(
            '%s,%s\n' % (mac, address))
        proc = process.spawn(self._agent_forward(port, address),
                             self._file('agent-%s.log' % name), self.workdir)
        self._file('agent-%s.pid' % name).write_text('%d\n' % proc.pid)
        return ('ipa-listen-port=%d ipa-advertise-host=127.0.0.1 '
                'ipa-advertise-port=%d' % (port, port))

    def _agent_forward(self, port, address):
        return self._into(port, address, port)

    def _into(self, port, address, target_port):
        return [sys.executable, '-m', 'tenks.standalone.forward', '--into',
                self.namespace, loopback.HOST, str(port), address,
                str(target_port)]

    def _agent_forwarders(self):
        return sorted(self.workdir.glob('agent-*.pid'))

    def _serving(self):
        return all(self._pid(name, marker) for name, _, marker
                   in self._daemons()) and self._listening()

    def _listening(self):
        found = subprocess.run(
            ['ip', 'netns', 'exec', self.namespace, 'ss', '-Hltnu'],
            capture_output=True, text=True).stdout
        return all(loopback.port_in_use(port) for port in (
            self.media_port, self.proxy_port)) and all(
            ':%d ' % port in found
            for port in (67, 69, HTTP_PORT, self.api_port))

    def _pid(self, name, marker):
        pid = process.recorded_pid(self._file(name + '.pid'))
        if pid and marker in ' '.join(process.cmdline(pid)):
            return pid
        return None

    def stop(self, timeout=10):
        """Stop our servers, remove our namespace and veth; whether any."""
        found = False
        for name, _, marker in self._daemons():
            pid = self._pid(name, marker)
            if pid:
                process.terminate(pid, timeout)
                found = True
            self._file(name + '.pid').unlink(missing_ok=True)
        for pid_file in self._agent_forwarders():
            pid = process.recorded_pid(pid_file)
            if pid and self.namespace in ' '.join(process.cmdline(pid)):
                process.terminate(pid, timeout)
                found = True
            pid_file.unlink()
        if self.namespace in _namespaces() and self._ours(
                ['ip', '-n', self.namespace], 'lo'):
            process.run(['ip', 'netns', 'del', self.namespace],
                        'ip netns del %s' % self.namespace)
            # The kernel destroys the namespace, and the veth with it, in
            # the background: wait, so that a new start finds the name free.
            process.wait_until(lambda: not _link_exists(self.device), 10)
            found = True
        # Gone with the namespace, unless that was removed by hand.
        if self._ours(['ip'], self.device):
            subprocess.run(['ip', 'link', 'del', self.device],
                           capture_output=True)
            if _link_exists(self.device):
                raise exception.DeviceNotRemoved(device=self.device)
            found = True
        return found

    def _ours(self, ip, device):
        result = subprocess.run(ip + ['-j', 'link', 'show', 'dev', device],
                                capture_output=True, text=True)
        if result.returncode:
            return False
        return json.loads(result.stdout)[0].get('ifalias') == self.mark

    def callbacks(self):
        """The ramdisk callbacks the HTTP server has answered."""
        try:
            return parse_callbacks(self._file('http.log').read_text(
                errors='replace'))
        except FileNotFoundError:
            return []

    def status(self):
        return {'provisioning_device': self.device,
                'provisioning_namespace': self.namespace,
                'provisioning_serving': self._serving(),
                'callback_url': self.callback_url,
                'media_url': loopback.endpoint(self.media_port),
                'image_proxy': loopback.endpoint(self.proxy_port)}


def recorded(workdir):
    """(device, media port, proxy port) a previous start made, or None."""
    try:
        state = json.loads(
            (pathlib.Path(workdir) / 'network.json').read_text())
    except FileNotFoundError:
        return None
    # A network started before the media server had no port of its own.
    return state['device'], state.get('media_port'), state.get('proxy_port')


def _link_exists(device):
    return subprocess.run(['ip', 'link', 'show', 'dev', device],
                          capture_output=True).returncode == 0


def _namespaces():
    result = subprocess.run(['ip', '-j', 'netns', 'list'],
                            capture_output=True, text=True)
    return {ns['name'] for ns in json.loads(result.stdout or '[]')}
