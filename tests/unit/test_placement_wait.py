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

"""The Placement wait: what Ironic's devstack lib waits for, per node."""

import types

import testtools

from tenks.ironic import fields
from tenks.ironic import provision
from tests.unit import fakes


class FakePlacement:
    """Placement's answers for one provider, as openstacksdk gives them."""

    def __init__(self, providers=('u1',), inventories=(), traits=()):
        self.providers = providers
        self.inventories = inventories
        self.traits = traits

    def resource_providers(self, uuid):
        return [types.SimpleNamespace(id=uuid)] if uuid in self.providers \
            else []

    def resource_provider_inventories(self, uuid):
        return [types.SimpleNamespace(resource_class=rc, total=total,
                                      reserved=reserved)
                for rc, total, reserved in self.inventories]

    def get_resource_provider_trait(self, uuid):
        return types.SimpleNamespace(traits=list(self.traits))


class InPlacementTest(testtools.TestCase):

    def check(self, placement, traits=()):
        return provision.in_placement(placement, 'u1', 'CUSTOM_BAREMETAL',
                                      set(traits))

    def test_no_provider(self):
        self.assertFalse(self.check(FakePlacement(providers=())))

    def test_provider_without_inventory(self):
        self.assertFalse(self.check(FakePlacement(
            inventories=[('VCPU', 2, 0)])))

    def test_inventory_all_reserved(self):
        # What Nova reports while a node is not available.
        self.assertFalse(self.check(FakePlacement(
            inventories=[('CUSTOM_BAREMETAL', 1, 1)])))

    def test_inventory_without_the_traits(self):
        placement = FakePlacement(inventories=[('CUSTOM_BAREMETAL', 1, 0)],
                                  traits=['CUSTOM_SILVER'])
        self.assertFalse(self.check(placement, ['CUSTOM_GOLD']))
        self.assertTrue(self.check(placement))

    def test_inventory_and_traits(self):
        placement = FakePlacement(inventories=[('CUSTOM_BAREMETAL', 1, 0)],
                                  traits=['CUSTOM_GOLD', 'HW_CPU_X86_VMX'])
        self.assertTrue(self.check(placement, ['CUSTOM_GOLD']))

    def test_wanted_from_the_node(self):
        _, state = fakes.scheduled()
        node = next(iter(state.nodes.values()))
        node.ironic_config = {'resource_class': 'bm-large',
                              'traits': ['CUSTOM_B', 'CUSTOM_A']}
        self.assertEqual(('CUSTOM_BM_LARGE', {'CUSTOM_A', 'CUSTOM_B'}),
                         provision._placement_wanted(node))
        self.assertEqual('CUSTOM_BAREMETAL',
                         fields.placement_class('baremetal'))
