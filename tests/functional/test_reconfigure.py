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

"""Edits of a deployed cluster change only what they must."""

import json
import os

from tests.functional import base
from tests.functional import test_deploy

GIB = 1024 ** 3


def _node_type(physnets, capacity='1GiB'):
    return {'memory_mb': 256, 'vcpus': 1,
            'volumes': [{'capacity': capacity}],
            'physical_networks': physnets}


class TestReconfigure(test_deploy.DeployTestCase):

    def setUp(self):
        super().setUp()
        self.lb = self.source_prefix + 'lb'
        self.ovs = self.source_prefix + 'ov'
        self.linux_bridge(self.lb)

    def nodes_on_host(self):
        """Per domain of this test: MACs, BMC port and definition time."""
        found = {}
        for name in base.run(['virsh', 'list', '--all',
                              '--name']).stdout.split():
            if not name.startswith(self.node_prefix):
                continue
            macs = [i.find('mac').get('address') for i in
                    self.domain(name).findall('devices/interface')]
            # libvirt rewrites this file whenever the domain is defined.
            defined = os.stat('/etc/libvirt/qemu/%s.xml' % name).st_mtime_ns
            found[name] = (macs, self.state()['nodes'][name]['bmc']['port'],
                           defined)
        return found

    def deploy(self, **cluster):
        path = self.cluster(**cluster)
        planned = json.loads(self.tenks('plan', path, '-f', 'json').stdout)
        self.tenks('deploy', path)
        self.assert_idempotent(path)
        return path, planned

    def test_count_2_4_1_3(self):
        previous = {}
        for count in (2, 4, 1, 3):
            path, planned = self.deploy(
                node_types={'small': _node_type(['physnet1'])},
                specs=[{'type': 'small', 'count': count}],
                physnet_mappings={'physnet1': self.lb})
            now = self.nodes_on_host()
            names = [self.node_prefix + str(i) for i in range(count)]
            self.assertEqual(names, sorted(now))
            for name in set(previous) & set(now):
                self.assertEqual(previous[name], now[name], name)
            changed = {a['Name'] for a in planned if a['Kind'] == 'domain'}
            self.assertEqual(set(now) ^ set(previous), changed)
            # Freed names and IPMI ports are reused, lowest first.
            self.assertEqual(
                list(range(self.ipmi_start, self.ipmi_start + count)),
                sorted(port for _, port, _ in now.values()))
            for name in names:
                node = self.state()['nodes'][name]
                self.assertIn('off', self.power(node, 'status'))
            previous = now
        self.assert_clean_teardown(path)

    def test_physnet_added_and_removed(self):
        self.ovs_bridge(self.ovs)
        specs = [{'type': 'edited', 'count': 2},
                 {'type': 'other', 'count': 1,
                  'node_name_prefix': self.node_prefix + 'o'}]
        path, _ = self.deploy(
            node_types={'edited': _node_type(['physnet1']),
                        'other': _node_type(['physnet1'])},
            specs=specs, physnet_mappings={'physnet1': self.lb})
        first = self.nodes_on_host()
        other = self.node_prefix + 'o0'

        _, planned = self.deploy(
            node_types={'edited': _node_type(['physnet1', 'physnet2'],
                                             capacity='2GiB'),
                        'other': _node_type(['physnet1'])},
            specs=specs,
            physnet_mappings={'physnet1': self.lb, 'physnet2': self.ovs})
        grown = self.nodes_on_host()
        self.assertEqual(first[other], grown[other])
        self.assertNotIn(other, {a['Name'] for a in planned})
        for name, node in self.state()['nodes'].items():
            if name == other:
                continue
            self.assertEqual(first[name][0], grown[name][0][:1])
            self.assertEqual(2, len(grown[name][0]))
            self.assert_wiring(node, 'openvswitch')
            self.assert_hardware(node, 'uefi')
            self.assertEqual(2 * GIB, node['volumes'][0]['capacity'])
        self.assertEqual(self.bridge_prefix + '1-ph\n', base.run(
            ['ovs-vsctl', 'list-ports', self.ovs]).stdout)

        self.deploy(node_types={'edited': _node_type(['physnet1'], '2GiB'),
                                'other': _node_type(['physnet1'])},
                    specs=specs, physnet_mappings={'physnet1': self.lb})
        shrunk = self.nodes_on_host()
        self.assertEqual(first[other], shrunk[other])
        for name in first:
            self.assertEqual(first[name][0], shrunk[name][0])
        self.assertEqual('', base.run(['ovs-vsctl', 'list-ports',
                                       self.ovs]).stdout)
        links = [link['ifname'] for link in json.loads(
            base.run(['ip', '-j', 'link', 'show']).stdout)]
        self.assertNotIn(self.bridge_prefix + '1', links)
        self.assertEqual(
            {nic['veth_bridge'] for node in self.state()['nodes'].values()
             for nic in node['nics']},
            {link for link in links if link.endswith('b')
             and link.startswith(self.node_prefix)})
        self.assert_clean_teardown(path)
