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

"""An aarch64 node on this x86_64 host: built, enrolled, its firmware run."""

import os

from tenks import waits
from tests.functional import base
from tests.functional import test_ironic

# What AAVMF (ArmVirtQemu) prints on the serial port as it starts (OVMF
# does not), and as its boot manager starts PXE on the node's NIC, the
# first boot device. (Only when no DHCP server answers, a minute or more
# later under TCG, does it name the NIC's MAC.)
BANNER = 'UEFI firmware (version'
PXE_START = '>>Start PXE over IPv4.'
# Seconds for AAVMF to reach its boot manager under TCG on a busy host.
FIRMWARE_TIMEOUT = 120


class TestAarch64(test_ironic.IronicTestCase):

    def test_enrol_power_on_firmware_teardown(self):
        path = self.cluster(
            node_types={'arm': dict(test_ironic._node_type('physnet1'),
                                    console_log_enabled=True)},
            specs=[{'type': 'arm', 'count': 1,
                    'ironic_config': {'resource_class': 'rc_arm'}}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb'},
            libvirt_vm_arch='aarch64', default_boot_mode='uefi')
        self.tenks('deploy', path, timeout=300)
        node = list(self.state()['nodes'].values())[0]
        properties = self.baremetal('node', 'show',
                                    node['name'])['properties']
        self.assertEqual(('aarch64', 'boot_mode:uefi'),
                         (properties['cpu_arch'],
                          properties['capabilities']))
        self.assert_built_as_aarch64(node)
        nvram = self.assert_firmware_runs(node)
        self.tenks('teardown', path)
        self.assertEqual([], self.baremetal('node', 'list'))
        self.assertEqual([], self.leftovers())
        self.assertFalse(os.path.exists(nvram), nvram)

    def assert_built_as_aarch64(self, node):
        root = self.domain(node['name'])
        os_type = root.find('os/type')
        self.assertEqual(('qemu', 'aarch64'),
                         (root.get('type'), os_type.get('arch')))
        # libvirt names the machine by its version: virt-7.2.
        self.assertTrue(os_type.get('machine').startswith('virt'),
                        os_type.get('machine'))
        self.assertEqual('maximum', root.find('cpu').get('mode'))
        self.assertEqual('/usr/bin/qemu-system-aarch64',
                         root.findtext('devices/emulator'))
        self.assertEqual('pl011', root.find(
            'devices/serial/target/model').get('name'))

    def assert_firmware_runs(self, node):
        """Powered on through Ironic, AAVMF starts and tries the NIC."""
        console = self.domain(node['name']).find(
            'devices/serial/log').get('file')
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'power', 'on',
                  '--power-timeout', '120', node['name']])
        self.wait_domstate(node['name'], 'running', 60)
        running = self.domain(node['name'])
        self.assertIn('/usr/share/AAVMF/AAVMF_CODE',
                      running.findtext('os/loader'))
        # The inactive definition names no nvram: libvirt chose it at start.
        nvram = running.findtext('os/nvram')
        self.assertTrue(os.path.exists(nvram), nvram)
        wanted = (BANNER, PXE_START)

        def logged():
            with open(console, errors='replace') as stream:
                text = stream.read()
            return all(line in text for line in wanted)

        found = waits.until(logged, FIRMWARE_TIMEOUT, 0.5)
        if not found:
            with open(console, errors='replace') as stream:
                self.fail('%s not in the console log:\n%s' % (
                    wanted, stream.read()[-3000:]))
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'power', 'off',
                  '--power-timeout', '120', node['name']])
        self.wait_domstate(node['name'], 'shut off', 60)
        return nvram
