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

"""The provisioning network's pure parts: names, files, settings, log.

The network itself (namespace, veth, dnsmasq, HTTP, the API forwarder)
is tested in tests.functional.test_provisioning, booting real nodes.
"""

import asyncio
import json
import pathlib
import socket

import fixtures
import testtools

from tenks.artefacts import build
from tenks.standalone import cli
from tenks.standalone import exception
from tenks.standalone import forward
from tenks.standalone import ironic
from tenks.standalone import provisioning


class TestNames(testtools.TestCase):

    def test_device_names(self):
        for good in ('p', 'tenks-prov0', 'a' * 15, 'eth0.1_x'):
            provisioning.check_device(good)
        for bad in ('', None, 'a' * 16, '-x', 'a b', 'a/b', 'a:b', 'é'):
            self.assertRaises(exception.StandaloneIronicError,
                              provisioning.check_device, bad)

    def test_namespace_is_the_workdir_s(self):
        one = provisioning.namespace_name('/tmp/one')
        self.assertEqual(one, provisioning.namespace_name('/tmp/one'))
        self.assertNotEqual(one, provisioning.namespace_name('/tmp/two'))
        self.assertTrue(one.startswith('tenks-prov-'))

    def test_marked_with_the_workdir(self):
        network = provisioning.ProvisioningNetwork(
            'rel/dir', 'tkp0', '/h', '/t', 6385)
        self.assertEqual('tenks-provisioning:%s' % pathlib.Path(
            'rel/dir').absolute(), network.mark)


