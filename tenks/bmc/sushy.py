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

"""Redfish BMCs of nodes, emulated by sushy-tools."""

import os

from tenks.bmc import sushy_daemon
from tenks import contracts
from tenks import plan

EMULATOR = 'sushy-emulator'
# The plugin's name in setup.cfg, as bmc_emulators names it.
NAME = 'sushy-tools'


def emulator_of(ctx, hypervisor):
    """The hypervisor's sushy-emulator, as Tenks runs it there."""
    paths = ctx.hypervisors
    return sushy_daemon.Emulator(
        paths.host(hypervisor), paths.files(hypervisor, 'sushy'),
        paths.log(hypervisor, 'sushy-emulator.log'),
        local_directory=os.path.dirname(paths.redfish_ca(hypervisor)))


class EmulatorKind(contracts.Kind):
    """One emulator per hypervisor with Redfish nodes, serving only them."""

    name = 'redfish-emulator'

    def want(self, ctx, hypervisor):
        nodes = ctx.served_nodes(hypervisor, NAME)
        return {EMULATOR: settings(ctx, hypervisor, nodes)} if nodes else {}

    def observe(self, ctx, hypervisor, want):
        emulator = emulator_of(ctx, hypervisor)
        have = {}
        if emulator.pid() or emulator.exists():
            have[EMULATOR] = plan.Observed(True, {
                'settings': emulator.settings(),
                'running': bool(emulator.pid())})
        return have

    @staticmethod
    def compare(want, have):
        if want != have['settings']:
            changed = sorted(key for key in want
                             if want[key] != (have['settings'] or {}).get(key))
            return 'changed: %s' % ', '.join(changed)
        return None if have['running'] else 'not running'

    def apply(self, ctx, hypervisor, actions):
        emulator = emulator_of(ctx, hypervisor)
        for action in actions:
            if action.verb == plan.DELETE:
                emulator.stop()
                ctx.outcomes.hypervisor(hypervisor.name, redfish_tls=None)
            else:
                emulator.start(action.want)
                # For `tenks list`, which reads only the state.
                ctx.outcomes.hypervisor(hypervisor.name,
                                        redfish_tls=action.want['tls'])


def settings(ctx, hypervisor, nodes):
    """How the hypervisor's emulator must run for its Redfish nodes."""
    credentials = ctx.state.credentials
    redfish = ctx.cluster.redfish
    return {
        'address': nodes[0].bmc.address,
        'port': redfish.port,
        'libvirt_uri': hypervisor.bmc_libvirt_uri,
        'allowed': sorted(node.uuid for node in nodes),
        'tls': redfish.tls,
        'username': credentials['redfish_username'],
        'password': credentials['redfish_password'],
        'pool': ctx.cluster.libvirt.pool_name,
    }


class SushyTools(contracts.BMCEmulator):
    """BMC emulator plugin: Redfish through sushy-tools."""

    drivers = ('redfish',)

    @staticmethod
    def kinds():
        return [EmulatorKind()]
