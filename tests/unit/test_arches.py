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

"""aarch64 nodes: the cluster file, libvirt's guests, the engine, Ironic."""

import xml.etree.ElementTree as ET

import testtools

from tenks import conf as tenks_conf
from tenks import config
from tenks import exception
from tenks.ironic import fields
from tenks.providers import libvirt as libvirt_provider
from tenks.providers import libvirt_facts
from tests.unit import fakes


def arm_data(**extra):
    """small (x86_64 unless libvirt_vm_arch says) and arm, aarch64."""
    data = fakes.cluster_data()
    data['node_types']['arm'] = dict(data['node_types']['small'],
                                     arch='aarch64')
    data['specs'].append({'type': 'arm', 'count': 1,
                          'node_name_prefix': 'arm',
                          'ironic_config': {'resource_class': 'rc'}})
    data.update(extra)
    return data


class TestClusterFile(testtools.TestCase):

    def parse(self, data):
        return config.parse(data, tenks_conf.load(), source='c.yaml')

    def test_per_node_type_over_libvirt_vm_arch(self):
        types = self.parse(arm_data()).node_types
        self.assertEqual(('x86_64', 'aarch64'),
                         (types['small'].arch, types['arm'].arch))
        types = self.parse(arm_data(libvirt_vm_arch='aarch64')).node_types
        self.assertEqual(('aarch64', 'aarch64'),
                         (types['small'].arch, types['arm'].arch))

    def test_unknown_arch(self):
        data = arm_data()
        data['node_types']['arm']['arch'] = 'mips'
        err = self.assertRaises(exception.ConfigError, self.parse, data)
        self.assertEqual("c.yaml: node_types.arm.arch: 'mips' is not one of "
                         "x86_64, aarch64", str(err))

    def test_aarch64_has_no_bios(self):
        err = self.assertRaises(exception.ConfigError, self.parse,
                                arm_data(default_boot_mode='bios'))
        self.assertEqual(
            "c.yaml: specs[1].type: node type 'arm' is aarch64, whose nodes "
            "boot uefi only, not bios; set default_boot_mode or "
            "ironic_config's capabilities boot_mode", str(err))

    def test_recorded_and_enrolled_as_aarch64(self):
        cluster, state = fakes.scheduled(arm_data())
        arm = state.nodes['arm0']
        self.assertEqual(('aarch64', 'x86_64'),
                         (arm.arch, state.nodes['tk0'].arch))
        wanted = fields.node_fields(arm, cluster.ironic,
                                    fakes.CREDENTIALS, 'c0', {})
        self.assertEqual('aarch64', wanted['properties']['cpu_arch'])


class TestGuests(testtools.TestCase):

    def test_captured_capabilities(self):
        self.assertEqual({
            'armv6l': ('qemu',), 'armv7l': ('qemu',), 'aarch64': ('qemu',),
            'i686': ('qemu', 'kvm'), 'x86_64': ('qemu', 'kvm'),
        }, libvirt_facts.parse_guests(fakes.capabilities()))

    def test_firmware_of_captured_domcapabilities(self):
        for arch, machine in (('aarch64', 'virt'), ('x86_64', 'q35')):
            self.assertEqual(('efi',), libvirt_facts.parse_firmware(
                fakes.domain_capabilities(None, arch, machine, 'qemu')))
        self.assertEqual((), libvirt_facts.parse_firmware(
            fakes.domain_capabilities(None, 'aarch64', 'virt', 'qemu',
                                      firmware=False)))

    def test_without_qemu_system_arm(self):
        self.assertEqual(['i686', 'x86_64'], sorted(
            libvirt_facts.parse_guests(fakes.capabilities(
                without=('armv6l', 'armv7l', 'aarch64')))))


class FakeConnection:

    def __init__(self, capabilities, firmware=True):
        self.capabilities = capabilities
        self.firmware = firmware
        self.reads = 0
        self.asked = []

    def listAllDomains(self, flags=0):
        return []

    def getCapabilities(self):
        self.reads += 1
        return self.capabilities

    def getDomainCapabilities(self, *args):
        self.asked.append(args)
        return fakes.domain_capabilities(*args, firmware=self.firmware)


class TestDomains(testtools.TestCase):
    """The domain type and checks of each node, while planning."""

    def plan(self, engine='auto', detected='kvm', without=(), firmware=True,
             **extra):
        conn = FakeConnection(fakes.capabilities(without), firmware)
        self.conn = conn
        ctx = fakes.make_context(arm_data(libvirt_vm_engine=engine,
                                          **extra))
        ctx.hypervisors = fakes.FakeHypervisors(ctx.cluster, connection=conn)
        hypervisor = ctx.cluster.hypervisors[0]
        ctx.facts.cached(('engine', hypervisor.name), lambda: detected,
                         keep=True)
        actions = libvirt_provider.Domains().plan(ctx, hypervisor)
        self.assertEqual(1, conn.reads)
        return {action.name: ET.fromstring(action.want['xml'])
                for action in actions}

    def test_auto_emulates_aarch64_beside_kvm_x86_64(self):
        domains = self.plan()
        self.assertEqual(('kvm', None), (domains['tk0'].get('type'),
                                         domains['tk0'].find('cpu')))
        arm = domains['arm0']
        self.assertEqual('qemu', arm.get('type'))
        self.assertEqual(('aarch64', 'virt'),
                         (arm.find('os/type').get('arch'),
                          arm.find('os/type').get('machine')))
        self.assertEqual('maximum', arm.find('cpu').get('mode'))
        self.assertEqual('efi', arm.find('os').get('firmware'))
        # Each architecture's firmware asked for once, of its machine.
        self.assertEqual([(None, 'x86_64', 'q35', 'kvm', 0),
                          (None, 'aarch64', 'virt', 'qemu', 0)],
                         self.conn.asked)

    def test_uefi_firmware_libvirt_cannot_find(self):
        err = self.assertRaises(exception.FirmwareMissing, self.plan,
                                firmware=False)
        self.assertIn("finds no UEFI firmware for x86_64; install ovmf",
                      str(err))

    def test_given_firmware_files_are_not_looked_for(self):
        self.plan(firmware=False,
                  libvirt_vm_ovmf_efi_firmware_path='/f/CODE.fd',
                  libvirt_vm_ovmf_efi_variable_store_path='/f/VARS.fd')
        self.assertEqual([], self.conn.asked)

    def test_kvm_asked_for_is_not_replaced(self):
        err = self.assertRaises(exception.EngineUnsupported, self.plan,
                                engine='kvm')
        self.assertEqual(
            "Node type 'arm' is aarch64, which the libvirt of hypervisor "
            "localhost runs with qemu, not libvirt_vm_engine kvm.", str(err))

    def test_arch_libvirt_cannot_run(self):
        err = self.assertRaises(
            exception.ArchitectureUnsupported, self.plan,
            without=('armv6l', 'armv7l', 'aarch64'))
        self.assertEqual(
            "Node type 'arm' is aarch64, which the libvirt of hypervisor "
            "localhost cannot run (it runs i686, x86_64); install its QEMU "
            "there (tools/setup-host.sh) or choose another libvirt_vm_arch.",
            str(err))
