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

"""IPMI BMCs of nodes, all served by one tenks-ipmi emulator per host.

Chosen per cluster with ``bmc_emulators: {ipmi: tenks-ipmi}``. Where
VirtualBMC keeps a process per BMC, this emulator is one process per
hypervisor and cluster, told of new and removed BMCs by a rewritten
configuration and SIGHUP.
"""

from tenks.bmc import ipmi_daemon
from tenks import contracts
from tenks.ipmi_emulator import config as ipmi_config
from tenks import plan

NAME = 'tenks-ipmi'


def daemon_of(ctx, hypervisor):
    """The hypervisor's tenks-ipmi, as Tenks runs it there."""
    paths = ctx.hypervisors
    return ipmi_daemon.Daemon(paths.host(hypervisor),
                              paths.files(hypervisor, 'tenks-ipmi'),
                              paths.log(hypervisor, 'tenks-ipmi.log'))


def _observed(ctx, hypervisor):
    """The emulator's PID, BMC configuration and BMCs serving, per step."""
    def read():
        daemon = daemon_of(ctx, hypervisor)
        pid = daemon.pid()
        return {'pid': pid, 'configs': daemon.bmc_configs(),
                'serving': daemon.serving(pid) if pid else set()}
    return ctx.facts.cached((NAME, hypervisor.name), read)


class DaemonKind(contracts.Kind):
    """The emulator, running while the hypervisor has its IPMI nodes."""

    name = 'ipmi-emulator'

    def want(self, ctx, hypervisor):
        return {NAME: True} if ctx.served_nodes(hypervisor, NAME) else {}

    def observe(self, ctx, hypervisor, want):
        return {NAME: plan.Observed(True)} if (
            _observed(ctx, hypervisor)['pid']
            or ctx.teardown and daemon_of(ctx, hypervisor).exists()) else {}

    def apply(self, ctx, hypervisor, actions):
        daemon = daemon_of(ctx, hypervisor)
        for action in actions:
            if action.verb == plan.CREATE:
                daemon.start()
            else:
                daemon.stop()


class BMCKind(contracts.Kind):
    """One BMC per node, on its scheduled address and port."""

    name = 'ipmi-bmc'

    def want(self, ctx, hypervisor):
        return {node.name: settings(ctx, hypervisor, node)
                for node in ctx.served_nodes(hypervisor, NAME)}

    def observe(self, ctx, hypervisor, want):
        observed = _observed(ctx, hypervisor)
        return {name: plan.Observed(True, dict(
                    config, running=name in observed['serving']))
                for name, config in observed['configs'].items()}

    @staticmethod
    def compare(want, have):
        changed = [key for key in want if want[key] != have.get(key)]
        if changed:
            return 'changed: %s' % ', '.join(sorted(changed))
        return None if have['running'] else 'not running'

    def apply(self, ctx, hypervisor, actions):
        daemon = daemon_of(ctx, hypervisor)
        daemon.configure(ipmi_config.apply_actions(
            daemon.bmc_configs(),
            {a.name for a in actions if a.verb == plan.DELETE},
            {a.name: a.want for a in actions if a.verb != plan.DELETE}))


def settings(ctx, hypervisor, node):
    """How the node's BMC answers: the emulator's entry for it."""
    credentials = ctx.state.credentials
    return {'address': node.bmc.address,
            'port': node.bmc.port,
            'username': credentials['ipmi_username'],
            'password': credentials['ipmi_password'],
            'libvirt_uri': hypervisor.bmc_libvirt_uri}


class TenksIPMI(contracts.BMCEmulator):
    """BMC emulator plugin: IPMI, every BMC of a host in one process."""

    drivers = ('ipmi',)

    @staticmethod
    def kinds():
        return [DaemonKind(), BMCKind()]
