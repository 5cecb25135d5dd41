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

"""State files written before the records were typed still load, unchanged.

The files in state_files/ were captured from the untyped code (see its
README); each must load into records and be written back byte for byte
the same JSON.
"""

import copy
import json
import os

import fixtures
import testtools

from tenks import records
from tenks import state

HERE = os.path.join(os.path.dirname(__file__), 'state_files')
FILES = ('scheduled.json', 'deployed.json', 'reconfiguring.json',
         'teardown-midway.json')


def captured(name):
    with open(os.path.join(HERE, name)) as stream:
        return json.load(stream)


class TestCapturedFiles(testtools.TestCase):

    def test_each_round_trips_unchanged(self):
        for name in FILES:
            data = captured(name)
            self.assertEqual(data, records.State.from_dict(
                copy.deepcopy(data)).to_dict(), name)

    def test_each_loads_and_saves_the_same_file(self):
        directory = self.useFixture(fixtures.TempDir()).path
        for name in FILES:
            path = os.path.join(directory, name)
            # As the file would be had it been written at this path.
            data = dict(captured(name), cluster_id=state.cluster_id(path))
            with open(path, 'w') as stream:
                json.dump(data, stream, indent=1, sort_keys=True)
            before = open(path).read()
            state.save(path, state.load(path))
            self.assertEqual(before, open(path).read(), name)

    def test_desired_values_and_outcomes_apart(self):
        deployed = records.State.from_dict(captured('deployed.json'))
        node = deployed.nodes['tk0']
        self.assertEqual(('ipmi', 6230), (node.bmc.driver, node.bmc.port))
        self.assertEqual(['physnet1', 'physnet2'],
                         [nic.physnet for nic in node.nics])
        self.assertRegex(node.outcome.ironic_uuid, r'^[0-9a-f-]{36}$')
        self.assertIn('round robin', node.outcome.placement)
        self.assertEqual('tenks',
                         deployed.hypervisors['hv2'].outcome.pool)
        self.assertEqual(['bm-ipmi', 'bm-rf'], deployed.made_flavors)
        scheduled = records.State.from_dict(captured('scheduled.json'))
        self.assertIsNone(scheduled.nodes['tk0'].outcome.ironic_uuid)
        self.assertEqual(records.HypervisorOutcome(),
                         scheduled.hypervisors['hv2'].outcome)
        self.assertIsNone(scheduled.outcome.flavors)
        torn = records.State.from_dict(captured('teardown-midway.json'))
        self.assertEqual([], torn.present_nodes())
        self.assertEqual([], torn.outcome.flavors)

    def test_derived_values(self):
        deployed = records.State.from_dict(captured('deployed.json'))
        rf0, tk0 = deployed.nodes['rf0'], deployed.nodes['tk0']
        self.assertEqual(
            'http://203.0.113.77:8000/redfish/v1/Systems/%s' % rf0.uuid,
            rf0.bmc_endpoint(False))
        self.assertEqual('https://203.0.113.77:8000', rf0.bmc.redfish_root(
            True))
        self.assertEqual('127.0.0.1:6230', tk0.bmc_endpoint(True))
        self.assertTrue(rf0.enrolled and rf0.bmc.is_redfish)
        self.assertFalse(deployed.redfish_tls_on('hv2'))
        self.assertFalse(deployed.redfish_tls_on('nowhere'))
        self.assertEqual(sorted(n for n in deployed.nodes
                                if deployed.nodes[n].hypervisor == 'hv2'),
                         sorted(n.name for n in deployed.nodes_on('hv2')))

    def test_reconfiguring_marks_and_refits(self):
        down = records.State.from_dict(captured('reconfiguring.json'))
        absent = sorted(name for name, node in down.nodes.items()
                        if not node.is_present)
        self.assertEqual(['rf1', 'tk2'], absent)
        self.assertEqual(3, len(down.nodes['tk0'].volumes))
        self.assertNotIn('physnet3', down.hypervisors['hv2'].physnet_indices)

    def test_unknown_keys_are_kept(self):
        # A newer Tenks of the same schema may record more.
        data = captured('deployed.json')
        data['provisioning'] = {'network': 'p'}
        data['nodes']['tk0']['boot_artefact'] = 'ipa'
        data['hypervisors']['hv2']['bridge_mtu'] = 9000
        self.assertEqual(data, records.State.from_dict(
            copy.deepcopy(data)).to_dict())


class TestOutcomes(testtools.TestCase):

    def test_merged_only_when_asked(self):
        deployed = records.State.from_dict(captured('deployed.json'))
        outcomes = records.Outcomes()
        outcomes.node('tk0', ironic_uuid=None)
        outcomes.hypervisor('hv2', pool=None, redfish_tls=True)
        outcomes.cluster(flavors=['bm-ipmi'])
        outcomes.node('forgotten', ironic_uuid='x')
        self.assertIsNotNone(deployed.nodes['tk0'].outcome.ironic_uuid)
        self.assertIsNone(
            outcomes.latest(records.NODE, 'tk0', 'ironic_uuid', 'unset'))
        outcomes.merge_into(deployed)
        self.assertIsNone(deployed.nodes['tk0'].outcome.ironic_uuid)
        self.assertEqual(records.HypervisorOutcome(None, True),
                         deployed.hypervisors['hv2'].outcome)
        self.assertEqual(['bm-ipmi'], deployed.made_flavors)
        data = deployed.to_dict()
        self.assertNotIn('pool', data['hypervisors']['hv2'])
        self.assertNotIn('forgotten', data['nodes'])
        # Merged once: a second merge changes nothing.
        deployed.outcome.flavors = []
        outcomes.merge_into(deployed)
        self.assertEqual([], deployed.made_flavors)
