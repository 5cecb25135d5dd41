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

import xml.etree.ElementTree as ET

import testtools

from tenks import model
from tenks.providers import domain_xml
from tenks import records

UUID = '0d7f9c26-2a4b-4c3e-9a51-8f0e1b2c3d4e'


def node(**extra):
    data = {
        'name': 'tk0',
        'uuid': UUID,
        'spec': 'small/tk/1',
        'memory_mb': 1536,
        'vcpus': 3,
        'boot_mode': 'bios',
        'cpu_mode': None,
        'hypervisor': 'localhost',
        'volumes': [],
        'bmc': {'driver': 'ipmi', 'address': '127.0.0.1', 'port': 6230},
        'nics': [nic('52:54:00:aa:bb:01', 'tk0-0n', 0),
                 nic('52:54:00:aa:bb:02', 'tk0-1n', 1)],
    }
    data.update(extra)
    return records.Node.from_dict(data)


def nic(mac, veth_node, index):
    return {'physnet': 'physnet%d' % index, 'mac': mac,
            'bridge': 'brtenks%d' % index,
            'veth_bridge': veth_node[:-1] + 'b', 'veth_node': veth_node}


VOLUMES = ['/var/lib/libvirt/tenks_pool/tk0vol0',
           '/var/lib/libvirt/tenks_pool/tk0vol1']


class TestRoundTrip(testtools.TestCase):

    def facts(self, **kwargs):
        kwargs.setdefault('cluster_id', 'c0ffee00')
        return domain_xml.parse(domain_xml.render(
            kwargs.pop('node', node()), kwargs.pop('volumes', VOLUMES),
            kwargs.pop('engine', 'qemu'), **kwargs))

    def test_bios(self):
        self.assertEqual({
            'name': 'tk0',
            'uuid': UUID,
            'cluster': 'c0ffee00',
            'memory_mb': 1536,
            'vcpus': 3,
            'boot_mode': 'bios',
            'boot_devices': ['network', 'hd'],
            'nics': [('52:54:00:aa:bb:01', 'tk0-0n'),
                     ('52:54:00:aa:bb:02', 'tk0-1n')],
            'disks': VOLUMES,
            'media': [],
            'console_log': None,
            'arch': 'x86_64',
            'trust_rx_filters': [False, False],
        }, self.facts())

    def test_uefi(self):
        facts = self.facts(node=node(boot_mode='uefi'))
        self.assertEqual('uefi', facts['boot_mode'])
        self.assertEqual(['network', 'hd'], facts['boot_devices'])

    def test_console_log(self):
        facts = self.facts(console_log='/var/log/tenks/console/tk0.log')
        self.assertEqual('/var/log/tenks/console/tk0.log',
                         facts['console_log'])

    def test_no_volumes_no_nics(self):
        facts = self.facts(node=node(nics=[]), volumes=[])
        self.assertEqual(([], []), (facts['nics'], facts['disks']))

    def test_empty_cluster_mark(self):
        facts = domain_xml.parse(domain_xml.render(node(), [], 'qemu'))
        self.assertEqual('', facts['cluster'])


