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

"""The DevStack plugin through real DevStack and Ironic's real plugin.

../shared/devstack-harness runs devstack/settings and devstack/plugin.sh
phase by phase (stack, unstack, clean) through DevStack's real function
library and openstack/ironic's real devstack plugin, with host-changing
commands recorded instead of run; .zuul scenarios get their local.conf
from DevStack's own write-devstack-local-conf module. This module runs
its own scenarios through a copy of the harness: Tenks alone, offline,
the project's tenks-devstack job, an ironic-base job with Tenks swapped
in (in the order Zuul writes, and the other), and a failing teardown.
"""

import configparser
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import testtools
from testtools import content
import yaml

from tests.functional import base

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / 'shared'
HARNESS = SHARED / 'devstack-harness'
VENDOR = SHARED / 'vendor'
CHAIN = ('@DEVSTACK_SRC@/.zuul.yaml:devstack-base '
         '@DEVSTACK_SRC@/.zuul.yaml:devstack-minimal '
         '@DEVSTACK_SRC@/.zuul.yaml:devstack ')
TENKS_PLUGIN = 'enable_plugin tenks https://opendev.org/openstack/tenks'
IRONIC_PLUGIN = 'enable_plugin ironic https://opendev.org/openstack/ironic'
# An ironic-base job's localrc (openstack/ironic zuul.d), by hand, so that
# tenks can come first: Zuul always writes ironic first.
IRONIC_BASE = '''
disable_all_services
enable_service key mysql rabbit g-api q-svc q-agt q-dhcp q-l3 q-meta
enable_service n-api n-cond n-cpu n-sch placement-api tempest
IRONIC_BAREMETAL_BASIC_OPS=True
IRONIC_DEPLOY_DRIVER=ipmi
IRONIC_VM_COUNT=2
IRONIC_VM_EPHEMERAL_DISK=1
IRONIC_VM_LOG_DIR=@DEST@/ironic-bm-logs
IRONIC_VM_SPECS_CPU=2
IRONIC_VM_SPECS_DISK=4
IRONIC_VM_SPECS_RAM=2750
VIRT_DRIVER=ironic
Q_AGENT=openvswitch
TEMPEST_CONFIG_DIR=@DEST@/data
'''
SCENARIOS = {
    't1-alone.localrc': 'disable_all_services\nenable_service key mysql\n'
                        + TENKS_PLUGIN + '\n',
    't2-offline.localrc': 'disable_all_services\nenable_service key mysql\n'
                          'OFFLINE=True\n' + TENKS_PLUGIN + '\n',
    't3-zuul-tenks-devstack.zuul':
        CHAIN + '@TENKS_SRC@/zuul.d/jobs.yaml:tenks-devstack\n',
    't4-zuul-ironic-base.zuul':
        CHAIN + '@IRONIC_SRC_ZUUL@:ironic-base\n--extra\n'
        'devstack_plugins: {tenks: https://opendev.org/openstack/tenks}\n'
        'devstack_services: {tempest: true}\n'
        # The harness only records configure_tempest: a directory that
        # exists for tempest.conf ('/opt/stack' is the sandbox's DEST).
        'devstack_localrc: {TEMPEST_CONFIG_DIR: /opt/stack/data}\n',
    't5-ironic-base-tenks-first.localrc':
        IRONIC_BASE + TENKS_PLUGIN + '\n' + IRONIC_PLUGIN + '\n',
    't6-teardown-fails.localrc':
        IRONIC_BASE + IRONIC_PLUGIN + '\n' + TENKS_PLUGIN + '\n',
    # Ironic gone: the teardown fails, the one leaving Ironic works.
    't6-teardown-fails.env': 'HARNESS_SUDO_FAIL=tenks.* teardown /\n',
    't7-teardown-fails-twice.localrc':
        IRONIC_BASE + IRONIC_PLUGIN + '\n' + TENKS_PLUGIN + '\n',
    't7-teardown-fails-twice.env': 'HARNESS_SUDO_FAIL=tenks.* teardown \n',
}