class TestDnsmasqConfig(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.lines = provisioning.dnsmasq_config(
            '/w/tftpboot', '/w/p/leases', '/w/p/pid').splitlines()

    def test_dhcp_and_tftp_on_the_namespace_device_only(self):
        for line in ('port=0', 'interface=prov0', 'bind-interfaces',
                     'dhcp-range=203.0.113.100,203.0.113.199,'
                     '255.255.255.0,10m', 'enable-tftp',
                     'tftp-root=/w/tftpboot', 'dhcp-leasefile=/w/p/leases',
                     'pid-file=/w/p/pid'):
            self.assertIn(line, self.lines)

    def test_ipxe_chain_loads_by_client(self):
        self.assertEqual([
            'dhcp-boot=tag:ipxe,http://203.0.113.1:8080/boot.ipxe',
            'dhcp-boot=tag:!ipxe,tag:efi,snponly.efi',
            'dhcp-boot=tag:!ipxe,tag:!efi,undionly.kpxe'],
            [line for line in self.lines if line.startswith('dhcp-boot')])
        self.assertIn('dhcp-userclass=set:ipxe,iPXE', self.lines)
        self.assertIn('dhcp-match=set:efi,option:client-arch,7', self.lines)
        self.assertIn('dhcp-match=set:efi,option:client-arch,9', self.lines)

    def test_reserved_addresses_from_a_directory(self):
        self.assertFalse([line for line in self.lines
                          if line.startswith('dhcp-hostsdir')])
        lines = provisioning.dnsmasq_config(
            '/w/t', '/w/l', '/w/p', '/w/p/dhcp-hosts').splitlines()
        self.assertIn('dhcp-hostsdir=/w/p/dhcp-hosts', lines)


class TestCallbacks(testtools.TestCase):

    def test_parsed_from_the_http_log(self):
        log = (
            '203.0.113.100 - - [01/Dec/2026 11:00:00] "GET /boot.ipxe '
            'HTTP/1.1" 200 -\n'
            '203.0.113.100 - - [01/Dec/2026 11:00:09] "GET /tenks-callback'
            '?mac=52:54:00:aa:bb:cc&ip=203.0.113.100 HTTP/1.1" 200 -\n'
            '203.0.113.1 - - [01/Dec/2026 11:00:09] "GET /tenks-callbackx'
            '?mac=00:00:00:00:00:00 HTTP/1.1" 404 -\n')
        self.assertEqual([{'mac': '52:54:00:aa:bb:cc',
                           'ip': '203.0.113.100'}],
                         provisioning.parse_callbacks(log))


class TestIronicOnTheNetwork(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.workdir = pathlib.Path(self.useFixture(fixtures.TempDir()).path)

    def test_config(self):
        conf = ironic.StandaloneIronic(self.workdir, 16385,
                                       provisioning_device='tkp0',
                                       media_port=16386).ironic_config()
        self.assertEqual('http://203.0.113.1:8080',
                         conf['deploy']['http_url'])
        # The BMC fetches virtual media from the host's loopback.
        self.assertEqual('http://127.0.0.1:16386',
                         conf['deploy']['external_http_url'])
        self.assertEqual(str(self.workdir / 'httpboot'),
                         conf['deploy']['http_root'])
        self.assertEqual('0', conf['deploy']['erase_devices_priority'])
        self.assertEqual('http://203.0.113.1:16385',
                         conf['service_catalog']['endpoint_override'])
        self.assertEqual({'tftp_root': str(self.workdir / 'tftpboot'),
                          'kernel_append_params':
                              'console=ttyS0 no_timer_check'},
                         conf['pxe'])
        # Ironic itself stays on loopback; the forwarder brings it in.
        self.assertEqual('127.0.0.1', conf['api']['host_ip'])
        for interface in ('pxe', 'ipxe', 'redfish-virtual-media'):
            self.assertIn(interface, conf['DEFAULT'][
                'enabled_boot_interfaces'].split(','))
        for interface in ('ramdisk', 'direct'):
            self.assertIn(interface, conf['DEFAULT'][
                'enabled_deploy_interfaces'].split(','))

    def test_without_it(self):
        service = ironic.StandaloneIronic(self.workdir, 16385)
        self.assertIsNone(service.provisioning)
        self.assertNotIn('service_catalog', service.ironic_config())

    def test_stop_finds_the_recorded_device(self):
        (self.workdir / 'provisioning').mkdir()
        (self.workdir / 'provisioning' / 'network.json').write_text(
            json.dumps({'device': 'tkp9', 'namespace': 'x',
                        'media_port': 16390}))
        found = cli._service(cli.parse_args(
            ['stop', '--workdir', str(self.workdir)]))
        self.assertEqual('tkp9', found.provisioning.device)
        self.assertEqual(16390, found.provisioning.media_port)

    def test_a_network_recorded_before_the_media_server(self):
        (self.workdir / 'provisioning').mkdir()
        (self.workdir / 'provisioning' / 'network.json').write_text(
            json.dumps({'device': 'tkp9', 'namespace': 'x'}))
        found = cli._service(cli.parse_args(
            ['status', '--workdir', str(self.workdir)]))
        self.assertEqual('tkp9', found.provisioning.device)

    def test_iso_building_with_the_boot_artefacts(self):
        artefacts = build.Artefacts(
            key='k', directory='/c/k', kernel='/c/k/vmlinuz',
            initramfs='/c/k/initramfs.img', iso='/c/k/tenks-ramdisk.iso',
            esp='/c/k/esp.img', isolinux='/c/k/isolinux.bin',
            ldlinux='/c/k/ldlinux.c32', sizes={}, cached=True, seconds=0)
        conf = ironic.StandaloneIronic(
            self.workdir, 16385, boot_artefacts=artefacts).ironic_config()
        self.assertEqual(
            ('/c/k/esp.img', 'EFI/BOOT/grub.cfg', '/c/k/isolinux.bin',
             '/c/k/ldlinux.c32'),
            tuple(conf['DEFAULT'][option] for option in (
                'esp_image', 'grub_config_path', 'isolinux_bin',
                'ldlinux_c32')))
        self.assertIn('/c/k', conf['conductor'][
            'file_url_allowed_paths'].split(','))
        # Laid over the rest, not instead of it.
        self.assertEqual('noauth', conf['DEFAULT']['auth_strategy'])

    def test_bad_device_is_one_line_error(self):
        self.assertEqual(1, cli.main([
            'start', '--workdir', str(self.workdir),
            '--provisioning-network', 'no such device']))
        self.assertEqual([], list(self.workdir.iterdir()))


class TestForward(testtools.TestCase):
    """The forwarder's piping, on loopback (no namespace needed)."""

    def test_both_ways_and_the_half_close(self):
        async def scenario():
            async def upstream(reader, writer):
                # Answers only once the client has finished sending.
                data = await reader.read()
                writer.write(data.upper() * 100000)
                await writer.drain()
                writer.close()

            target = await asyncio.start_server(upstream, '127.0.0.1', 0)
            port = target.sockets[0].getsockname()[1]
            listener = socket.create_server(('127.0.0.1', 0))
            served = asyncio.ensure_future(
                forward._serve(listener, '127.0.0.1', port))
            reader, writer = await asyncio.open_connection(
                sock=socket.create_connection(listener.getsockname()))
            writer.write(b'ab')
            writer.write_eof()
            answer = await asyncio.wait_for(reader.read(), 10)
            writer.close()
            served.cancel()
            target.close()
            return answer

        self.assertEqual(b'AB' * 100000, asyncio.run(scenario()))
