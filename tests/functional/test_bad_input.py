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

"""Broken cluster files: a clear one-line error and an untouched host."""

import json
import os

from tests.functional import base


def _node_type(physnet='physnet1', capacity='1GiB'):
    return {'memory_mb': 256, 'vcpus': 1,
            'volumes': [{'capacity': capacity}],
            'physical_networks': [physnet]}


class TestBadInput(base.TenksTestCase):

    def setUp(self):
        super().setUp()
        self.source = self.source_prefix + 'lb'
        self.linux_bridge(self.source)

    def snapshot(self):
        """What a deploy could have changed on the host."""
        return (
            base.run(['virsh', 'list', '--all', '--name']).stdout,
            base.run(['virsh', 'pool-list', '--all', '--name']).stdout,
            sorted(link['ifname'] for link in json.loads(
                base.run(['ip', '-j', 'link', 'show']).stdout)),
            base.run(['ovs-vsctl', 'show']).stdout,
            sorted(os.listdir(self.workdir)),
        )

    def assert_rejected(self, expected, **cluster):
        cluster.setdefault('physnet_mappings', {'physnet1': self.source})
        path = self.cluster(**cluster)
        before = self.snapshot()
        for command in ('validate', 'plan', 'deploy'):
            result = self.tenks(command, path, check=False)
            if command == 'validate' and result.returncode == 0:
                continue    # only deploy-time checks find this fault
            self.assertEqual(1, result.returncode, result.stdout)
            lines = result.stderr.strip().splitlines()
            self.assertEqual(1, len(lines), result.stderr)
            self.assertIn(expected, lines[0])
            self.assertNotIn('Traceback', result.stderr)
        self.assertEqual(before, self.snapshot())
        self.assertFalse(os.path.exists(os.path.dirname(self.state_file)))

    def test_unknown_type(self):
        self.assert_rejected(
            "cluster.yaml: specs[0].type: 'smal' is not a node type in "
            "node_types; did you mean 'small'?",
            node_types={'small': _node_type()},
            specs=[{'type': 'smal', 'count': 1}])

    def test_negative_count(self):
        self.assert_rejected(
            'cluster.yaml: specs[0].count: -1 must be at least 0',
            node_types={'small': _node_type()},
            specs=[{'type': 'small', 'count': -1}])

    def test_unmapped_physnet(self):
        self.assert_rejected(
            "node type 'small' uses physical network(s) physnet9, which "
            "physnet_mappings does not map",
            node_types={'small': _node_type('physnet9')},
            specs=[{'type': 'small', 'count': 1}])

    def test_port_range_too_small(self):
        self.assert_rejected(
            'no free IPMI port left',
            node_types={'small': _node_type()},
            specs=[{'type': 'small', 'count': 2}],
            ipmi_port_range_end=self.ipmi_start)

    def test_bad_capacity(self):
        self.assert_rejected(
            "cluster.yaml: node_types.small.volumes[0].capacity: '10XB' has "
            "unknown unit 'XB'",
            node_types={'small': _node_type(capacity='10XB')},
            specs=[{'type': 'small', 'count': 1}])

    def test_missing_source_device(self):
        self.assert_rejected(
            "physnet_mappings.physnet2: device 'tknosuchdev0' does not exist",
            node_types={'small': _node_type('physnet2')},
            specs=[{'type': 'small', 'count': 1}],
            physnet_mappings={'physnet2': 'tknosuchdev0'})

    def test_not_yaml(self):
        path = os.path.join(self.workdir, 'broken.yaml')
        with open(path, 'w') as stream:
            stream.write('node_types: [small\nspecs: {')
        before = self.snapshot()
        result = self.tenks('deploy', path, check=False)
        self.assertEqual(1, result.returncode)
        self.assertEqual(1, len(result.stderr.strip().splitlines()))
        self.assertIn('broken.yaml: line', result.stderr)
        self.assertIn('not valid YAML', result.stderr)
        self.assertEqual(before, self.snapshot())
