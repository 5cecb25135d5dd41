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

"""Two clusters on one host, each with its own state directory.

Neither reaches the other's vbmcd: each gets a control port of its own,
and one configured onto the other's port is refused on one line before
it asks that vbmcd anything.
"""

import configparser
import json
import os
import shutil

from tests.functional import base
from tests.functional import test_deploy
from tests.functional import test_ironic


class TestSharedHost(test_deploy.DeployTestCase):

    def setUp(self):
        super().setUp()
        # vbmcd_control_port unset, as a user would leave it.
        with open(self.conf_file, 'w') as stream:
            stream.write('[DEFAULT]\nstate_dir = %s\n' % os.path.join(
                self.workdir, 'state'))
        self.linux_bridge(self.source_prefix + 'lb')
        self.other_state = os.path.join(self.workdir, 'other', 'state.json')
        self.other_pool = self.pool + 'b'
        self.addCleanup(self._sweep_other)

    def cluster_of(self, other=False):
        path = self.cluster(
            node_types={'small': test_ironic._node_type('physnet1')},
            specs=[{'type': 'small', 'count': 1}],
            physnet_mappings={'physnet1': self.source_prefix + 'lb'},
            libvirt_vm_engine='qemu', default_boot_mode='bios',
            **(self._other() if other else {}))
        if not other:
            return path
        moved = os.path.join(self.workdir, 'other.yaml')
        shutil.move(path, moved)
        return moved

    def _other(self):
        start = base.free_port_range(4)
        return {'node_name_prefix': self.node_prefix + 'b',
                'bridge_prefix': self.bridge_prefix + 'b',
                'libvirt_pool_name': self.other_pool,
                'libvirt_pool_path': os.path.join(self.workdir, 'poolb'),
                'state_file_path': self.other_state,
                'log_directory': os.path.join(self.workdir, 'logb'),
                'ipmi_port_range_start': start,
                'ipmi_port_range_end': start + 3}

    def _sweep_other(self):
        path = os.path.join(self.workdir, 'other.yaml')
        if os.path.exists(self.other_state):
            self.tenks('teardown', path, check=False)
        base.run(['virsh', 'pool-destroy', self.other_pool], check=False)
        base.run(['virsh', 'pool-undefine', self.other_pool], check=False)

    def control_port(self, state_file):
        conf = configparser.ConfigParser()
        conf.read(os.path.join(os.path.dirname(state_file), 'vbmc',
                               'virtualbmc.conf'))
        return int(conf['default']['server_port'])

    def power_status(self, state_file):
        with open(state_file) as stream:
            state = json.load(stream)
        node, = state['nodes'].values()
        credentials = state['credentials']
        return base.run([
            'ipmitool', '-I', 'lanplus', '-H', node['bmc']['address'],
            '-p', str(node['bmc']['port']), '-U',
            credentials['ipmi_username'], '-P',
            credentials['ipmi_password'], 'power', 'status']).stdout

    def test_neither_touches_the_others_bmcs(self):
        # The other's first: cluster() writes the same file each time.
        theirs = self.cluster_of(other=True)
        ours = self.cluster_of()
        self.tenks('deploy', ours)
        self.tenks('deploy', theirs)
        port = self.control_port(self.state_file)
        self.assertNotEqual(port, self.control_port(self.other_state))
        # Configured onto the other cluster's port, it is refused before
        # it asks that vbmcd anything, and nothing changes.
        wrong = os.path.join(self.workdir, 'wrong.conf')
        with open(wrong, 'w') as stream:
            stream.write('[DEFAULT]\nstate_dir = %s\n[ipmi]\n'
                         'vbmcd_control_port = %d\n' % (
                             os.path.join(self.workdir, 'state'), port))
        before = self.state_of(self.other_state)
        result = base.run([base.TENKS, '--config-file', wrong, 'deploy',
                           theirs], check=False)
        self.assertEqual(1, result.returncode)
        line, = result.stderr.strip().splitlines()
        self.assertIn('vbmcd control port %d is served by' % port, line)
        self.assertEqual(before, self.state_of(self.other_state))
        self.assertIn('Chassis Power is', self.power_status(self.state_file))
        self.assertEqual([], json.loads(self.tenks(
            'plan', ours, '-f', 'json').stdout))
        # One torn down, the other's BMC still answers and needs nothing.
        self.tenks('teardown', ours)
        self.assertIn('Chassis Power is',
                      self.power_status(self.other_state))
        self.assertEqual([], json.loads(self.tenks(
            'plan', theirs, '-f', 'json').stdout))
        self.tenks('teardown', theirs)
        self.assertEqual([], self.leftovers())

    @staticmethod
    def state_of(path):
        with open(path) as stream:
            return json.load(stream)
