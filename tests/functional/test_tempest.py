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

"""The Tenks Tempest plugin, run by `tempest run`, against Ironic behind a
real Keystone, on a cluster Tenks enrolled through that Keystone."""

import configparser
import os
import re
import sys
import urllib.error
import urllib.request

from testtools import content

from tests.functional import base
from tests.functional import servers
from tests.functional import test_ironic

TEMPEST = os.path.join(os.path.dirname(sys.executable), 'tempest')
TESTS = 'tenks_tempest_plugin.tests.test_verify.TenksVerifyTest.'


class TestTempestPlugin(test_ironic.IronicTestCase):

    with_keystone = True

    def test_verify_through_tempest(self):
        self.assert_ironic_needs_a_token()
        path = self.two_nodes()
        self.tenks('deploy', path)
        nodes = self.state()['nodes']
        self.assertEqual(sorted(nodes), sorted(
            node['name'] for node in self.baremetal('node', 'list')))
        workspace = self.tempest_workspace()

        # The class skips as a whole (tempest run exits 1: none passed).
        result = self.tempest_run(workspace, 'no-cluster')
        self.assertEqual({'Passed': 0, 'Skipped': 1, 'Failed': 0},
                         self.totals(result.stdout))
        self.assertIn('SKIPPED: [tenks] names no state_file or cluster_file',
                      result.stdout)

        # The plugin is its own distribution: Tempest's environment runs
        # the tenks command, here the test venv's.
        cluster = {'config_file': self.conf_file, 'cluster_file': path,
                   'cloud': self.ironic.cloud_name,
                   'tenks_command': base.TENKS}
        result = self.tempest_run(workspace, 'not-available', available=False,
                                  **cluster)
        self.assertEqual({'Passed': 0, 'Skipped': 1, 'Failed': 0},
                         self.totals(result.stdout))
        self.assertIn('SKIPPED: service_available.tenks is False',
                      result.stdout)
        # The pxe check waits for a DHCP reply: a server on physnet1.
        servers.Server(self, 'linuxbridge', self.source_prefix + 'lb')
        result = self.tempest_run(workspace, 'probes', power_cycle='true',
                                  pxe='true', **cluster)
        self.assertEqual(0, result.returncode, result.stdout)
        self.assertEqual({'Passed': 7, 'Skipped': 0, 'Failed': 0},
                         self.totals(result.stdout))

        broken = self.node_prefix + '1'
        base.run(['virsh', 'setmaxmem', broken, '512M', '--config'])
        result = self.tempest_run(workspace, 'broken', **cluster)
        self.assertNotEqual(0, result.returncode, result.stdout)
        self.assertEqual({'Passed': 4, 'Skipped': 2, 'Failed': 1},
                         self.totals(result.stdout))
        # subunit-trace's lines: "{worker} test.id [time] ... FAILED".
        failed = re.findall(r'^\{\d+\} (\S+) .*\.\.\. FAILED$',
                            result.stdout, re.M)
        self.assertEqual([TESTS + 'test_domain'], failed)
        self.assertIn('domain check failed on 1 of 2 node(s):\n%s: '
                      'memory_mb is 512, recorded 256' % broken,
                      result.stdout)

        self.tenks('teardown', path)
        self.assertEqual([], self.baremetal('node', 'list'))
        self.assertEqual([], self.leftovers())
        self.assert_stopped_together()

    def assert_ironic_needs_a_token(self):
        # Proves Keystone is in the path: Ironic refuses anonymous calls.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        err = self.assertRaises(urllib.error.HTTPError, opener.open,
                                self.ironic.endpoint + '/v1/nodes')
        self.assertEqual(401, err.code)

    def assert_stopped_together(self):
        keystone_pid = self.ironic.keystone.pid()
        self.assertIsNotNone(keystone_pid)
        self.assertTrue(self.ironic.stop())
        self.assertIsNone(self.ironic.keystone.pid())
        self.assertFalse(os.path.exists('/proc/%d' % keystone_pid))

    def tempest_workspace(self):
        workspace = os.path.join(self.workdir, 'tempest')
        # Its own (empty) global config dir and workspace registry: else
        # tempest init creates ~/.tempest/etc and writes ~/.tempest.
        config_dir = os.path.join(self.workdir, 'tempest-etc')
        os.mkdir(config_dir)
        base.run([TEMPEST, 'init', '--config-dir', config_dir,
                  '--workspace-path',
                  os.path.join(self.workdir, 'workspaces.yaml'), workspace])
        return workspace

    def tempest_run(self, workspace, name, available=True, **tenks):
        """Run the tenks tests with tempest.conf's [tenks] as given."""
        keystone = self.ironic.keystone
        # Identity as a DevStack job's tempest.conf has it, though the
        # tenks tests ask Tempest for no credentials.
        settings = {
            'identity': {'uri_v3': keystone.auth_url, 'region': 'RegionOne'},
            'auth': {'admin_username': 'admin',
                     'admin_password': keystone.admin_password,
                     'admin_project_name': 'admin',
                     'admin_domain_name': 'Default',
                     'use_dynamic_credentials': 'false'},
            'service_available': {'tenks': str(available).lower()},
            'tenks': tenks,
        }
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_dict(settings)
        with open(os.path.join(workspace, 'etc', 'tempest.conf'),
                  'w') as stream:
            parser.write(stream)
        result = base.run([TEMPEST, 'run', '--serial', '--regex', 'tenks'],
                          check=False, cwd=workspace)
        self.addDetail('tempest-run-' + name, content.text_content(
            result.stdout + result.stderr))
        return result

    def totals(self, output):
        return {key: int(value) for key, value in re.findall(
            r'^ - (Passed|Skipped|Failed): (\d+)', output, re.M)}