class TestRender(testtools.TestCase):

    def root(self, *args, **kwargs):
        return ET.fromstring(domain_xml.render(*args, **kwargs))

    def test_engine_type(self):
        self.assertEqual('qemu', self.root(node(), [], 'qemu').get('type'))
        self.assertEqual('kvm', self.root(node(), [], 'kvm').get('type'))

    def test_memory_unit(self):
        memory = self.root(node(), [], 'qemu').find('memory')
        self.assertEqual(('1536', 'MiB'), (memory.text, memory.get('unit')))

    def test_uefi_firmware(self):
        os_element = self.root(node(boot_mode='uefi'), [], 'qemu').find('os')
        self.assertEqual('efi', os_element.get('firmware'))
        feature = os_element.find('firmware/feature')
        self.assertEqual(('secure-boot', 'no'),
                         (feature.get('name'), feature.get('enabled')))

    def test_given_efi_firmware_and_vars(self):
        os_element = self.root(
            node(boot_mode='uefi'), [], 'qemu',
            efi=('/usr/share/OVMF/OVMF_CODE_4M.fd',
                 '/usr/share/OVMF/OVMF_VARS_4M.fd', 'raw')).find('os')
        self.assertIsNone(os_element.get('firmware'))
        loader = os_element.find('loader')
        self.assertEqual(('/usr/share/OVMF/OVMF_CODE_4M.fd', 'pflash'),
                         (loader.text, loader.get('type')))
        nvram = os_element.find('nvram')
        self.assertEqual(('/usr/share/OVMF/OVMF_VARS_4M.fd', 'raw'),
                         (nvram.get('template'),
                          nvram.get('templateFormat')))
        self.assertEqual('uefi', domain_xml.parse(ET.tostring(
            self.root(node(boot_mode='uefi'), [], 'qemu',
                      efi=('/a', '/b', 'raw')), 'unicode'))['boot_mode'])

    def test_trust_guest_rx_filters(self):
        root = self.root(node(), [], 'qemu', trust_rx_filters=True)
        self.assertEqual([True, True], domain_xml.parse(
            ET.tostring(root, 'unicode'))['trust_rx_filters'])
        self.assertEqual('yes', root.find('devices/interface').get(
            'trustGuestRxFilters'))

    def test_x86_64(self):
        root = self.root(node(), [], 'qemu')
        self.assertEqual(('x86_64', 'q35'),
                         (root.find('os/type').get('arch'),
                          root.find('os/type').get('machine')))
        self.assertEqual(['acpi', 'apic'],
                         [f.tag for f in root.find('features')])

    def test_aarch64_as_the_libvirt_vm_role_builds_it(self):
        root = self.root(node(arch='aarch64', boot_mode='uefi'), VOLUMES,
                         'qemu', console_log='/l/tk0.log')
        self.assertEqual(('aarch64', 'virt'),
                         (root.find('os/type').get('arch'),
                          root.find('os/type').get('machine')))
        # The GIC is libvirt's to add; x86's APIC does not exist there.
        self.assertEqual(['acpi'], [f.tag for f in root.find('features')])
        self.assertEqual('maximum', root.find('cpu').get('mode'))
        self.assertEqual('efi', root.find('os').get('firmware'))
        self.assertEqual(['virtio', 'virtio'],
                         [t.get('bus') for t in
                          root.findall('devices/disk/target')])
        self.assertEqual(['virtio', 'virtio'],
                         [m.get('type') for m in
                          root.findall('devices/interface/model')])
        # A serial port of no model: libvirt gives virt its pl011.
        serial = root.find('devices/serial/target')
        self.assertEqual({'port': '0'}, serial.attrib)
        self.assertEqual('aarch64', domain_xml.parse(ET.tostring(
            root, 'unicode'))['arch'])

    def test_aarch64_cpu_mode(self):
        arm = node(arch='aarch64', boot_mode='uefi')
        self.assertEqual('host-passthrough', self.root(
            arm, [], 'kvm').find('cpu').get('mode'))
        given = node(arch='aarch64', boot_mode='uefi', cpu_mode='custom')
        self.assertEqual('custom', self.root(
            given, [], 'qemu').find('cpu').get('mode'))

    def test_bios_has_no_firmware(self):
        os_element = self.root(node(), [], 'qemu').find('os')
        self.assertIsNone(os_element.get('firmware'))
        self.assertIsNone(os_element.find('firmware'))

    def test_mark(self):
        root = self.root(node(), [], 'qemu', cluster_id='abc')
        mark = root.find('metadata/{%s}node' % domain_xml.NAMESPACE)
        self.assertEqual(('abc', 'small/tk/1'),
                         (mark.get('cluster'), mark.get('spec')))

    def test_disk_targets(self):
        root = self.root(node(), VOLUMES, 'qemu')
        self.assertEqual(['vda', 'vdb'],
                         [t.get('dev') for t in
                          root.findall('devices/disk/target')])

    def test_nic_is_passthrough(self):
        root = self.root(node(), [], 'qemu')
        interface = root.find('devices/interface')
        self.assertEqual('direct', interface.get('type'))
        self.assertEqual('passthrough',
                         interface.find('source').get('mode'))

    def test_emulator_and_cpu_mode(self):
        root = self.root(node(cpu_mode='host-passthrough'), [], 'qemu',
                         emulator='/usr/bin/qemu-system-x86_64')
        self.assertEqual('/usr/bin/qemu-system-x86_64',
                         root.findtext('devices/emulator'))
        self.assertEqual('host-passthrough', root.find('cpu').get('mode'))
        plain = self.root(node(), [], 'qemu')
        self.assertIsNone(plain.find('devices/emulator'))
        self.assertIsNone(plain.find('cpu'))


class TestParseLibvirtOutput(testtools.TestCase):
    """parse() on XML as libvirt gives it back, not as Tenks wrote it."""

    XML = '''<domain type='kvm' id='3'>
  <name>other</name>
  <uuid>11111111-2222-4333-8444-555555555555</uuid>
  <memory unit='KiB'>2097152</memory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>
    <boot dev='hd'/>
  </os>
  <devices>
    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>
    <interface type='network'>
      <mac address='52:54:00:00:00:09'/>
      <source network='default'/>
    </interface>
    <serial type='pty'><target port='0'/></serial>
  </devices>
</domain>'''

    def test_foreign_domain(self):
        facts = domain_xml.parse(self.XML)
        self.assertEqual({
            'name': 'other',
            'uuid': '11111111-2222-4333-8444-555555555555',
            'cluster': None,
            'memory_mb': 2048,
            'vcpus': 2,
            'boot_mode': 'uefi',
            'boot_devices': ['hd'],
            'nics': [('52:54:00:00:00:09', None)],
            'disks': [],
            'media': [],
            'console_log': None,
            'arch': 'x86_64',
            'trust_rx_filters': [False],
        }, facts)


class TestSettings(testtools.TestCase):

    def settings(self, **given):
        return model.LibvirtSettings(engine='qemu', emulator=None,
                                     pool_name='p', pool_path='/p', **given)

    def test_console_log_in_the_role_directory(self):
        logged = node(console_log=True)
        self.assertEqual('/var/log/kolla/tenks/tk0-console.log',
                         domain_xml.console_log(self.settings(
                             console_log_dir='/var/log/kolla/tenks'),
                             '/var/log/tenks', logged))
        self.assertEqual('/var/log/tenks/console/tk0.log',
                         domain_xml.console_log(self.settings(),
                                                '/var/log/tenks', logged))
        self.assertIsNone(domain_xml.console_log(
            self.settings(), '/var/log/tenks', node(console_log=False)))

    def test_efi_files_need_both(self):
        self.assertIsNone(domain_xml.efi_files(self.settings(
            efi_loader='/a')))
        self.assertEqual(('/a', '/b', 'raw'), domain_xml.efi_files(
            self.settings(efi_loader='/a', efi_vars_template='/b')))
