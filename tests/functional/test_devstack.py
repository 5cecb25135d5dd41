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

"""The DevStack plugin, phase by phase, with DevStack's real functions.

Each phase is bash sourcing DevStack's own function library (the vendored
copy in ../shared/vendor/devstack), devstack/settings and
devstack/plugin.sh with the mode and phase, as stack.sh, unstack.sh and
clean.sh do. The tests run as root; sudo is a shim that runs its command.
test_devstack_harness runs the phases through the whole of stack.sh's
sequence with Ironic's plugin; here they run for real: iniset writes
tenks.conf, the real tenks validates, deploys and tears down.
"""

import configparser
import os
import pathlib
import stat
import subprocess

import fixtures
import testtools
from testtools import content
import yaml

from tests.functional import base
from tests.functional import test_ironic

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT.parent / 'shared' / 'vendor' / 'devstack' / 'functions'
SETTINGS = ROOT / 'devstack' / 'settings'
PLUGIN = ROOT / 'devstack' / 'plugin.sh'
# The venv the tests run in holds the real tenks.
VENV = os.path.dirname(os.path.dirname(base.TENKS))
# stack.sh runs with errexit; unstack.sh and clean.sh do not.
SCRIPT = ('%s source "$1"; source "$2"; plugin=$3; shift 3; '
          'source "$plugin" "$@"')
SUDO = '''#!/bin/sh
# The tests run as root: sudo runs its command, after its options.
while [ "${1#-}" != "$1" ]; do shift; done
exec "$@"
'''
# What the test's environment must not hand the plugin.
DEVSTACK_VARIABLES = ('TENKS_', 'IRONIC_', 'DEVSTACK_', 'PHYSICAL_NETWORK',
                      'DEST', 'DATA_DIR', 'LOGDIR', 'ENABLED_SERVICES',
                      'GLOBAL_VENV', 'STACK_USER', 'OS_CLOUD', 'TOP_DIR')

FAKE_TENKS = '''#!/bin/bash
# Records its arguments; FAKE_<COMMAND>_STATUS is its exit status.
echo "tenks $*" >> "$DEVSTACK_TEST_LOG"
for arg in "$@"; do
    case $arg in
        deploy) exit "${FAKE_DEPLOY_STATUS:-0}" ;;
        teardown) exit "${FAKE_TEARDOWN_STATUS:-0}" ;;
    esac
done
'''


class DevStackMixin:
    """Runs the plugin's phases in a stand-in DevStack under workdir."""

    def devstack_setup(self):
        self.dest = os.path.join(self.workdir, 'stack')
        self.log = os.path.join(self.workdir, 'devstack.log')
        shim = os.path.join(self.workdir, 'shim')
        os.makedirs(shim)
        with open(os.path.join(shim, 'sudo'), 'w') as stream:
            stream.write(SUDO)
        os.chmod(os.path.join(shim, 'sudo'), stat.S_IRWXU)
        self.environ = {
            key: value for key, value in os.environ.items()
            if not key.startswith(DEVSTACK_VARIABLES)}
        self.environ.update({
            'PATH': shim + os.pathsep + os.environ['PATH'],
            'DEST': self.dest,
            'GLOBAL_VENV': 'True',
            'DEVSTACK_VENV': VENV,
            'STACK_USER': 'root',
            'DEVSTACK_TEST_LOG': self.log,
            'TENKS_DIR': str(ROOT),
            # No host bridge made here: the tests map existing devices.
            'TENKS_CREATE_SOURCE_BRIDGES': 'False',
            'TENKS_SUDOERS_FILE': os.path.join(self.workdir, 'sudoers'),
            # This host has no systemd: daemons run detached.
            'TENKS_DAEMON_SUPERVISOR': 'none',
        })

    def phase(self, mode, phase=None, check=True, **settings):
        """Run one phase with TENKS_* (and other) settings from local.conf."""
        environ = dict(self.environ, **settings)
        errexit = 'set -o errexit;' if mode == 'stack' else ''
        argv = ['bash', '-c', SCRIPT % errexit, 'bash', str(FUNCTIONS),
                str(SETTINGS), str(PLUGIN), mode] + ([phase] if phase else [])
        result = subprocess.run(argv, env=environ, capture_output=True,
                                text=True, timeout=300)
        name = '%s %s' % (mode, phase or '')
        self.addDetail(name.strip(), content.text_content(
            'exit %d\n%s\n%s' % (result.returncode, result.stdout,
                                 result.stderr)))
        if check and result.returncode:
            self.fail('%s failed (%d):\n%s\n%s' % (
                name, result.returncode, result.stdout, result.stderr))
        return result

    def recorded(self):
        """The command lines the stand-in DevStack recorded, then forgets."""
        if not os.path.exists(self.log):
            return []
        with open(self.log) as stream:
            lines = stream.read().splitlines()
        os.unlink(self.log)
        return lines

    @staticmethod
    def ini(path):
        # DEFAULT as a section like the others, as tenks.conf reads it.
        parser = configparser.ConfigParser(default_section='(none)',
                                           interpolation=None)
        with open(path) as stream:
            parser.read_file(stream)
        return {section: dict(parser[section])
                for section in parser.sections()}

    @staticmethod
    def yaml(path):
        with open(path) as stream:
            return yaml.safe_load(stream)


