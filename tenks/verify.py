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

"""`tenks verify`: does the cluster still match its state file?

Facts are gathered here (libvirt, the hypervisor's links and bridges, the
BMCs, Ironic); what they mean is decided in tenks.checks. Read-only except
for power and PXE checks, which power the domain through its BMC and
always give it back the power state it had, and the lifecycle (--deploy,
tenks.lifecycle), which has Ironic inspect, clean, deploy and undeploy
the nodes: they end available. The state file is only read:
a verify never takes its lock, so it neither waits for nor disturbs a
deploy.
"""

import concurrent.futures
import logging
import time

from tenks.bmc import probe
from tenks import checks
from tenks import exception
from tenks import hypervisors
from tenks.ironic import client as ironic_client
from tenks.ironic import fields
from tenks import lifecycle
from tenks.lldp import kind as lldp
from tenks import naming
from tenks.network import dhcp
from tenks.network import facts as net_facts
from tenks import plugins
from tenks import state as state_module
from tenks import waits

LOG = logging.getLogger(__name__)

Result = checks.Result
# Generous: under plain QEMU emulation SeaBIOS and iPXE sent the first
# DHCP DISCOVER 3-4 s after power on, but a loaded host is much slower.
POWER_TIMEOUT = 120
PXE_TIMEOUT = 120
# After its first DISCOVER: any server answers at once, and the firmware
# asks again at growing intervals (iPXE: 1, 2, 4, 8 s...) meanwhile.
REPLY_TIMEOUT = 30
SKIP_PXE = ('hypervisor %s is remote; DHCP is watched only on this '
            'host\'s bridges')
SKIP_NO_SSH = ('the state does not record how to reach hypervisor %s; a '
               'deploy records it')
NO_CLOUD = ('no Ironic cloud is configured (set OS_CLOUD or [ironic] cloud '
            'in tenks.conf)')


def verify(conf, state_path, power=False, pxe=False, nodes=None,
           cluster_file=None, deploy=None, deploy_timeout=1800):
    """Results of every check of every node (or of the nodes named).

    deploy: a tenks.lifecycle.Image to run Ironic's lifecycle with, each
    step given deploy_timeout seconds.
    """
    data = state_module.load(state_path, cluster_file)
    chosen = _chosen(data, state_path, nodes)
    world = _World(conf, state_path, data)
    try:
        results = [result for node in chosen
                   for result in _passive(world, node)]
        with concurrent.futures.ThreadPoolExecutor(conf.workers) as pool:
            for found in pool.map(
                    lambda node: _probe(world, node, power, pxe), chosen):
                results.extend(found)
        if deploy:
            results += _lifecycle(conf, world, chosen, deploy,
                                  deploy_timeout)
    finally:
        world.close()
    return checks.ordered(results)


def _lifecycle(conf, world, chosen, image, timeout):
    """Every node's lifecycle at once (Ironic and QEMU set the pace)."""
    ready = [node for node in chosen
             if node.known_to_ironic and node.outcome.ironic_uuid]
    reason = world.ironic_problem or 'not enrolled in Ironic'
    results = [checks.failed(node, step, reason) for node in chosen
               if node not in ready for step in lifecycle.STEPS]
    if world.ironic_problem:
        return results + [checks.failed(node, step, reason)
                          for node in ready for step in lifecycle.STEPS]
    if not ready:
        return results
    baremetal = ironic_client.Ironic(conf).conn.baremetal
    targets = [_target(world, node) for node in ready]
    with concurrent.futures.ThreadPoolExecutor(len(ready)) as pool:
        for found in pool.map(lambda target: lifecycle.run(
                baremetal, target, image, timeout), targets):
            results.extend(found)
    return results


def _target(world, node):
    """The node with its console log, when this host can read it."""
    if not world.local(node):
        return lifecycle.Target(node, no_console='hypervisor %s is remote; '
                                'consoles are read only on this host' %
                                node.hypervisor)
    try:
        path = world.domain(node).facts()['console_log']
    except (exception.ProviderError, AttributeError):
        path = None
    if not path:
        return lifecycle.Target(node, no_console='its console is not '
                                'logged (console_log_enabled)')
    return lifecycle.Target(node, console=lambda: _read(path))


def _read(path):
    try:
        with open(path, errors='replace') as stream:
            return stream.read()
    except FileNotFoundError:
        return ''