class Scenario:
    """What the harness left of one scenario."""

    def __init__(self, path):
        self.path = path
        self.sb = str(path)

    def rc(self, mode):
        return int((self.path / ('%s.rc' % mode)).read_text())

    def out(self, mode):
        return (self.path / ('%s.out' % mode)).read_text()

    def commands(self, phase=None):
        """Recorded commands, sandbox as $SB, of one phase or all."""
        found = []
        for line in (self.path / 'commands.log').read_text().splitlines():
            name, _, command = line.partition('|')
            if phase is None or name == phase:
                found.append(command.replace(self.sb, '$SB'))
        return found

    def etc(self, name):
        return self.path / 'after-stack-etc' / 'tenks' / name

    def cluster(self):
        return yaml.safe_load(self.etc('cluster.yaml').read_text())

    def conf(self):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(self.etc('tenks.conf'))
        return parser


class TestDevStackHarness(testtools.TestCase):
    """Every scenario runs once for the class (about 2 minutes)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix='tenks-dsh-'))
        try:
            cls._run()
        except Exception:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def _run(cls):
        # The harness as it is, beside the vendored sources it expects at
        # ../vendor, with these scenarios; DevStack copied writable (the
        # harness copies it into each sandbox, and shared/ is read-only).
        harness = cls.tmp / 'devstack-harness'
        shutil.copytree(HARNESS, harness, ignore=shutil.ignore_patterns(
            'scenarios', 'out'))
        os.chmod(harness, 0o755)
        (cls.tmp / 'vendor').symlink_to(VENDOR)
        scenarios = harness / 'scenarios'
        scenarios.mkdir()
        for name, text in SCENARIOS.items():
            (scenarios / name).write_text(text)
        devstack = cls.tmp / 'devstack'
        subprocess.run(['cp', '-r', '--no-preserve=mode',
                        str(VENDOR / 'devstack'), str(devstack)], check=True)
        cls.out = cls.tmp / 'out'
        environ = dict(os.environ, HARNESS_OUT=str(cls.out),
                       DEVSTACK_SRC=str(devstack),
                       # The harness's user cannot run the test venv's
                       # tenks: the tests validate as root instead.
                       HARNESS_REAL_TENKS='/nonexistent')
        os.chmod(cls.tmp, 0o755)
        result = subprocess.run([str(harness / 'run.sh')], cwd=str(ROOT),
                                env=environ, capture_output=True, text=True,
                                timeout=900)
        cls.summary = result.stdout + result.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def scenario(self, name, stack_rc=0):
        found = Scenario(self.out / name)
        self.addDetail('harness', content.text_content(self.summary))
        self.addDetail(name + '-stack', content.text_content(
            found.out('stack')[-20000:]))
        self.assertEqual((stack_rc, 0, 0), (
            found.rc('stack'), found.rc('unstack'), found.rc('clean')))
        for mode in ('stack', 'unstack', 'clean'):
            self.assertNotIn('MISSING-COMMAND', '\n'.join(found.commands()))
            self.assertNotIn('unbound variable', found.out(mode))
        return found

    def assert_valid(self, found):
        """The cluster file post-config wrote, checked by the real tenks."""
        result = base.run([base.TENKS, '--config-file',
                           str(found.etc('tenks.conf')), 'validate',
                           str(found.etc('cluster.yaml'))])
        self.assertIn('valid:', result.stdout)

    def assert_order(self, commands, *wanted):
        """Each of wanted (regexes) matches a command, in that order."""
        at = -1
        for pattern in wanted:
            hits = [i for i, command in enumerate(commands)
                    if i > at and re.search(pattern, command)]
            self.assertTrue(hits, '%s after %s in:\n%s' % (
                pattern, wanted, '\n'.join(commands)))
            at = hits[0]

    def test_alone(self):
        found = self.scenario('t1-alone')
        install = found.commands('stack install')
        # libvirt through DevStack's install_libvirt, OVS with
        # install_package; Tenks with setup_develop, constrained.
        self.assert_order(
            install, 'apt-get .* install qemu-system libvirt-clients',
            'apt-get .* install openvswitch-switch',
            r'edit-constraints \$SB/opt/stack/requirements/'
            'upper-constraints.txt -- tenks',
            r'venv-pip install -c \$SB/opt/stack/requirements/'
            r'upper-constraints.txt -e \$SB/opt/stack/tenks')
        self.assertFalse([c for c in found.commands()
                          if 'setup-host.sh' in c])
        self.assert_valid(found)
        cluster = found.cluster()
        node_type = cluster['node_types']['devstack']
        self.assertEqual((3072, 1, [{'capacity': '11GiB'}], ['public']), (
            node_type['memory_mb'], node_type['vcpus'],
            node_type['volumes'], node_type['physical_networks']))
        self.assertEqual({'public': 'brbm'}, cluster['physnet_mappings'])
        self.assertEqual(('manageable', 'tenks-', 'systemd'), (
            found.conf()['ironic']['target_state'],
            cluster['specs'][0]['node_name_prefix'],
            # BMC daemons as systemd units, as DevStack runs services.
            found.conf()['DEFAULT']['daemon_supervisor']))
        # Nothing makes brbm here: the plugin does, marked, and only it
        # removes it again.
        self.assertIn('sudo ovs-vsctl -- --may-exist add-br brbm -- '
                      'br-set-external-id brbm tenks-devstack owner',
                      found.commands('stack post-config'))
        self.assert_order(found.commands('stack extra'), 'tenks .* deploy ',
                          'tenks .* list -f json')
        self.assert_order(found.commands('unstack'), 'tenks .* teardown ',
                          'br-get-external-id brbm tenks-devstack')
        # The recorded teardown left the harness's state file: clean keeps
        # what a later teardown needs (test_devstack sees it go for real).
        self.assertIn('still records a cluster: keeping', found.out('clean'))
        self.assertIn('sudo rm -f /etc/sudoers.d/tenks-tempest',
                      found.commands('clean'))

    def test_offline(self):
        found = self.scenario('t2-offline')
        install = '\n'.join(found.commands('stack install'))
        # Nothing installed (install_libvirt's own apt-get update aside).
        self.assertNotRegex(install, 'apt-get .*install')
        self.assertNotIn('venv-pip install', install)
        self.assertIn('edit-constraints', install)
        self.assert_valid(found)

    def test_zuul_tenks_devstack(self):
        found = self.scenario('t3-zuul-tenks-devstack')
        localconf = (found.path / 'zuul-local.conf').read_text()
        self.assertLess(localconf.index('enable_plugin ironic'),
                        localconf.index('enable_plugin tenks'))
        self.assert_valid(found)
        self.assertIn('sudo ovs-vsctl -- --may-exist add-br brbm -- '
                      'br-set-external-id brbm tenks-devstack owner',
                      found.commands('stack post-config'))
        # Ironic first: it runs when Tenks' extra comes.
        self.assert_order(found.commands('stack extra'),
                          'calls start_ironic', 'calls enroll_nodes',
                          'tenks .* deploy ')
        self.assertFalse([c for c in found.commands('stack test-config')
                          if ' deploy ' in c])
        # ... and has stopped when Tenks' unstack comes.
        self.assert_order(found.commands('unstack'), 'calls stop_ironic',
                          'tenks .* teardown ')

    def assert_swapped_in(self, found):
        self.assert_valid(found)
        cluster = found.cluster()
        node_type = cluster['node_types']['devstack']
        # Ironic's VMs: 2750 MB, 2 vCPUs, a DISK+1 GiB volume, 2 NICs.
        self.assertEqual({
            'memory_mb': 2750, 'vcpus': 2, 'arch': 'x86_64',
            'volumes': [{'capacity': '5GiB'}],
            'physical_networks': ['public', 'public'],
            'ironic_driver': 'ipmi'}, node_type)
        spec = cluster['specs'][0]
        self.assertEqual({'type': 'devstack', 'count': 2,
                          'node_name_prefix': 'node-', 'ironic_config': {
                              'resource_class': 'baremetal',
                              'properties': {'local_gb': 4},
                              'traits': ['CUSTOM_GOLD']}}, spec)
        self.assertEqual([{
            'name': 'tenks-baremetal', 'resource_class': 'baremetal',
            'node_type': 'devstack', 'required_traits': ['CUSTOM_GOLD'],
            'custom_specs': {'capabilities:boot_mode': 'uefi',
                             'cpu_arch': 'x86_64'}}], cluster['nova_flavors'])
        self.assertTrue(cluster['wait_for_placement'])
        conf = found.conf()
        self.assertEqual(('available', '10.0.0.10', '6230', 'admin',
                          'password', 'True'), (
            conf['ironic']['target_state'], conf['ipmi']['address'],
            conf['ipmi']['port_range_start'], conf['ipmi']['username'],
            conf['ipmi']['password'], conf['libvirt']['console_log_enabled']))
        # The job's logs get the configuration with its passwords masked.
        logged = found.path / 'opt' / 'stack' / 'logs' / 'tenks' / 'etc'
        masked = configparser.ConfigParser(interpolation=None)
        masked.read(logged / 'tenks.conf')
        self.assertEqual(('***', '***', 'admin'), (
            masked['ipmi']['password'], masked['redfish']['password'],
            masked['ipmi']['username']))
        self.assertEqual(cluster, yaml.safe_load(
            (logged / 'cluster.yaml').read_text()))
        # Ironic's lib saw IRONIC_VM_COUNT=0: it builds no VM of its own.
        self.assertRegex(found.out('stack'), r'lib/ironic:\S*:\d+ *: *'
                         r'IRONIC_VM_COUNT=0\n')
        self.assertNotIn('add-br brbm -- br-set-external-id',
                         '\n'.join(found.commands()))
        test_config = found.commands('stack test-config')
        self.assert_order(test_config, 'install_tempest_plugins|'
                          'lib/tempest configure_tempest',
                          'tee /etc/sudoers.d/tenks-tempest')
        variables = (found.path / 'vars-stack.txt').read_text()
        self.assertIn('TENKS_TEMPEST_PLUGIN_DIR=%s/opt/stack/tenks/'
                      'tempest-plugin' % found.sb, variables)
        tempest = configparser.ConfigParser(interpolation=None)
        tempest.read(found.path / 'opt' / 'stack' / 'data' / 'tempest.conf')
        etc = found.sb + '/etc/tenks'
        self.assertEqual({
            'config_file': etc + '/tenks.conf',
            'cluster_file': etc + '/cluster.yaml',
            'cloud': 'devstack-admin',
            'tenks_command': 'sudo -n %s/opt/stack/data/venv/bin/tenks'
                             % found.sb}, dict(tempest['tenks']))
        self.assertEqual('True', tempest['service_available']['tenks'])
        links = [c for c in found.commands('stack extra') + test_config
                 if 'ln -sf' in c]
        self.assertEqual([
            r'sudo ln -sf $SB/opt/stack/logs/tenks/console/node-%d.log '
            r'$SB/opt/stack/ironic-bm-logs/node-%d_console.log' % (i, i)
            for i in range(2)], links)

    def test_zuul_ironic_base_swapped(self):
        found = self.scenario('t4-zuul-ironic-base')
        self.assert_swapped_in(found)
        self.assert_order(found.commands('stack extra'),
                          'calls create_bridge_and_vms', 'calls enroll_nodes',
                          'tenks .* deploy ', 'tenks .* list -f json')
        self.assert_order(found.commands('stack test-config'),
                          'calls ironic_configure_tempest',
                          'tee /etc/sudoers.d/tenks-tempest')

    def test_ironic_base_tenks_first(self):
        found = self.scenario('t5-ironic-base-tenks-first')
        self.assert_swapped_in(found)
        self.assertFalse([c for c in found.commands('stack extra')
                          if ' deploy ' in c])
        # Deployed once every extra phase (Ironic's start) has run.
        self.assert_order(found.commands('stack test-config'),
                          'tenks .* deploy ', 'calls ironic_configure_tempest')
        # Torn down while Ironic still runs.
        self.assert_order(found.commands('unstack'), 'tenks .* teardown ',
                          'calls stop_ironic')

    def test_teardown_without_ironic(self):
        found = self.scenario('t6-teardown-fails')
        # Ironic's plugin stopped Ironic first: the teardown that leaves
        # Ironic's records removes what is on the host.
        self.assert_order(found.commands('unstack'), 'calls stop_ironic',
                          r'tenks .* teardown \$SB/etc/tenks/cluster.yaml',
                          'made to fail',
                          r'tenks .* teardown --leave-ironic \$SB/etc/')
        self.assertRegex(found.out('unstack'), (
            r'\[WARNING\] \S+:\d+ tenks teardown could not remove the '
            r'cluster from Ironic: it removed the nodes from this host and '
            r'left their Ironic records, named above, to Ironic\'s own '
            r'clean-up'))

    def test_teardown_fails(self):
        found = self.scenario('t7-teardown-fails-twice')
        # DevStack's real warn prints one message: all of it.
        self.assertRegex(found.out('unstack'), (
            r'\[WARNING\] \S+:\d+ tenks teardown failed and left the '
            r'cluster; with Ironic up, run: sudo .*/tenks --config-file '
            r'.*/tenks.conf teardown .*/cluster.yaml'))
        self.assertIn('still records a cluster: keeping', found.out('clean'))
        self.assertFalse([c for c in found.commands('clean')
                          if 'rm -rf' in c and 'data/tenks' in c])
