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

"""A Tenks node through Ironic's agent flows: inspection and cleaning.

The real standalone Ironic with its provisioning network and the Ironic
Python Agent built here (tools/build-agent-artefacts, cached; built when
missing): inspection by the agent, whose inventory must match what Tenks
built; cleaning (metadata erase) on provide. Fast track keeps one agent
boot for both: each boot costs minutes under TCG. The direct deploy of
the whole-disk image is not here yet: Ironic's conductor checks the
image URL it serves the agent (on the provisioning network) with a HEAD
from the host, which cannot reach that network.
"""

import json
import os
import shutil
import time

from testtools import content

from tenks.artefacts.ipa import build
from tenks.standalone import loopback
from tests.functional import base
from tests.functional import test_ironic

OPENSTACK = test_ironic.OPENSTACK
# An agent boot under TCG on a busy host: firmware, iPXE fetching ~40 MB,
# the kernel unpacking it, udev, the agent's start.
STEP_TIMEOUT = 900
# Reserved for the node by MAC, outside the network's DHCP range.
AGENT_ADDRESS = '203.0.113.20'
SETTINGS = {
    'DEFAULT': {
        'enabled_inspect_interfaces': 'fake,no-inspect,redfish,agent'},
    # Inspect, clean and deploy on one agent boot.
    'deploy': {'fast_track': 'true'},
    # Each port's local_link_connection from the LLDP Tenks' ports send.
    'inspector': {'hooks': '$default_hooks,local-link-connection'},
}


def cache_dir():
    return os.environ.get('TENKS_AGENT_ARTEFACTS_DIR',
                          build.DEFAULT_CACHE_DIR)


class TestAgentLifecycle(test_ironic.IronicTestCase):

    with_provisioning = True
    fabric = {'bridge_type': 'linuxbridge'}

    @classmethod
    def make_ironic(cls, keystone):
        ironic = super().make_ironic(keystone)
        ironic.settings = SETTINGS
        return ironic

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.artefacts = build.ensure(
                cache_dir(), os.environ.get('TENKS_UPPER_CONSTRAINTS'))
            images = os.path.join(cls.ironic_dir, 'images')
            os.mkdir(images)
            cls.kernel, cls.ramdisk, cls.disk = [
                shutil.copy(path, images) for path in (
                    cls.artefacts.kernel, cls.artefacts.ramdisk,
                    cls.artefacts.disk)]
        except BaseException:
            cls.tearDownClass()
            raise

    def setUp(self):
        super().setUp()
        self.steps = {}

    def step(self, name, action, state, *args):
        started = time.monotonic()
        base.run([OPENSTACK, 'baremetal', 'node', action, self.name]
                 + list(args))
        self.wait_provision_state(state)
        self.steps[name] = round(time.monotonic() - started)
        self.addDetail('seconds', content.text_content(
            json.dumps(self.steps)))

    def wait_provision_state(self, wanted):
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            shown = self.baremetal('node', 'show', self.name)
            self.assertNotIn(shown['provision_state'], (
                'deploy failed', 'error', 'clean failed', 'inspect failed'),
                shown['last_error'])
            if shown['provision_state'] == wanted:
                return shown
            if time.monotonic() > deadline:
                self.fail('waited %d s for %s to be %s (is %s)' % (
                    STEP_TIMEOUT, self.name, wanted,
                    shown['provision_state']))
            time.sleep(3)

    def boot_cluster(self, boot_mode):
        return self.cluster(
            node_types={'one': {
                'memory_mb': 1024, 'vcpus': 1,
                # The agent installs on no disk under 4 GiB; qcow2, so
                # only what is written costs space.
                'volumes': [{'capacity': '5GiB'}],
                'physical_networks': ['physnet1']}},
            specs=[{'type': 'one', 'count': 1, 'ironic_config': {
                'resource_class': 'rc', 'boot_interface': 'ipxe',
                'deploy_interface': 'direct', 'inspect_interface': 'agent'}}],
            physnet_mappings={'physnet1': self.ironic.provisioning.device},
            default_boot_mode=boot_mode, console_log_enabled=True,
            ironic_target_state='manageable',
            # The agent's promiscuous NIC reaches its macvtap, which
            # otherwise drops the LLDP group address.
            libvirt_vm_trust_guest_rx_filters=True, **self.fabric)

    def set_agent(self, mac):
        params = self.ironic.provisioning.reach_agent(
            mac, AGENT_ADDRESS, loopback.find_free_port())
        base.run([OPENSTACK, 'baremetal', 'node', 'set', self.name,
                  '--automated-clean',
                  '--driver-info', 'deploy_kernel=file://%s' % self.kernel,
                  '--driver-info', 'deploy_ramdisk=file://%s' % self.ramdisk,
                  '--driver-info',
                  'kernel_append_params=console=ttyS0 no_timer_check '
                  'ipa-debug=1 ipa-collect-lldp=1 ' + params])

    def assert_inventory(self, node):
        inventory = json.loads(base.run(
            [OPENSTACK, 'baremetal', 'node', 'inventory', 'save',
             self.name]).stdout)['inventory']
        self.addDetail('inventory', content.text_content(
            json.dumps(inventory, indent=1)))
        self.assertEqual(node['vcpus'], inventory['cpu']['count'])
        self.assertEqual(node['memory_mb'],
                         inventory['memory']['physical_mb'])
        self.assertEqual([volume['capacity'] for volume in node['volumes']],
                         [disk['size'] for disk in inventory['disks']])
        self.assertEqual(
            sorted(nic['mac'] for nic in node['nics']),
            sorted(interface['mac_address']
                   for interface in inventory['interfaces']))
        shown = self.baremetal('node', 'show', self.name)
        self.assertEqual(node['memory_mb'],
                         int(shown['properties']['memory_mb']))

    def local_links(self, node):
        """{MAC: local_link_connection} of the node's Ironic ports."""
        return {nic['mac']: self.baremetal(
            'port', 'show', '--address', nic['mac'])['local_link_connection']
            for nic in node['nics']}

    def forget_local_links(self, node):
        """What Tenks enrolled, removed: inspection must find it again."""
        links = self.local_links(node)
        self.assertEqual([{'switch_id', 'port_id', 'switch_info'}],
                         list({frozenset(link) for link in links.values()}))
        for mac, link in links.items():
            uuid = self.baremetal('port', 'show', '--address', mac)['uuid']
            base.run([OPENSTACK, 'baremetal', 'port', 'unset', uuid] + [
                arg for key in link for arg in ('--local-link-connection',
                                                key)])
        self.assertEqual({mac: {} for mac in links}, self.local_links(node))
        return links

    def assert_inspects_and_cleans(self, boot_mode):
        path = self.boot_cluster(boot_mode)
        self.tenks('deploy', path, timeout=300)
        self.name = self.node_prefix + '0'
        node = self.state()['nodes'][self.name]
        self.set_agent(node['nics'][0]['mac'])

        links = self.forget_local_links(node)
        self.step('inspect', 'inspect', 'manageable')
        self.assert_inventory(node)
        self.assertEqual(links, self.local_links(node))
        self.step('clean', 'provide', 'available')
        shown = self.baremetal('node', 'show', self.name)
        self.assertIsNone(shown['last_error'])
        self.assertIn('erase_devices_metadata', self.ironic.log_file.read_text(
            errors='replace'))
        self.tenks('teardown', path, timeout=300)
        self.assertEqual([], self.leftovers())

    def test_bios_ipmi(self):
        self.assert_inspects_and_cleans('bios')
