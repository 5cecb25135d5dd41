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

"""Redfish nodes booted by Ironic over virtual media, BIOS and UEFI.

Ironic's redfish-virtual-media boot interface with the ramdisk deploy
interface publishes an ISO from its http_root (the boot artefacts' own,
or one Ironic builds of their kernel and ramdisk with their EFI system
partition and isolinux); the node's sushy-tools downloads it from the
loopback server of that http_root, uploads it into the cluster's pool
and attaches it as a CD-ROM. The booted ramdisk takes its lease from,
and calls back to, the throwaway Ironic's provisioning network, on a
Linux bridge and on an Open vSwitch bridge of the userspace datapath.
One Ironic, with that network and those artefacts, per class.
"""

import os
import time
import xml.etree.ElementTree as ET

import testtools

from tests.functional import base
from tests.functional import test_boot_artefacts
from tests.functional import test_ironic


class VirtualMediaTestCase(test_ironic.IronicTestCase):
    """A class's Ironic builds ISOs; its nodes boot on its network."""

    with_provisioning = True
    # Of the cluster's physnet bridge, and anything else it needs.
    fabric = {'bridge_type': 'linuxbridge'}

    @classmethod
    def make_ironic(cls, keystone):
        cls.artefacts = test_boot_artefacts.artefacts()
        service = super().make_ironic(keystone)
        service.boot_artefacts = cls.artefacts
        return service

    def prebuilt_iso(self, boot_mode):
        """The boot artefacts' ISO as instance_info/boot_iso."""
        self.deploy_and_undeploy(boot_mode,
                                 boot_iso='file://' + self.artefacts.iso)

    def iso_built_by_ironic(self, boot_mode):
        """Ironic's own ISO of kernel and ramdisk, callback appended."""
        self.deploy_and_undeploy(
            boot_mode, kernel='file://' + self.artefacts.kernel,
            ramdisk='file://' + self.artefacts.initramfs,
            ramdisk_kernel_arguments='console=ttyS0 no_timer_check '
            'tenks_callback=' + self.ironic.provisioning.callback_url)

    def redfish_node(self, boot_mode):
        """A Redfish node for virtual media and ramdisk, available."""
        self.redfish_port = base._tcp_free_port()
        node_type = dict(test_ironic._node_type('physnet1'),
                         ironic_driver='redfish', console_log_enabled=True)
        path = self.cluster(
            node_types={'rf': node_type},
            specs=[{'type': 'rf', 'count': 1, 'ironic_config': {
                'resource_class': 'rc',
                'boot_interface': 'redfish-virtual-media',
                'deploy_interface': 'ramdisk'}}],
            physnet_mappings={
                'physnet1': self.ironic.provisioning.device},
            default_boot_mode=boot_mode, redfish_port=self.redfish_port,
            ironic_target_state='available', **self.fabric)
        self.tenks('deploy', path, timeout=300)
        node = list(self.state()['nodes'].values())[0]
        self.addOnException(lambda _: self.attach_console(node['name']))
        return path, node

    def deploy_and_undeploy(self, boot_mode, **instance_info):
        path, node = self.redfish_node(boot_mode)
        name = node['name']
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'set', name]
                 + ['--instance-info=%s=%s' % item
                    for item in sorted(instance_info.items())])
        started = time.monotonic()
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'deploy', name])
        self.wait_provision(name, 'active', 300)
        self.addDetail('seconds to active', testtools.content.text_content(
            '%.0f' % (time.monotonic() - started)))
        self.assert_booted_from_media(node, boot_mode)
        self.assert_called_back(node)
        self.addDetail('seconds to callback', testtools.content
                       .text_content('%.0f' % (time.monotonic() - started)))
        base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'undeploy',
                  name])
        self.wait_provision(name, 'available', 300)
        self.wait_domstate(name, 'shut off', 60)
        shown = self.baremetal('node', 'show', name)
        self.assertEqual('power off', shown['power_state'])
        self.assertIsNone(shown['last_error'])
        self.assertEqual([], self.media(name))
        self.assertEqual([], self.uploads(node['uuid']))
        self.tenks('teardown', path)
        self.assertEqual([], self.leftovers())

    def assert_booted_from_media(self, node, boot_mode):
        media = self.media(node['name'])
        self.assertEqual(1, len(media), media)
        pool = os.path.join(self.workdir, 'pool')
        self.assertEqual(pool, os.path.dirname(media[0]))
        self.assertEqual([os.path.basename(media[0])],
                         self.uploads(node['uuid']))
        self.wait_for_console(node['name'], 'TENKS-RAMDISK: booted', 240)
        # The firmware of that mode booted it: Linux says so early on.
        efi = 'efi: EFI v' in self.console(node['name'])
        self.assertEqual(boot_mode == 'uefi', efi, boot_mode)

    def assert_called_back(self, node):
        mac = node['nics'][0]['mac']
        network = self.ironic.provisioning
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = [call for call in network.callbacks()
                     if call.get('mac') == mac]
            if found:
                break
            time.sleep(1)
        else:
            self.fail('%s: no callback from %s' % (node['name'], mac))
        address = found[0]['ip']
        leases = network.workdir / 'dnsmasq.leases'
        self.assertIn('%s %s' % (mac, address), leases.read_text())
        # The ramdisk says so once the server has answered.
        for marker in ('lease %s on %s' % (address, mac),
                       'callback %s done' % network.callback_url):
            self.wait_for_console(node['name'], 'TENKS-RAMDISK: ' + marker,
                                  30)

    def wait_provision(self, name, wanted, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.baremetal('node', 'show', name)
            if shown['provision_state'] == wanted:
                return
            if shown['provision_state'].endswith('failed'):
                self.fail('%s: %s: %s' % (name, shown['provision_state'],
                                          shown['last_error']))
            time.sleep(2)
        self.fail('%s not %s after %d s' % (name, wanted, timeout))

    def console(self, name):
        path = os.path.join(self.workdir, 'log', 'console', name + '.log')
        if not os.path.exists(path):
            return ''
        with open(path, errors='replace') as stream:
            return stream.read()

    def attach_console(self, name):
        self.addDetail('console', testtools.content.text_content(
            self.console(name)[-20000:]))

    def wait_for_console(self, name, marker, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.console(name):
                return
            time.sleep(2)
        self.fail('%s: console shows no %r after %d s' % (name, marker,
                                                          timeout))

    def media(self, name):
        """Files in the domain's CD-ROM and floppy drives."""
        tree = ET.fromstring(base.run(['virsh', 'dumpxml', '--inactive',
                                       name]).stdout)
        return [disk.find('source').get('file')
                for disk in tree.findall('devices/disk')
                if disk.get('device') in ('cdrom', 'floppy')
                and disk.find('source') is not None]

    def uploads(self, uuid):
        """Volumes uploaded for uuid's virtual media, in any pool."""
        found = []
        for pool in base.run(['virsh', 'pool-list', '--name']).stdout.split():
            volumes = base.run(['virsh', 'vol-list', pool], check=False)
            found += [line.split()[0] for line in
                      volumes.stdout.splitlines()[2:]
                      if line.split() and line.split()[0].endswith(
                          '-%s.img' % uuid)]
        return found


class TestVirtualMediaLinuxBridge(VirtualMediaTestCase):

    def test_uefi_prebuilt_iso(self):
        self.prebuilt_iso('uefi')

    def test_uefi_iso_built_by_ironic(self):
        self.iso_built_by_ironic('uefi')


class TestVirtualMediaLinuxBridgeBios(VirtualMediaTestCase):
    # A class of its own, with its own Ironic, so that the two workers
    # share out these minutes-long boots.

    def test_bios_iso_built_by_ironic(self):
        self.iso_built_by_ironic('bios')


class TestVirtualMediaOpenvswitch(VirtualMediaTestCase):
    # The userspace datapath, the one CI (and this host) has.
    fabric = {'bridge_type': 'openvswitch', 'ovs_datapath_type': 'netdev'}

    # The fabric does not depend on the ISO: one UEFI boot here, as a
    # Redfish node with virtual media is most often deployed.
    def test_uefi_prebuilt_iso(self):
        self.prebuilt_iso('uefi')