class TestPhases(DevStackMixin, testtools.TestCase):
    """Every phase apart from a real deploy: install, config, dispatch."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(120, gentle=True))
        self.workdir = self.useFixture(fixtures.TempDir()).path
        self.devstack_setup()

    def conf_dir(self, name='etc'):
        return {'TENKS_CONF_DIR': os.path.join(self.workdir, name)}

    def test_post_config_defaults(self):
        result = self.phase('stack', 'post-config', **self.conf_dir())
        etc = os.path.join(self.workdir, 'etc')
        self.assertIn('%s/cluster.yaml: valid: 2 node(s) in 1 spec(s), 1 '
                      'physical network(s)' % etc, result.stdout)
        self.assertEqual({
            'DEFAULT': {'state_dir': self.dest + '/data/tenks',
                        'log_dir': self.dest + '/logs/tenks',
                        'daemon_supervisor': 'none'},
            'ironic': {'cloud': 'devstack-admin',
                       'target_state': 'manageable'},
            'network': {'bridge_type': 'openvswitch',
                        'ovs_datapath_type': 'auto',
                        'bridge_prefix': 'brtenks'},
            'libvirt': {'engine': 'auto', 'pool_name': 'tenks',
                        'pool_path': '/var/lib/libvirt/tenks_pool',
                        'console_log_enabled': 'True'},
            'ipmi': {'address': '127.0.0.1', 'port_range_start': '6250',
                     'port_range_end': '6269',
                     'vbmcd_control_port': '50991'},
            'redfish': {'address': '127.0.0.1', 'port': '8000'},
        }, self.ini(os.path.join(etc, 'tenks.conf')))
        self.assertEqual(self.cluster_file(), self.yaml(
            os.path.join(etc, 'cluster.yaml')))

    @staticmethod
    def cluster_file(memory_mb=3072, vcpus=1, disk='11GiB', local_gb=10,
                     physnet='physnet1', bridge='brbm', driver='ipmi',
                     resource_class='baremetal', boot_mode='uefi',
                     deploy_name='ir-deploy-ipmi', flavor=True):
        """The cluster file DevStack's Ironic defaults give."""
        cluster = {
            'node_types': {'devstack': {
                'memory_mb': memory_mb, 'vcpus': vcpus, 'arch': 'x86_64',
                'volumes': [{'capacity': disk}],
                'physical_networks': [physnet], 'ironic_driver': driver}},
            'specs': [{'type': 'devstack', 'count': 2,
                       'node_name_prefix': 'tenks-',
                       'ironic_config': {'resource_class': resource_class,
                                         'properties': {
                                             'local_gb': local_gb}}}],
            'nova_flavors': [{'name': 'tenks-%s' % resource_class,
                              'resource_class': resource_class,
                              'node_type': 'devstack',
                              'custom_specs': {
                                  'capabilities:boot_mode': boot_mode,
                                  'cpu_arch': 'x86_64'}}],
            'physnet_mappings': {physnet: bridge},
            'default_boot_mode': boot_mode,
            'deploy_kernel': '%s.kernel' % deploy_name,
            'deploy_ramdisk': '%s.initramfs' % deploy_name,
            'wait_for_placement': False,
            'bmc_emulators': {'ipmi': 'virtualbmc'},
        }
        if not flavor:
            del cluster['nova_flavors']
        return cluster

    def test_post_config_follows_devstack_ironic(self):
        """Unset TENKS_* follow DevStack's Ironic (and Neutron) settings."""
        self.phase(
            'stack', 'post-config', IRONIC_VM_NETWORK_BRIDGE='brironic',
            PHYSICAL_NETWORK='mynetwork', IRONIC_DEPLOY_DRIVER='redfish',
            IRONIC_BOOT_MODE='bios', IRONIC_VM_SPECS_RAM='2048',
            IRONIC_VM_SPECS_CPU='2', IRONIC_VM_SPECS_DISK='20',
            IRONIC_DEFAULT_RESOURCE_CLASS='bm',
            IRONIC_DEPLOY_RAMDISK='/opt/stack/devstack/files/my.initramfs',
            TENKS_NOVA_FLAVOR='', **self.conf_dir())
        expected = self.cluster_file(
            memory_mb=2048, vcpus=2, disk='21GiB', local_gb=20,
            physnet='mynetwork',
            bridge='brironic', resource_class='bm', boot_mode='bios',
            driver='redfish', deploy_name='ir-deploy-redfish', flavor=False)
        expected['deploy_ramdisk'] = 'my.initramfs'
        self.assertEqual(expected, self.yaml(
            os.path.join(self.workdir, 'etc', 'cluster.yaml')))

    def test_post_config_custom(self):
        etc = os.path.join(self.workdir, 'conf')
        os.makedirs(etc)
        # iniset edits: what else tenks.conf holds stays.
        with open(os.path.join(etc, 'tenks.conf'), 'w') as stream:
            stream.write('[DEFAULT]\nworkers = 4\n\n[ssh]\nuser = stack\n')
        cluster = os.path.join(self.workdir, 'clusters', 'mine.yaml')
        log_dir = os.path.join(self.workdir, 'srv-log', 'tenks')
        result = self.phase(
            'stack', 'post-config', TENKS_CONF_DIR=etc,
            TENKS_CLUSTER_FILE=cluster,
            # Post-config writes the masked copies into the log directory.
            TENKS_STATE_DIR='/srv/tenks', TENKS_LOG_DIR=log_dir,
            TENKS_CLOUD='my-cloud', TENKS_TARGET_STATE='available',
            TENKS_RESOURCE_CLASS='large', TENKS_DRIVER='redfish',
            TENKS_BOOT_MODE='bios', TENKS_DEPLOY_KERNEL='k1',
            TENKS_DEPLOY_RAMDISK='', TENKS_NOVA_FLAVOR="bm 'large'",
            TENKS_WAIT_FOR_PLACEMENT='yes', TENKS_NODE_COUNT='30',
            TENKS_NODE_NAME_PREFIX='bm-', TENKS_NODE_MEMORY_MB='512',
            TENKS_NODE_VCPUS='2', TENKS_NODE_DISK='4GiB',
            TENKS_LIBVIRT_ENGINE='qemu', TENKS_POOL_NAME='bmpool',
            TENKS_POOL_PATH='/srv/pool', TENKS_PHYSNETS='prov, tenant',
            TENKS_PHYSNET_MAPPINGS='prov:brprov, tenant:tkdsnone0',
            TENKS_BRIDGE_TYPE='linuxbridge', TENKS_OVS_DATAPATH_TYPE='netdev',
            TENKS_BRIDGE_PREFIX='brds', TENKS_BMC_ADDRESS='203.0.113.5',
            TENKS_IPMI_PORT_RANGE_START='7000',
            TENKS_VBMCD_CONTROL_PORT='51000', TENKS_REDFISH_PORT='8443',
            TENKS_IPMI_EMULATOR='tenks-ipmi',
            TENKS_TRAITS='CUSTOM_A, CUSTOM_B',
            TENKS_NODE_LOCAL_GB='3', TENKS_NODE_VOLUME_COUNT='2',
            TENKS_BMC_USERNAME='bmcuser', TENKS_BMC_PASSWORD='bmcpass',
            TENKS_CONSOLE_LOG='False')
        self.assertIn('valid: 30 node(s) in 1 spec(s), 2 physical '
                      'network(s)', result.stdout)
        self.assertEqual({
            'DEFAULT': {'workers': '4', 'state_dir': '/srv/tenks',
                        'log_dir': log_dir,
                        'daemon_supervisor': 'none'},
            'ssh': {'user': 'stack'},
            'ironic': {'cloud': 'my-cloud', 'target_state': 'available'},
            'network': {'bridge_type': 'linuxbridge',
                        'ovs_datapath_type': 'netdev',
                        'bridge_prefix': 'brds'},
            'libvirt': {'engine': 'qemu', 'pool_name': 'bmpool',
                        'pool_path': '/srv/pool',
                        'console_log_enabled': 'False'},
            # 30 nodes need 30 ports.
            'ipmi': {'address': '203.0.113.5', 'port_range_start': '7000',
                     'port_range_end': '7029',
                     'vbmcd_control_port': '51000',
                     'username': 'bmcuser', 'password': 'bmcpass'},
            'redfish': {'address': '203.0.113.5', 'port': '8443',
                        'username': 'bmcuser', 'password': 'bmcpass'},
        }, self.ini(os.path.join(etc, 'tenks.conf')))
        self.assertEqual({
            'node_types': {'devstack': {
                'memory_mb': 512, 'vcpus': 2, 'arch': 'x86_64',
                'volumes': [{'capacity': '4GiB'}, {'capacity': '4GiB'}],
                'physical_networks': ['prov', 'tenant'],
                'ironic_driver': 'redfish'}},
            'specs': [{'type': 'devstack', 'count': 30,
                       'node_name_prefix': 'bm-',
                       'ironic_config': {
                           'resource_class': 'large',
                           'properties': {'local_gb': 3},
                           'traits': ['CUSTOM_A', 'CUSTOM_B']}}],
            'nova_flavors': [{'name': "bm 'large'",
                              'resource_class': 'large',
                              'node_type': 'devstack',
                              'required_traits': ['CUSTOM_A', 'CUSTOM_B'],
                              'custom_specs': {
                                  'capabilities:boot_mode': 'bios',
                                  'cpu_arch': 'x86_64'}}],
            'physnet_mappings': {'prov': 'brprov', 'tenant': 'tkdsnone0'},
            'default_boot_mode': 'bios',
            'deploy_kernel': 'k1',
            'wait_for_placement': True,
            'bmc_emulators': {'ipmi': 'tenks-ipmi'},
        }, self.yaml(cluster))
        # The copies for the job's logs hold no password.
        logged = os.path.join(log_dir, 'etc')
        self.assertEqual(['mine.yaml', 'tenks.conf'],
                         sorted(os.listdir(logged)))
        masked = self.ini(os.path.join(logged, 'tenks.conf'))
        self.assertEqual(('***', '***', 'bmcuser'), (
            masked['ipmi']['password'], masked['redfish']['password'],
            masked['ipmi']['username']))
        self.assertEqual(self.yaml(cluster), self.yaml(
            os.path.join(logged, 'mine.yaml')))

    def test_post_config_own_cluster_file(self):
        own = os.path.join(self.workdir, 'own.yaml')
        with open(own, 'w') as stream:
            yaml.safe_dump({
                'node_types': {'t': {'memory_mb': 128, 'vcpus': 1}},
                'specs': [{'type': 't', 'count': 1}]}, stream)
        result = self.phase('stack', 'post-config', TENKS_CONFIG_FILE=own,
                            **self.conf_dir())
        self.assertIn('%s: valid: 1 node(s)' % own, result.stdout)
        etc = os.path.join(self.workdir, 'etc')
        self.assertEqual(['tenks.conf'], os.listdir(etc))
        self.assertEqual('devstack-admin',
                         self.ini(os.path.join(etc, 'tenks.conf'))[
                             'ironic']['cloud'])
        # A file Tenks rejects stops stack.sh at post-config.
        with open(own, 'a') as stream:
            stream.write('no_such_key: 1\n')
        result = self.phase('stack', 'post-config', check=False,
                            TENKS_CONFIG_FILE=own, **self.conf_dir())
        self.assertNotEqual(0, result.returncode)
        self.assertIn('no_such_key', result.stderr)
        self.assertIn('[ERROR]', result.stderr)
        self.assertIn('Tenks rejected %s' % own, result.stderr)
        missing = os.path.join(self.workdir, 'missing.yaml')
        result = self.phase('stack', 'post-config', check=False,
                            TENKS_CONFIG_FILE=missing, **self.conf_dir())
        self.assertNotEqual(0, result.returncode)
        self.assertIn('TENKS_CONFIG_FILE %s does not exist' % missing,
                      result.stderr)

    def fake_tenks(self):
        """A venv whose tenks records its command line."""
        venv = os.path.join(self.workdir, 'venv')
        os.makedirs(os.path.join(venv, 'bin'))
        path = os.path.join(venv, 'bin', 'tenks')
        with open(path, 'w') as stream:
            stream.write(FAKE_TENKS)
        os.chmod(path, stat.S_IRWXU)
        self.environ.update(self.conf_dir(), DEVSTACK_VENV=venv,
                            OS_CLIENT_CONFIG_FILE='/x/clouds.yaml')
        return path

    def test_deploy_and_teardown_follow_the_plugin_order(self):
        self.fake_tenks()
        self.phase('stack', 'post-config')
        etc = os.path.join(self.workdir, 'etc')
        conf = os.path.join(etc, 'tenks.conf')
        cluster = os.path.join(etc, 'cluster.yaml')
        self.assertIn('tenks --config-file %s validate %s' % (conf, cluster),
                      self.recorded())
        run = 'tenks --config-file %s ' % conf
        # Deployed, listed, and listed for Ironic's VM MACs file.
        deploy = [run + 'deploy ' + cluster, run + 'list ' + cluster,
                  run + 'list -f json ' + cluster]
        # Enabled after ironic: Ironic runs when Tenks' extra phase comes.
        for phase, wanted in (('extra', deploy), ('test-config', [])):
            self.phase('stack', phase, DEVSTACK_PLUGINS='ironic,tenks')
            self.assertEqual(wanted, self.recorded(), phase)
        # Enabled before: Ironic starts after it; deploy at test-config.
        for phase, wanted in (('extra', []), ('test-config', deploy)):
            self.phase('stack', phase,
                       DEVSTACK_PLUGINS='other,tenks,x,ironic')
            self.assertEqual(wanted, self.recorded(), phase)
        self.phase('stack', 'extra', TENKS_DEBUG='True')
        self.assertEqual(run + '--debug deploy ' + cluster,
                         self.recorded()[0])
        # The MACs file, from what tenks list says (nothing, here).
        self.assertEqual('', pathlib.Path(
            self.dest, 'data', 'ironic', 'ironic_macs.csv').read_text())
        # A deploy that fails stops stack.sh.
        result = self.phase('stack', 'extra', check=False,
                            FAKE_DEPLOY_STATUS='1')
        self.assertNotEqual(0, result.returncode)
        self.assertIn('tenks deploy %s failed' % cluster, result.stderr)
        self.assertEqual(deploy[:1], self.recorded())

    def test_unstack_and_clean(self):
        tenks = self.fake_tenks()
        self.phase('stack', 'post-config')
        self.recorded()
        etc = os.path.join(self.workdir, 'etc')
        state_dir = os.path.join(self.dest, 'data', 'tenks')
        log_dir = os.path.join(self.dest, 'logs', 'tenks')
        # No state file: nothing was deployed, or teardown already ran.
        self.phase('unstack')
        self.assertEqual([], self.recorded())
        os.makedirs(state_dir)
        # Post-config made it, for the configuration's masked copies.
        self.assertTrue(os.path.isdir(log_dir))
        state = os.path.join(state_dir, 'state.json')
        open(state, 'w').close()
        self.phase('unstack')
        teardown = ('tenks --config-file %s/tenks.conf teardown '
                    '%s/cluster.yaml' % (etc, etc))
        self.assertEqual(teardown, self.recorded()[0])
        # Ironic stopped first: unstack.sh goes on, the cluster stays.
        result = self.phase('unstack', FAKE_TEARDOWN_STATUS='1')
        self.assertIn('[WARNING]', result.stdout)
        # DevStack's warn prints one message: the advice is all there.
        self.assertIn('tenks teardown failed and left the cluster; with '
                      'Ironic up, run: sudo %s --config-file %s/tenks.conf '
                      'teardown %s/cluster.yaml' % (tenks, etc, etc),
                      result.stdout)
        self.assertEqual(teardown, self.recorded()[0])
        result = self.phase('clean')
        self.assertIn('still records a cluster', result.stdout)
        self.assertEqual(['cluster.yaml', 'tenks.conf'], sorted(
            os.listdir(etc)))
        self.assertTrue(os.path.exists(state))
        self.assertTrue(os.path.exists(log_dir))
        os.unlink(state)
        self.phase('clean')
        self.assertEqual([], os.listdir(etc))
        self.assertFalse(os.path.exists(state_dir))
        self.assertFalse(os.path.exists(log_dir))