def _chosen(data, path, names):
    present = {node.name: node for node in data.present_nodes()}
    if not present:
        raise exception.StateHasNoNodes(path=path)
    unknown = sorted(set(names or ()) - set(present))
    if unknown:
        raise exception.StateHasNoSuchNode(path=path, nodes=unknown)
    return [present[name] for name in sorted(names or present)]


class _World:
    """What the hypervisors and Ironic hold, each read once per verify."""

    def __init__(self, conf, state_path, data):
        self.data = data
        self.cluster_id = data.cluster_id
        self.provider = plugins.provider()
        self.hypervisors = hypervisors.Hypervisors.from_state(
            conf, data, state_path, self.provider)
        self._nets = {}
        self._senders = {}
        self.ironic_nodes, self.ironic_ports, self.ironic_problem = (
            _ironic_view(conf, data))

    def hypervisor(self, node):
        return self.hypervisors.named(node.hypervisor)

    def local(self, node):
        return self.hypervisor(node).is_local

    def domain(self, node):
        """The node's machine, None when there is none; a ProviderError."""
        return self.provider.machine(
            self.hypervisors.connection(self.hypervisor(node)), node.name)

    def host(self, node):
        """The node's hypervisor's host; None if the state cannot say how."""
        return self.hypervisors.host(self.hypervisor(node))

    def net(self, node, host):
        """The hypervisor's links and bridges, or a HostError."""
        name = node.hypervisor
        if name not in self._nets:
            try:
                self._nets[name] = net_facts.read(host, self.cluster_id)
            except exception.HostError as err:
                self._nets[name] = err
        if isinstance(self._nets[name], Exception):
            raise self._nets[name]
        return self._nets[name]

    def lldp_sender(self, hypervisor):
        """What the hypervisor's LLDP sender runs, read once."""
        if hypervisor.name not in self._senders:
            # Only read: verify has no log directory, nor needs one.
            self._senders[hypervisor.name] = lldp.Daemon(
                self.hypervisors.host(hypervisor),
                self.hypervisors.files(hypervisor, 'lldp'), None).observed()
        return self._senders[hypervisor.name]

    def redfish_ca(self, node):
        """The certificate a Redfish client trusts, as Tenks keeps it."""
        if not self.data.redfish_tls_on(node.hypervisor):
            return None
        return self.hypervisors.redfish_ca(self.hypervisor(node))

    def bmc(self, node):
        return probe.for_node(node, self.data.credentials,
                              self.redfish_ca(node))

    def close(self):
        self.hypervisors.close()


def _ironic_view(conf, data):
    """(nodes by name, ports by MAC, None), or a reason they are unknown."""
    if not any(node.known_to_ironic for node in data.nodes.values()):
        return {}, {}, None
    if not ironic_client.configured(conf):
        return None, None, NO_CLOUD
    try:
        ironic = ironic_client.Ironic(conf)
        return ironic.nodes(), ironic.ports(), None
    except exception.IronicError as err:
        return None, None, str(err)


def _passive(world, node):
    try:
        domain = world.domain(node)
        facts = domain and domain.facts()
        results = [checks.domain(node, facts, world.cluster_id)]
    except exception.ProviderError as err:
        results = [checks.failed(node, 'domain', str(err))]
    host = world.host(node)
    if host is None:
        results += [checks.skipped(node, check, SKIP_NO_SSH
                                   % node.hypervisor)
                    for check in ('wiring', 'lldp')]
    else:
        try:
            record = world.data.hypervisors.get(node.hypervisor)
            results.append(checks.wiring(node, world.net(node, host),
                                         record and record.physnet_vlans))
        except exception.HostError as err:
            results.append(checks.failed(node, 'wiring', 'cannot read '
                                         'hypervisor %s: %s' % (
                                             node.hypervisor, err)))
        results.append(_lldp(world, node))
    return results + _ironic(world, node)


def _lldp(world, node):
    hypervisor = world.hypervisor(node)
    wanted = lldp.announcements(world.cluster_id, node.hypervisor,
                                node.nics)
    try:
        sender = world.lldp_sender(hypervisor)
    except exception.HostError as err:
        return checks.failed(node, 'lldp', 'cannot read hypervisor %s: %s'
                             % (node.hypervisor, err))
    return checks.lldp(node, wanted, sender)


def _ironic(world, node):
    if not node.known_to_ironic:
        outcome = checks.skipped, 'not enrolled (its spec has no ' \
                                  'ironic_config)'
    elif world.ironic_nodes is None:
        outcome = (checks.skipped if world.ironic_problem == NO_CLOUD
                   else checks.failed), world.ironic_problem
    elif not node.outcome.ironic_uuid:
        outcome = checks.failed, 'not enrolled: the state records no ' \
                                 'Ironic node; run tenks deploy'
    else:
        return _ironic_checks(world, node)
    result, reason = outcome
    return [result(node, check, reason)
            for check in ('ironic-node', 'ironic-ports')]


