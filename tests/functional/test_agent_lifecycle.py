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

"""A Tenks node through Ironic's whole agent lifecycle.

The real standalone Ironic with its provisioning network and the Ironic
Python Agent built here (tools/build-agent-artefacts, cached; built when
missing), driven by `tenks verify --deploy`: inspection by the agent,
whose inventory must match what Tenks built; cleaning (metadata erase)
on provide; a direct deploy of the whole-disk image, over HTTP with its
sha256; the node's console showing that image's own boot from disk; an
undeploy with cleaning back to available. One BIOS node on IPMI booting
by iPXE: each agent boot costs minutes under TCG. Fast track keeps one
agent boot for inspect, clean and deploy. (A UEFI node fails the deploy
here: the agent mounts the image's ESP to set a UEFI boot entry, and its
ramdisk lacks the vfat codepage, nls_cp437.)

The image is published on the host's loopback; Ironic's conductor
downloads it, serves it to the agents from its http_url on the
provisioning network, and checks that URL with a HEAD that reaches the
network's server through the forwarder its environment names as proxy.
"""

import json
import os
import shutil
import time

import fixtures
from testtools import content

from tenks.artefacts.ipa import build
from tenks.artefacts.ipa import disk_image
from tenks import lifecycle
from tenks.standalone import loopback
from tests.functional import base
from tests.functional import test_ironic

OPENSTACK = test_ironic.OPENSTACK
# Per lifecycle step: an agent boot under TCG on a busy host (firmware,
# ~40 MB over iPXE or a virtual CD, the kernel unpacking it, udev, the
# agent's start) takes minutes.
STEP_TIMEOUT = 900
# Two agent boots and a disk boot: minutes on a quiet host, over 15 with
# the host's load above 20.
TEST_TIMEOUT = 2700
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
            cls.kernel, cls.ramdisk = [
                shutil.copy(path, images) for path in (
                    cls.artefacts.kernel, cls.artefacts.ramdisk)]
            # On the host's loopback (http_root's media server), where the
            # conductor fetches it from.
            published = os.path.join(cls.ironic_dir, 'httpboot', 'images')
            os.mkdir(published)
            shutil.copy(cls.artefacts.disk, published)
            cls.image_url = '%s/images/%s' % (
                loopback.endpoint(cls.ironic.provisioning.media_port),
                os.path.basename(cls.artefacts.disk))
        except BaseException:
            cls.tearDownClass()
            raise

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))

    def boot_cluster(self):
        """A BIOS node on IPMI booting the agent by iPXE."""
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
            default_boot_mode='bios', console_log_enabled=True,
            ironic_target_state='manageable',
            # The agent's promiscuous NIC reaches its macvtap, which
            # otherwise drops the LLDP group address.
            libvirt_vm_trust_guest_rx_filters=True, **self.fabric)

    def set_agent(self, name, mac, address):
        params = self.ironic.provisioning.reach_agent(
            mac, address, loopback.find_free_port())
        base.run([OPENSTACK, 'baremetal', 'node', 'set', name,
                  '--automated-clean',
                  '--driver-info', 'deploy_kernel=file://%s' % self.kernel,
                  '--driver-info', 'deploy_ramdisk=file://%s' % self.ramdisk,
                  '--driver-info',
                  'kernel_append_params=console=ttyS0 no_timer_check '
                  'ipa-debug=1 ipa-collect-lldp=1 ' + params])

    def assert_inventory(self, node):
        inventory = json.loads(base.run(
            [OPENSTACK, 'baremetal', 'node', 'inventory', 'save',
             node['name']]).stdout)['inventory']
        self.addDetail('inventory ' + node['name'], content.text_content(
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
        shown = self.baremetal('node', 'show', node['name'])
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

    def verify_deploy(self, path, names):
        started = time.monotonic()
        result = self.tenks(
            'verify', path, '--deploy', self.image_url,
            '--image-checksum', self.artefacts.disk_sha256,
            '--disk-marker', disk_image.DISK_MARKER,
            '--deploy-timeout', str(STEP_TIMEOUT), '-f', 'json',
            *['--node=' + name for name in names], check=False)
        self.addDetail('verify --deploy', content.text_content(
            '%d s, exit %d\n%s\n%s' % (
                time.monotonic() - started, result.returncode,
                result.stdout, result.stderr)))
        rows = json.loads(result.stdout)
        return {(row['Node'], row['Check']): row for row in rows}

    def assert_lifecycle(self, names, results):
        """Every step passed; before them, only the removed links differ."""
        for name in names:
            self.assertEqual(
                ('failed', 'local_link_connection differ'),
                (results[name, 'ironic-ports']['Status'],
                 results[name, 'ironic-ports']['Detail'].split(': ')[1]
                 .split(';')[0]))
            del results[name, 'ironic-ports']
            for step in lifecycle.STEPS:
                row = results[name, step]
                self.assertEqual('passed', row['Status'],
                                 '%s %s: %s' % (name, step, row['Detail']))
            shown = self.baremetal('node', 'show', name)
            self.assertEqual(('available', None),
                             (shown['provision_state'], shown['last_error']))
        self.assertEqual([], [key for key, row in results.items()
                              if row['Status'] == 'failed'])

    def assert_image_served(self, nodes):
        """Checked by the conductor and fetched by each agent, over HTTP."""
        log = (self.ironic.provisioning.workdir / 'http.log').read_text(
            errors='replace')
        for node in nodes:
            image = '/agent_images/%s' % node['ironic_uuid']
            self.assertIn('"HEAD http://203.0.113.1:8080%s HTTP' % image,
                          log)
            self.assertIn('"GET %s HTTP/1.1" 200' % image, log)

    def console(self, name):
        path = os.path.join(self.workdir, 'log', 'console', name + '.log')
        with open(path, errors='replace') as stream:
            return stream.read()

    def test_bios_ipmi_lifecycle(self):
        path = self.boot_cluster()
        self.tenks('deploy', path, timeout=300)
        nodes = self.state()['nodes']
        names = sorted(nodes)
        for name in names:
            self.addOnException(lambda _, name=name: self.addDetail(
                'console ' + name, content.text_content(
                    self.console(name)[-20000:])))
        links = {}
        for name in names:
            self.set_agent(name, nodes[name]['nics'][0]['mac'],
                           AGENT_ADDRESS)
            links[name] = self.forget_local_links(nodes[name])

        results = self.verify_deploy(path, names)
        self.assert_lifecycle(names, results)
        # The inspection step: what the agent found is what Tenks built,
        # each port's local_link_connection found again from Tenks' LLDP.
        for name in names:
            self.assert_inventory(nodes[name])
            self.assertEqual(links[name], self.local_links(nodes[name]))
        # ... so that verify now finds the ports as Tenks enrolled them
        # (the nodes, left available, are not at the file's target state).
        rows = json.loads(self.tenks('verify', path, '-f', 'json',
                                     check=False).stdout)
        self.assertEqual({(name, 'passed') for name in names}, {
            (row['Node'], row['Status']) for row in rows
            if row['Check'] == 'ironic-ports'})
        self.assertIn('erase_devices_metadata', self.ironic.log_file.read_text(
            errors='replace'))
        self.assert_image_served(nodes.values())
        self.tenks('teardown', path, timeout=300)
        self.assertEqual([], self.leftovers())
