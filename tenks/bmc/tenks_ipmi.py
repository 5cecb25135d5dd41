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

from tenks.bmc import ipmi_config
from tenks import plan

NAME = 'tenks-ipmi'


def _observed(ctx, hypervisor):
    """The emulator's PID, BMC configuration and BMCs serving, per step."""
    def read():
        daemon = ctx.tenks_ipmi(hypervisor)
        pid = daemon.pid()
        return {'pid': pid, 'configs': daemon.bmc_configs(),
                'serving': daemon.serving(pid) if pid else set()}
    return ctx.cached((NAME, hypervisor.name), read)


class DaemonKind:
    """The emulator, running while the hypervisor has its IPMI nodes."""

    name = 'ipmi-emulator'

    def plan(self, ctx, hypervisor):
        want = {NAME: True} if ctx.served_nodes(hypervisor, NAME) else {}
        have = {NAME: plan.Observed(True)} if (
            _observed(ctx, hypervisor)['pid']
            or ctx.teardown and ctx.tenks_ipmi(hypervisor).exists()) else {}
        return plan.diff(self.name, hypervisor.name, want, have)

    def apply(self, ctx, hypervisor, actions):
        daemon = ctx.tenks_ipmi(hypervisor)
        for action in actions:
            if action.verb == plan.CREATE:
                daemon.start()
            else:
                daemon.stop()


class BMCKind:
    """One BMC per node, on its scheduled address and port."""

    name = 'ipmi-bmc'

    def plan(self, ctx, hypervisor):
        want = {node['name']: settings(ctx, hypervisor, node)
                for node in ctx.served_nodes(hypervisor, NAME)}
        observed = _observed(ctx, hypervisor)
        have = {name: plan.Observed(True, dict(
                    config, running=name in observed['serving']))
                for name, config in observed['configs'].items()}
        return plan.diff(self.name, hypervisor.name, want, have,
                         self.compare)

    @staticmethod
    def compare(want, have):
        changed = [key for key in want if want[key] != have.get(key)]
        if changed:
            return 'changed: %s' % ', '.join(sorted(changed))
        return None if have['running'] else 'not running'

    def apply(self, ctx, hypervisor, actions):
        daemon = ctx.tenks_ipmi(hypervisor)
        daemon.configure(ipmi_config.apply_actions(
            daemon.bmc_configs(),
            {a.name for a in actions if a.verb == plan.DELETE},
            {a.name: a.want for a in actions if a.verb != plan.DELETE}))


def settings(ctx, hypervisor, node):
    """How the node's BMC answers: the emulator's entry for it."""
    credentials = ctx.state['credentials']
    return {'address': node['bmc']['address'],
            'port': node['bmc']['port'],
            'username': credentials['ipmi_username'],
            'password': credentials['ipmi_password'],
            'libvirt_uri': hypervisor.bmc_libvirt_uri}


class TenksIPMI:
    """BMC emulator plugin: IPMI, every BMC of a host in one process."""

    drivers = ('ipmi',)

    @staticmethod
    def kinds():
        return [DaemonKind(), BMCKind()]