def _ironic_checks(world, node):
    expected = {
        'driver': node.ironic_driver,
        'driver_info': fields.bmc_info(node, world.data.credentials,
                                       world.redfish_ca(node)),
        'extra': fields.marks(node, world.cluster_id),
    }
    wanted = [fields.port_fields(
        nic, naming.bridge_mac(world.cluster_id, nic.bridge),
        node.hypervisor, world.cluster_id) for nic in node.nics]
    return [checks.ironic_node(node, expected,
                               world.ironic_nodes.get(node.name)),
            checks.ironic_ports(node, wanted, world.ironic_ports)]


def _probe(world, node, power, pxe):
    """The BMC check, then the power and PXE checks asked for."""
    bmc = world.bmc(node)
    try:
        domain = world.domain(node)
    except exception.ProviderError as err:
        domain, missing = None, str(err)
    else:
        missing = 'not run: no domain %s' % node.name
    running = domain.is_active() if domain else None
    try:
        answer = bmc.power_state()
    except exception.BMCError as err:
        answer = str(err)
    results = [checks.bmc(node, answer, running)]
    wanted = [check for check, asked in (('power', power), ('pxe', pxe))
              if asked]
    if wanted and domain is None:
        return results + [checks.failed(node, check, missing)
                          for check in wanted]
    if wanted:
        results += _powered(world, node, bmc, domain, power, pxe)
    return results


def _powered(world, node, bmc, domain, power, pxe):
    """Power and PXE checks; the domain's power state is restored after."""
    running = domain.is_active()
    results = []
    try:
        if power:
            results.append(_power_cycle(node, bmc, domain, running))
        if pxe:
            results.append(_pxe(world, node, bmc, domain))
    finally:
        _restore(node, domain, running)
    return results


def _power_cycle(node, bmc, domain, running):
    """Through the BMC: off then on if running, else on then off."""
    for on in ((False, True) if running else (True, False)):
        problem = _set_power(bmc, domain, on)
        if problem:
            return checks.failed(node, 'power', problem)
    return checks.passed(node, 'power', 'BMC power %s reached the domain' % (
        'off and on' if running else 'on and off'))


def _set_power(bmc, domain, on):
    """None once the domain reached the state, else what went wrong."""
    try:
        bmc.set_power(on)
    except exception.BMCError as err:
        return str(err)
    if _wait(domain, on, POWER_TIMEOUT):
        return None
    return 'BMC power %s did not %s the domain in %d s' % (
        'on' if on else 'off', 'start' if on else 'stop', POWER_TIMEOUT)


def _wait(domain, on, timeout):
    return waits.until(lambda: domain.is_active() == on, timeout, 0.5)


def _pxe(world, node, bmc, domain):
    """Powered on by its BMC, the node gets a DHCP reply intact."""
    if not world.local(node):
        return checks.skipped(node, 'pxe', SKIP_PXE % node.hypervisor)
    nic = checks.pxe_nic(node, world.ironic_ports or {})
    if nic is None:
        return checks.failed(node, 'pxe', 'no Ironic port of the node has '
                             'PXE enabled')
    if domain.is_active():
        problem = _set_power(bmc, domain, False)
        if problem:
            return checks.failed(node, 'pxe', problem)
    try:
        watch = dhcp.Watch(nic.veth_node)
    except OSError as err:
        return checks.failed(node, 'pxe', 'cannot watch veth %s: %s' % (
            nic.veth_node, err))
    with watch:
        started = time.monotonic()
        problem = _set_power(bmc, domain, True)
        if problem:
            return checks.failed(node, 'pxe', problem)
        exchange = watch.exchange(nic.mac, PXE_TIMEOUT, REPLY_TIMEOUT)
        return checks.pxe(node, nic, exchange, time.monotonic() - started)


def _restore(node, domain, running):
    """Give the domain back its power state, through libvirt if need be."""
    try:
        if _wait(domain, running, 0):
            return
        LOG.debug('Restoring power %s of %s', 'on' if running else 'off',
                  node.name)
        domain.start() if running else domain.stop()
    except exception.ProviderError as err:
        raise exception.PowerNotRestored(
            node=node.name, state='running' if running else 'shut off',
            reason=err)
