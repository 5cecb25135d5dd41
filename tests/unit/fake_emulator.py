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

"""A BMC emulator plugin known only to the tests (see test_plugins).

Registered through an entry point of a distribution the tests make on a
temporary path, it goes through the same loading as the real ones.
"""

from tenks import contracts
from tenks import plan

NAME = 'fake-bmc'


class FakeBMCKind(contracts.Kind):
    """A pretend BMC per node it serves; nothing exists until applied."""

    name = 'fake-bmc'

    def want(self, ctx, hypervisor):
        return {node.name: node.bmc.port
                for node in ctx.served_nodes(hypervisor, NAME)}

    def observe(self, ctx, hypervisor, want):
        return {}

    def apply(self, ctx, hypervisor, actions):
        for action in actions:
            assert action.verb == plan.CREATE


class FakeEmulator(contracts.BMCEmulator):

    drivers = ('ipmi',)

    @staticmethod
    def kinds():
        return [FakeBMCKind()]


class NotAnEmulator:
    """Has the members, but does not say it keeps the contract."""

    drivers = ('ipmi',)

    @staticmethod
    def kinds():
        return []
