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

"""IPMI BMCs of nodes, emulated by VirtualBMC."""

from tenks.bmc import vbmcd
from tenks import contracts
from tenks import plan

DAEMON = 'vbmcd'
# The plugin's name in setup.cfg, as bmc_emulators names it.
NAME = 'virtualbmc'


def daemon_of(ctx, hypervisor):
    """The hypervisor's vbmcd, as Tenks runs it there."""
    paths = ctx.hypervisors
    return vbmcd.Daemon(paths.host(hypervisor),
                        paths.files(hypervisor, 'vbmc'),
                        paths.log(hypervisor, 'vbmcd.log'),
                        ctx.conf.ipmi.vbmcd_control_port)


class DaemonKind(contracts.Kind):
    """Tenks' vbmcd, running while the hypervisor has IPMI nodes."""

    name = 'bmc-daemon'

    def want(self, ctx, hypervisor):
        return {DAEMON: True} if ctx.served_nodes(hypervisor, NAME) else {}

    def observe(self, ctx, hypervisor, want):
        daemon = daemon_of(ctx, hypervisor)
        return {DAEMON: plan.Observed(True)} if (
            daemon.pid() or ctx.teardown and daemon.exists()) else {}

    def apply(self, ctx, hypervisor, actions):
        daemon = daemon_of(ctx, hypervisor)
        for action in actions:
            if action.verb == plan.CREATE:
                daemon.start()
            else:
                daemon.stop()


class BMCKind(contracts.Kind):
    """One BMC per node, on its scheduled address and port."""

    name = 'bmc'

    def want(self, ctx, hypervisor):
        return {node.name: self._settings(ctx, hypervisor, node)
                for node in ctx.served_nodes(hypervisor, NAME)}

    def observe(self, ctx, hypervisor, want):
        daemon = daemon_of(ctx, hypervisor)
        have = {}
        running = set()
        if daemon.pid():
            running = {row[0] for row in daemon.call('list')['rows']
                       if row[1] == 'running'}
        for name, config in daemon.bmc_configs().items():
            have[name] = plan.Observed(True, dict(
                config, running=name in running))
        return have

    @staticmethod
    def _settings(ctx, hypervisor, node):
        credentials = ctx.state.credentials
        return {'address': node.bmc.address,
                'port': str(node.bmc.port),
                'username': credentials['ipmi_username'],
                'password': credentials['ipmi_password'],
                'libvirt_uri': hypervisor.bmc_libvirt_uri}

    @staticmethod
    def compare(want, have):
        changed = [key for key in want if want[key] != have.get(key)]
        if changed:
            return 'changed: %s' % ', '.join(sorted(changed))
        if not have['running']:
            return 'not running'
        return None

    def apply(self, ctx, hypervisor, actions):
        daemon = daemon_of(ctx, hypervisor)
        gone = [a.name for a in actions if a.verb == plan.DELETE
                or a.verb == plan.UPDATE and not a.reason == 'not running']
        if gone and daemon.pid():
            daemon.call('delete', domain_names=gone)
        for action in actions:
            if action.verb == plan.CREATE or action.name in gone and \
                    action.verb == plan.UPDATE:
                settings = dict(action.want, domain_name=action.name,
                                libvirt_sasl_username=None,
                                libvirt_sasl_password=None)
                daemon.call('add', **settings)
        started = [a.name for a in actions if a.verb != plan.DELETE]
        if started:
            daemon.call('start', domain_names=started)


class VirtualBMC(contracts.BMCEmulator):
    """BMC emulator plugin: IPMI through VirtualBMC."""

    drivers = ('ipmi',)

    @staticmethod
    def kinds():
        return [DaemonKind(), BMCKind()]
