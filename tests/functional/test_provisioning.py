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

"""Tenks nodes booted and deployed by the real standalone Ironic.

Each class shares one Ironic with its provisioning network (dnsmasq,
TFTP, HTTP in a namespace of its own); each test makes a one-node
cluster whose physnet is that network's device, deploys the node with
``boot_interface=ipxe`` and ``deploy_interface=ramdisk`` and the boot
artefacts' kernel and initramfs, and checks that the node itself booted:
its callback arrived with its MAC and its console shows the ramdisk.
"""

import os
import secrets
import shutil
import signal
import time

import fixtures
import testtools
from testtools import content

from tenks.standalone import cli
from tenks.standalone import exception
from tenks.standalone import ironic
from tenks.standalone import loopback
from tenks.standalone import process
from tenks.standalone import provisioning
from tests.functional import base
from tests.functional import test_boot_artefacts
from tests.functional import test_ironic

OPENSTACK = test_ironic.OPENSTACK
# Under TCG on a busy host: firmware, iPXE, kernel and DHCP take ~1 min.
BOOT_TIMEOUT = 400


class TestIpxeRamdiskLinuxBridge(test_ironic.IronicTestCase):

    with_provisioning = True
    # Of the cluster's physnet bridge, and anything else it needs.
    fabric = {'bridge_type': 'linuxbridge'}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            artefacts = test_boot_artefacts.artefacts()
            # In Ironic's work directory, a path it may read file:// from
            # wherever the cache is.
            images = os.path.join(cls.ironic_dir, 'images')
            os.mkdir(images)
            cls.kernel = shutil.copy(artefacts.kernel, images)
            cls.ramdisk = shutil.copy(artefacts.initramfs, images)
        except BaseException:
            cls.tearDownClass()
            raise

    def boot_cluster(self, boot_mode):
        return self.cluster(
            node_types={'one': {
                'memory_mb': 512, 'vcpus': 1,
                'volumes': [{'capacity': '1GiB'}],
                'physical_networks': ['physnet1']}},
            specs=[{'type': 'one', 'count': 1, 'ironic_config': {
                'resource_class': 'rc', 'boot_interface': 'ipxe',
                'deploy_interface': 'ramdisk'}}],
            physnet_mappings={'physnet1': self.ironic.provisioning.device},
            default_boot_mode=boot_mode, console_log_enabled=True,
            ironic_target_state='available', **self.fabric)

    def wait_for(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                self.fail('waited %d s for %s' % (timeout, what))
            time.sleep(2)

    def wait_provision_state(self, name, wanted):
        def reached():
            shown = self.baremetal('node', 'show', name)
            self.assertNotIn(shown['provision_state'],
                             ('deploy failed', 'error', 'clean failed'),
                             shown['last_error'])
            return shown['provision_state'] == wanted
        self.wait_for('%s to be %s' % (name, wanted), reached, BOOT_TIMEOUT)

    def log_text(self, name):
        path = self.ironic.provisioning.workdir / name
        return path.read_text(errors='replace') if path.exists() else ''

    def assert_deploys_and_undeploys(self, boot_mode, arch):
        path = self.boot_cluster(boot_mode)
        self.tenks('deploy', path, timeout=300)
        name = self.node_prefix + '0'
        node = self.state()['nodes'][name]
        mac = node['nics'][0]['mac']
        self.assertEqual('available', self.baremetal(
            'node', 'show', name)['provision_state'])
        base.run([OPENSTACK, 'baremetal', 'node', 'set', name,
                  '--instance-info', 'kernel=file://%s' % self.kernel,
                  '--instance-info', 'ramdisk=file://%s' % self.ramdisk,
                  '--instance-info',
                  'kernel_append_params=console=ttyS0 no_timer_check '
                  'tenks_callback=%s' % self.ironic.provisioning.callback_url])
        dnsmasq_seen = len(self.log_text('dnsmasq.log'))
        started = time.monotonic()
        base.run([OPENSTACK, 'baremetal', 'node', 'deploy', name])
        self.wait_provision_state(name, 'active')
        self.wait_for('the callback of %s' % mac, lambda: mac in [
            call.get('mac') for call in self.ironic.provisioning.callbacks()],
            BOOT_TIMEOUT)
        self.addDetail('seconds-to-callback', content.text_content(
            '%.0f' % (time.monotonic() - started)))
        # node['console_log'] says whether there is one; this is where.
        console_log = os.path.join(self.workdir, 'log', 'console',
                                   name + '.log')
        done = ('TENKS-RAMDISK: callback %s done'
                % self.ironic.provisioning.callback_url)

        def console():
            with open(console_log, errors='replace') as stream:
                return stream.read()
        # The ramdisk says so once its HTTP client returns, a moment
        # after the server has logged the call.
        self.wait_for('the console of %s to show %r' % (name, done),
                      lambda: done in console(), 30)
        self.assertIn('TENKS-RAMDISK: nic ', console())
        self.assertIn('TENKS-RAMDISK: lease 203.0.113.', console())
        # The firmware of this boot mode asked (QEMU's NIC ROM is iPXE
        # already: it chains straight to boot.ipxe, with no TFTP).
        self.assertIn('vendor class: PXEClient:Arch:%05d:' % arch,
                      self.log_text('dnsmasq.log')[dnsmasq_seen:])
        base.run([OPENSTACK, 'baremetal', 'node', 'undeploy', name])
        self.wait_provision_state(name, 'available')
        self.wait_domstate(name, 'shut off', timeout=60)
        shown = self.baremetal('node', 'show', name)
        self.assertEqual('power off', shown['power_state'])
        self.assertIsNone(shown['last_error'])
        self.tenks('teardown', path, timeout=300)
        self.assertEqual([], self.leftovers())

    def test_bios(self):
        self.assert_deploys_and_undeploys('bios', 0)

    def test_uefi(self):
        self.assert_deploys_and_undeploys('uefi', 7)

    def test_boot_files_over_tftp(self):
        # What firmware without iPXE of its own loads first.
        network = self.ironic.provisioning
        for name in provisioning.BOOT_FILES:
            fetched = os.path.join(self.workdir, name)
            base.run(['ip', 'netns', 'exec', network.namespace, 'curl',
                      '-sS', '-o', fetched,
                      'tftp://%s/%s' % (provisioning.SERVER, name)])
            with open(fetched, 'rb') as got, open(
                    provisioning.IPXE_DIR / name, 'rb') as want:
                self.assertEqual(want.read(), got.read(), name)


class TestIpxeRamdiskOpenvswitch(TestIpxeRamdiskLinuxBridge):
    # The userspace datapath, the one CI (and this host) has.
    fabric = {'bridge_type': 'openvswitch', 'ovs_datapath_type': 'netdev'}


class TestProvisioningNetworkOwnership(testtools.TestCase):
    """What the network makes it removes, even after a crash; nothing else."""

    def setUp(self):
        super().setUp()
        self.workdir = self.useFixture(fixtures.TempDir()).path
        self.device = 'tks%spo' % secrets.token_hex(2)
        self.ironic = ironic.StandaloneIronic(
            self.workdir, loopback.find_free_port(),
            provisioning_device=self.device)
        self.addCleanup(self.ironic.stop)

    def assert_nothing_left(self, pids):
        network = self.ironic.provisioning
        self.assertNotIn(network.namespace, base.run(
            ['ip', 'netns', 'list']).stdout)
        self.assertNotEqual(0, base.run(['ip', 'link', 'show', self.device],
                                        check=False).returncode)
        for pid in pids:
            self.assertFalse(process.is_alive(pid), pid)

    def test_stop_after_a_crash(self):
        self.ironic.start()
        network = self.ironic.provisioning
        pids = [self.ironic.pid()] + [
            network._pid(name, marker)
            for name, _, marker in network._daemons()]
        self.assertNotIn(None, pids)
        os.killpg(pids[0], signal.SIGKILL)     # Ironic and its workers
        for pid in pids[1:]:
            os.kill(pid, signal.SIGKILL)
        # A new object, as a later `standalone_ironic.py stop` makes.
        found = cli._service(cli.parse_args(
            ['stop', '--workdir', self.workdir]))
        self.assertEqual(self.device, found.provisioning.device)
        self.assertTrue(found.provisioning.stop())
        self.assert_nothing_left(pids)

    def test_a_device_not_ours_is_refused_and_kept(self):
        base.run(['ip', 'link', 'add', self.device, 'type', 'veth', 'peer',
                  'name', self.device + 'x'])
        self.addCleanup(base.run, ['ip', 'link', 'del', self.device],
                        check=False)
        error = self.assertRaises(exception.StandaloneIronicError,
                                  self.ironic.start)
        self.assertIn('Device %s already exists' % self.device, str(error))
        self.ironic.stop()
        self.assertEqual(0, base.run(['ip', 'link', 'show',
                                      self.device]).returncode)
        self.assertIsNone(self.ironic.pid())
        self.assertNotIn(self.ironic.provisioning.namespace, base.run(
            ['ip', 'netns', 'list']).stdout)
