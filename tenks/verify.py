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
always give it back the power state it had. The state file is only read:
a verify never takes its lock, so it neither waits for nor disturbs a
deploy.
"""

import concurrent.futures
import logging
import os
import time
import urllib.parse

import libvirt

from tenks.bmc import probe
from tenks import checks
from tenks import exception
from tenks import hosts
from tenks.ironic import client as ironic_client
from tenks.ironic import fields
from tenks import naming
from tenks.network import dhcp
from tenks.network import facts as net_facts
from tenks.providers import domain_xml
from tenks.providers import libvirt as libvirt_provider
from tenks import schedule
from tenks import state as state_module

LOG = logging.getLogger(__name__)

Result = checks.Result
# Generous: under plain QEMU emulation SeaBIOS and iPXE sent the first
# DHCP DISCOVER 3-4 s after power on, but a loaded host is much slower.
POWER_TIMEOUT = 120
PXE_TIMEOUT = 120
# After its first DISCOVER: any server answers at once, and the firmware
# asks again at growing intervals (iPXE: 1, 2, 4, 8 s...) meanwhile.
REPLY_TIMEOUT = 30
SKIP_PXE = ('skipped: hypervisor %s is remote; DHCP is watched only on '
            'this host\'s bridges')
SKIP_NO_SSH = ('skipped: the state does not record how to reach '
               'hypervisor %s; a deploy records it')


def verify(conf, state_path, power=False, pxe=False, nodes=None):
    """Results of every check of every node (or of the nodes named)."""
    data = state_module.load(state_path)
    chosen = _chosen(data, state_path, nodes)
    world = _World(conf, state_path, data)
    try:
        results = [result for node in chosen
                   for result in _passive(world, node)]
        with concurrent.futures.ThreadPoolExecutor(conf.workers) as pool:
            for found in pool.map(
                    lambda node: _probe(world, node, power, pxe), chosen):
                results.extend(found)
    finally:
        world.close()
    return checks.ordered(results)


def _chosen(data, path, names):
    present = {name: node for name, node in data['nodes'].items()
               if node.get('state') != schedule.ABSENT}
    if not present:
        raise exception.StateError('State file %s records no nodes: '
                                   'nothing to verify.' % path)
    unknown = sorted(set(names or ()) - set(present))
    if unknown:
        raise exception.StateError('State file %s has no node %s.' % (
            path, ', '.join(unknown)))
    return [present[name] for name in sorted(names or present)]


def is_local(libvirt_uri):
    return urllib.parse.urlsplit(libvirt_uri).hostname in (
        None, '', 'localhost', '127.0.0.1', '::1')


class _World:
    """What the hypervisors and Ironic hold, each read once per verify."""

    def __init__(self, conf, state_path, data):
        self.conf = conf
        self.state_dir = os.path.dirname(os.path.abspath(state_path))
        self.data = data
        self.cluster_id = data['cluster_id']
        self._conns = {}
        self._hosts = {}
        self._nets = {}
        self.ironic_nodes, self.ironic_ports, self.ironic_problem = (
            _ironic_view(conf, data))

    def hypervisor(self, node):
        return self.data['hypervisors'].get(node['hypervisor'], {})

    def local(self, node):
        return is_local(self.hypervisor(node).get('libvirt_uri', ''))

    def conn(self, node):
        """The node's hypervisor's libvirt connection, or a ProviderError."""
        name = node['hypervisor']
        if name not in self._conns:
            try:
                self._conns[name] = libvirt_provider.connect(
                    self.hypervisor(node).get('libvirt_uri', ''))
            except exception.ProviderError as err:
                self._conns[name] = err
        if isinstance(self._conns[name], Exception):
            raise self._conns[name]
        return self._conns[name]

    def domain(self, node):
        """The node's libvirt domain, or None when there is none."""
        try:
            return self.conn(node).lookupByName(node['name'])
        except libvirt.libvirtError as err:
            if err.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise exception.ProviderError('libvirt: %s' % err)

    def host(self, node):
        """The node's hypervisor's host; None if the state cannot say how."""
        name = node['hypervisor']
        if name not in self._hosts:
            ssh = self.hypervisor(node).get('ssh')
            if self.local(node):
                self._hosts[name] = hosts.LocalHost()
            elif ssh:
                self._hosts[name] = hosts.SSHHost(
                    name, ssh['address'], ssh['user'], ssh['port'],
                    ssh['key'], self.conf.ssh.known_hosts_file,
                    self.conf.ssh.connect_timeout)
            else:
                self._hosts[name] = None
        return self._hosts[name]

    def net(self, node, host):
        """The hypervisor's links and bridges, or a HostError."""
        name = node['hypervisor']
        if name not in self._nets:
            try:
                self._nets[name] = net_facts.read(host, self.cluster_id)
            except exception.HostError as err:
                self._nets[name] = err
        if isinstance(self._nets[name], Exception):
            raise self._nets[name]
        return self._nets[name]

    def redfish_ca(self, node):
        """The certificate a Redfish client trusts, as Tenks keeps it.

        Where tenks.context.Context.sushy keeps it: beside the state for
        the local hypervisor, under hosts/<name>/redfish-ca for others.
        """
        if not self.hypervisor(node).get('redfish_tls'):
            return None
        if self.local(node):
            return os.path.join(self.state_dir, 'sushy', 'cert.pem')
        return os.path.join(self.state_dir, 'hosts', node['hypervisor'],
                            'redfish-ca', 'cert.pem')

    def bmc(self, node):
        return probe.for_node(node, self.data['credentials'],
                              self.redfish_ca(node))

    def close(self):
        for conn in self._conns.values():
            if not isinstance(conn, Exception):
                conn.close()
        for host in self._hosts.values():
            if host is not None:
                host.close()