class TestAgainstIronic(DevStackMixin, test_ironic.IronicTestCase):
    """extra, unstack and clean with the real tenks and a real Ironic."""

    def setUp(self):
        super().setUp()
        self.devstack_setup()
        conf = self.ini(self.conf_file)
        # The test's names, so that the base class finds any leftover:
        # tenks.conf and the cluster file at the paths its sweep uses.
        self.environ.update({
            'TENKS_CONF_DIR': self.workdir,
            'TENKS_CLUSTER_FILE': os.path.join(self.workdir, 'cluster.yaml'),
            'TENKS_STATE_DIR': os.path.dirname(self.state_file),
            'TENKS_LOG_DIR': os.path.join(self.workdir, 'log'),
            'TENKS_CLOUD': self.ironic.cloud_name,
            'TENKS_NODE_NAME_PREFIX': self.node_prefix,
            'TENKS_BRIDGE_PREFIX': self.bridge_prefix,
            'TENKS_POOL_NAME': self.pool,
            'TENKS_POOL_PATH': os.path.join(self.workdir, 'pool'),
            'TENKS_IPMI_PORT_RANGE_START': str(self.ipmi_start),
            'TENKS_IPMI_PORT_RANGE_END': str(self.ipmi_start + 3),
            'TENKS_VBMCD_CONTROL_PORT': conf['ipmi']['vbmcd_control_port'],
            'TENKS_NODE_MEMORY_MB': '256',
            'TENKS_NODE_DISK': '1GiB',
            'TENKS_PHYSNET_MAPPINGS': 'physnet1:%slb' % self.source_prefix,
        })

    def test_extra_unstack_clean(self):
        self.phase('stack', 'post-config')
        result = self.phase('stack', 'extra')
        self.assertIn('deploy: ', result.stdout)
        # Without Nova the flavor is skipped, with a warning.
        self.assertIn('nova_flavors: the cloud has no compute (Nova) '
                      'service', result.stderr)
        names = [self.node_prefix + '0', self.node_prefix + '1']
        for name in names:
            self.assertIn(name, result.stdout)     # tenks list
        self.assertEqual(names, sorted(
            node['name'] for node in self.baremetal('node', 'list')))
        for name in names:
            node = self.baremetal('node', 'show', name)
            self.assertEqual(('manageable', 'ipmi', 'baremetal'), (
                node['provision_state'], node['driver'],
                node['resource_class']))
            self.assertEqual('boot_mode:uefi',
                             node['properties']['capabilities'])
            # No Glance to resolve DevStack's image names: given as they are.
            self.assertEqual(
                ('ir-deploy-ipmi.kernel', 'ir-deploy-ipmi.initramfs'),
                (node['driver_info']['deploy_kernel'],
                 node['driver_info']['deploy_ramdisk']))
        ports = self.baremetal('port', 'list', '--long')
        self.assertEqual(['physnet1', 'physnet1'],
                         [port['physical_network'] for port in ports])
        self.assertTrue(os.path.exists(self.state_file))
        # Ironic's VM MACs file, as its create_bridge_and_vms writes it:
        # "mac,port <BMC port> <bridge MAC> <bridge>", a line a node.
        nodes = self.state()['nodes']
        bridge = self.source_prefix + 'lb'
        with open('/sys/class/net/%s/address' % bridge) as stream:
            bridge_mac = stream.read().strip()
        # In node name order, as Ironic's are.
        self.assertEqual(['%s,%s %s %s %s' % (
            node['nics'][0]['mac'], node['nics'][0]['veth_bridge'],
            node['bmc']['port'], bridge_mac, bridge)
            for _, node in sorted(nodes.items())], pathlib.Path(
                self.dest, 'data', 'ironic', 'ironic_macs.csv').read_text(
                ).splitlines())
        # Console logs where Ironic keeps its VMs'.
        for name in names:
            link = os.path.join(self.dest, 'data', 'ironic', 'logs',
                                name + '_console.log')
            self.assertEqual(os.path.join(self.workdir, 'log', 'console',
                                          name + '.log'), os.readlink(link))

        # Ironic still up (Tenks enabled before Ironic): all goes.
        result = self.phase('unstack')
        self.assertNotIn('WARNING', result.stdout)
        self.assertEqual([], self.baremetal('node', 'list'))
        self.assertEqual([], self.baremetal('port', 'list'))
        self.assertEqual([], self.leftovers())
        self.assertFalse(os.path.exists(self.state_file))

        # Ironic's plugin, enabled first (Zuul's order), has stopped Ironic:
        # the hypervisor's part goes all the same, and what is left in
        # Ironic for its own clean-up is named.
        self.phase('stack', 'extra')
        uuids = {node['name']: node['uuid']
                 for node in self.baremetal('node', 'list')}
        self.assertEqual(names, sorted(uuids))
        self.phase('stack', 'post-config', TENKS_CLOUD='tenks-down')
        result = self.phase('unstack')
        for name in names:
            self.assertIn("Left to Ironic's own clean-up: node %s (%s)" % (
                name, uuids[name]), result.stderr)
        self.assertIn('tenks teardown could not remove the cluster from '
                      'Ironic: it removed the nodes from this host',
                      result.stdout)
        self.assertEqual([], self.leftovers())
        self.assertFalse(os.path.exists(self.state_file))
        self.phase('clean')
        for path in ('state', 'log', 'cluster.yaml', 'tenks.conf'):
            self.assertFalse(os.path.exists(os.path.join(self.workdir,
                                                         path)), path)
        # Ironic's clean-up, played by the test.
        self.assertEqual(sorted(uuids.values()), sorted(
            node['uuid'] for node in self.baremetal('node', 'list')))
        for uuid in uuids.values():
            base.run([test_ironic.OPENSTACK, 'baremetal', 'node', 'delete',
                      uuid])
