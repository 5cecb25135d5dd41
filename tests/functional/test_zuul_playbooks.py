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

"""tenks-deploy-base's playbooks, run for real on this host as Zuul would.

ansible-playbook runs the pre, run and post playbooks with a local
connection and the variables Zuul passes (``zuul.projects`` and
``ansible_user_dir``, here a directory of the test), on the test's own
names so that the base class finds and removes any leftover.
"""

import configparser
import json
import os
import pathlib
import re
import secrets
import shutil
import subprocess
import sys
import time

from testtools import content
import yaml

from tenks.standalone import ironic
from tenks.standalone import loopback
from tenks.standalone import provisioning
from tests.functional import base
from tests.functional import test_deploy

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / 'playbooks' / 'tenks-deploy'
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable),
                                'ansible-playbook')
# The venv the tests run in holds tenks and ironic: pre-run uses it as it
# is rather than building one (the install tasks are linted in tests/zuul).
VENV = os.path.dirname(os.path.dirname(base.TENKS))
PROJECT = 'opendev.org/openstack/tenks'


class TestDeployJob(test_deploy.DeployTestCase):

    def setUp(self):
        super().setUp()
        # Zuul's checkouts live under the job user's home, which the base
        # job's post-run reads zuul-output/logs from.
        self.home = os.path.join(self.workdir, 'home')
        checkout = os.path.join(self.home, 'src', PROJECT)
        os.makedirs(os.path.dirname(checkout))
        os.symlink(ROOT, checkout)
        self.logs = os.path.join(self.home, 'zuul-output', 'logs', 'tenks')
        self.source_bridge = self.source_prefix + 'lb'
        self.addCleanup(base.run, ['ip', 'link', 'del', self.source_bridge],
                        check=False)
        # The run starts it; this object finds it, and stops it whatever
        # happens, with its provisioning network.
        self.ironic = ironic.StandaloneIronic(
            os.path.join(self.workdir, 'ironic'), loopback.find_free_port(),
            provisioning_device=self.source_prefix + 'pz')
        self.addCleanup(self.ironic.stop)
        self.variables = self.job_variables()

    def job_variables(self):
        cluster_path = self.cluster(
            node_types={'small': {'memory_mb': 256, 'vcpus': 1,
                                  'volumes': [{'capacity': '1GiB'}],
                                  'physical_networks': ['physnet1'],
                                  'console_log_enabled': True}},
            specs=[{'type': 'small', 'count': 2,
                    'ironic_config': {'resource_class': 'zuul'}}],
            physnet_mappings={'physnet1': self.source_bridge},
            bridge_type='openvswitch', default_boot_mode='bios')
        with open(cluster_path) as stream:
            cluster = yaml.safe_load(stream)
        # The role writes tenks.conf where the base class wrote its own:
        # the same options, so that its sweep finds the same state.
        conf = read_conf(self.conf_file)
        # A password of the job's, which the logs must not show either.
        conf['ipmi']['password'] = secrets.token_urlsafe(12)
        src_dir = 'src/' + PROJECT
        return {
            'zuul': {
                'project': {'canonical_name': PROJECT, 'src_dir': src_dir},
                'projects': {PROJECT: {'canonical_name': PROJECT,
                                       'src_dir': src_dir,
                                       'required': False}},
            },
            'ansible_user_dir': self.home,
            # As a nodeset's python-path would; the default discovery may
            # find a shim of a Python manager here.
            'ansible_python_interpreter': sys.executable,
            # Zuul's user becomes root with sudo; here the test is root
            # already and sudo may not be installed.
            'ansible_become_method': 'su',
            'tenks_venv': VENV,
            'tenks_install': False,
            'tenks_workdir': self.workdir,
            'tenks_conf': conf,
            'tenks_ironic_port': self.ironic.port,
            'tenks_source_bridges': [self.source_bridge],
            'tenks_provisioning_device': self.ironic.provisioning.device,
            'tenks_cluster': cluster,
        }

    def playbook(self, name):
        """Run one playbook as Zuul would; fail with its output if it does."""
        extra_vars = os.path.join(self.workdir, 'zuul-vars.json')
        with open(extra_vars, 'w') as stream:
            json.dump(self.variables, stream)
        tmp = os.path.join(self.workdir, 'ansible-tmp')
        environ = dict(os.environ, ANSIBLE_ROLES_PATH=str(ROOT / 'roles'),
                       ANSIBLE_LOCAL_TEMP=tmp, ANSIBLE_REMOTE_TEMP=tmp,
                       ANSIBLE_NOCOLOR='1')
        argv = [ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local',
                '-e', '@' + extra_vars, str(PLAYBOOKS / name)]
        started = time.monotonic()
        result = subprocess.run(argv, env=environ, capture_output=True,
                                text=True, stdin=subprocess.DEVNULL)
        detail = name
        while detail in self.getDetails():
            detail += "'"   # post.yaml runs twice
        self.addDetail(detail, content.text_content('%.1f s\n%s%s' % (
            time.monotonic() - started, result.stdout, result.stderr)))
        if result.returncode:
            self.fail('%s failed (%d):\n%s\n%s' % (
                name, result.returncode, result.stdout[-8000:],
                result.stderr[-4000:]))
        return result.stdout

    def test_pre_run_post(self):
        self.playbook('pre.yaml')
        # Zuul runs post-run even when run failed before deploying.
        self.playbook('post.yaml')
        self.assertFalse(os.path.exists(os.path.join(self.logs,
                                                     'state.json')))
        self.assertTrue(os.path.exists(os.path.join(self.logs, 'host',
                                                    'virsh-list.txt')))
        shutil.rmtree(self.logs)

        self.playbook('run.yaml')
        names = [self.node_prefix + '0', self.node_prefix + '1']
        self.assert_deployed(names)
        # Something for the QEMU and console logs to hold; and a node
        # that PXE boots on the provisioning network the run plugged in.
        self.power(self.state()['nodes'][names[0]], 'on')
        self.wait_domstate(names[0], 'running')
        self.assert_provisioning_network(self.state()['nodes'][names[0]])
        password = self.state()['credentials']['ipmi_password']
        self.assertEqual(self.variables['tenks_conf']['ipmi']['password'],
                         password)

        self.playbook('post.yaml')
        self.assert_collected(names)
        # The logs are published: no BMC password in any of them.
        for directory, _, files in os.walk(self.logs):
            for name in files:
                with open(os.path.join(directory, name), 'rb') as stream:
                    self.assertNotIn(password.encode(), stream.read(), name)
        self.assertEqual([], self.leftovers())
        self.assertFalse(os.path.exists(self.state_file))
        self.assertIsNone(self.ironic.pid())
        self.assertFalse(os.path.exists(self.ironic.workdir))
        links = json.loads(base.run(['ip', '-j', 'link', 'show']).stdout)
        for device in (self.source_bridge, self.ironic.provisioning.device):
            self.assertNotIn(device, [link['ifname'] for link in links])
        self.assertNotIn(self.ironic.provisioning.namespace, base.run(
            ['ip', 'netns', 'list']).stdout)

    def assert_provisioning_network(self, node):
        """Its device on the source bridge; the node's DHCP answered."""
        network = self.ironic.provisioning
        link = json.loads(base.run(['ip', '-j', 'link', 'show', 'dev',
                                    network.device]).stdout)[0]
        self.assertEqual(self.source_bridge, link.get('master'))
        mac = node['nics'][0]['mac']
        log = network.workdir / 'dnsmasq.log'
        deadline = time.monotonic() + 180
        while not re.search(r'DHCPACK\(%s\) \S+ %s' % (
                provisioning.INNER_DEVICE, mac),
                            log.read_text(errors='replace')):
            if time.monotonic() > deadline:
                self.fail('no lease for %s on the provisioning network:\n%s'
                          % (mac, log.read_text(errors='replace')[-3000:]))
            time.sleep(1)

    def assert_deployed(self, names):
        domains = base.run(['virsh', 'list', '--all', '--name']).stdout
        for name in names:
            self.assertIn(name, domains.split())
        self.assertIsNotNone(self.ironic.pid())
        environ = dict(os.environ, OS_CLOUD=self.ironic.cloud_name,
                       OS_CLIENT_CONFIG_FILE=str(self.ironic.clouds_yaml))
        listing = json.loads(base.run(
            [base.TENKS, '--config-file', self.conf_file, 'list', '-f',
             'json', os.path.join(self.workdir, 'cluster.yaml')],
            env=environ).stdout)
        self.assertEqual([(name, 'manageable') for name in names],
                         [(row['Node'], row['Provision state'])
                          for row in listing])

    def assert_collected(self, names):
        def read(*path):
            with open(os.path.join(self.logs, *path)) as stream:
                return stream.read()

        self.assertEqual(self.variables['tenks_cluster'],
                         yaml.safe_load(read('cluster.yaml')))
        conf = read('tenks.conf')
        self.assertIn('state_dir = %s/state' % self.workdir, conf)
        self.assertIn('password = ********', conf)
        state = json.loads(read('state.json'))
        self.assertEqual(names, sorted(state['nodes']))
        self.assertEqual('********', state['credentials']['ipmi_password'])
        self.assertEqual(names, sorted(
            row['Node'] for row in yaml.safe_load(read('tenks-list.yaml'))))
        self.assertIn('Ironic', read('ironic.log'))
        for name in names:
            self.assertIn('<name>%s</name>' % name,
                          read('libvirt', name + '.xml'))
        self.assertIn('qemu-system', read('libvirt', names[0] + '.log'))
        # The BMC emulator's log, and the console of the node that ran.
        self.assertIn('Started vBMC instance for domain %s' % names[0],
                      read('tenks-logs', 'vbmcd.log'))
        self.assertTrue(os.path.exists(os.path.join(
            self.logs, 'tenks-logs', 'console', names[0] + '.log')))
        self.assertIn(self.bridge_prefix, read('host', 'ovs-vsctl-show.txt'))
        self.assertIn(self.source_bridge, read('host', 'ip-link.txt'))
        self.assertIn(names[0], read('host', 'virsh-list.txt'))


def read_conf(path):
    """tenks.conf's options as {section: {option: value}}."""
    # DEFAULT as a section like the others, as tenks.conf reads it.
    parser = configparser.ConfigParser(default_section='(none)',
                                       interpolation=None)
    with open(path) as stream:
        parser.read_file(stream)
    return {section: dict(parser[section]) for section in parser.sections()}