def _ironic_view(conf, data):
    """(nodes by name, ports by MAC, None), or a reason they are unknown."""
    if not any(node.get('ironic_config') or node.get('ironic_uuid')
               for node in data['nodes'].values()):
        return {}, {}, None
    if not ironic_client.configured(conf):
        return None, None, ('skipped: no Ironic cloud is configured (set '
                            'OS_CLOUD or [ironic] cloud in tenks.conf)')
    try:
        ironic = ironic_client.Ironic(conf)
        return ironic.nodes(), ironic.ports(), None
    except exception.IronicError as err:
        return None, None, str(err)


def _passive(world, node):
    try:
        domain = world.domain(node)
        facts = domain and domain_xml.parse(domain.XMLDesc())
        results = [checks.domain(node, facts, world.cluster_id)]
    except exception.ProviderError as err:
        results = [checks.failed(node, 'domain', str(err))]
    host = world.host(node)
    if host is None:
        results.append(checks.passed(node, 'wiring', SKIP_NO_SSH
                                     % node['hypervisor']))
    else:
        try:
            results.append(checks.wiring(node, world.net(node, host)))
        except exception.HostError as err:
            results.append(checks.failed(node, 'wiring', 'cannot read '
                                         'hypervisor %s: %s' % (
                                             node['hypervisor'], err)))
    return results + _ironic(world, node)


def _ironic(world, node):
    if not (node.get('ironic_config') or node.get('ironic_uuid')):
        reason = 'skipped: not enrolled (its spec has no ironic_config)'
    elif world.ironic_nodes is None:
        reason = world.ironic_problem
    elif not node.get('ironic_uuid'):
        reason = 'not enrolled: the state records no Ironic node; run ' \
                 'tenks deploy'
    else:
        return _ironic_checks(world, node)
    ok = reason.startswith('skipped')
    return [checks.Result(node['name'], check, ok, reason)
            for check in ('ironic-node', 'ironic-ports')]


def _ironic_checks(world, node):
    expected = {
        'driver': node['ironic_driver'],
        'driver_info': fields.bmc_info(node, world.data['credentials'],
                                       world.redfish_ca(node)),
        'extra': {fields.MARK: world.cluster_id,
                  fields.HYPERVISOR: node['hypervisor'],
                  'tenks_node': node['uuid']},
    }
    wanted = [fields.port_fields(
        nic, naming.bridge_mac(world.cluster_id, nic['bridge']),
        node['hypervisor'], world.cluster_id) for nic in node['nics']]
    return [checks.ironic_node(node, expected,
                               world.ironic_nodes.get(node['name'])),
            checks.ironic_ports(node, wanted, world.ironic_ports)]


def _probe(world, node, power, pxe):
    """The BMC check, then the power and PXE checks asked for."""
    bmc = world.bmc(node)
    try:
        domain = world.domain(node)
    except exception.ProviderError as err:
        domain, missing = None, str(err)
    else:
        missing = 'not run: no domain %s' % node['name']
    running = domain.isActive() == 1 if domain else None
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
    running = domain.isActive() == 1
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
    deadline = time.monotonic() + timeout
    while (domain.isActive() == 1) != on:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def _pxe(world, node, bmc, domain):
    """Powered on by its BMC, the node gets a DHCP reply intact."""
    if not world.local(node):
        return checks.passed(node, 'pxe', SKIP_PXE % node['hypervisor'])
    nic = checks.pxe_nic(node, world.ironic_ports or {})
    if nic is None:
        return checks.failed(node, 'pxe', 'no Ironic port of the node has '
                             'PXE enabled')
    if domain.isActive() == 1:
        problem = _set_power(bmc, domain, False)
        if problem:
            return checks.failed(node, 'pxe', problem)
    try:
        watch = dhcp.Watch(nic['veth_node'])
    except OSError as err:
        return checks.failed(node, 'pxe', 'cannot watch veth %s: %s' % (
            nic['veth_node'], err))
    with watch:
        started = time.monotonic()
        problem = _set_power(bmc, domain, True)
        if problem:
            return checks.failed(node, 'pxe', problem)
        exchange = watch.exchange(nic['mac'], PXE_TIMEOUT, REPLY_TIMEOUT)
        return checks.pxe(node, nic, exchange, time.monotonic() - started)


def _restore(node, domain, running):
    """Give the domain back its power state, through libvirt if need be."""
    try:
        if _wait(domain, running, 0):
            return
        LOG.debug('Restoring power %s of %s', 'on' if running else 'off',
                  node['name'])
        domain.create() if running else domain.destroy()
    except libvirt.libvirtError as err:
        raise exception.ProviderError(
            'Could not restore the power state of %s (%s): %s' % (
                node['name'], 'running' if running else 'shut off', err))
