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

"""What `tenks verify` concludes: recorded state against observed facts.

Pure: every function takes a node record of the state and what was seen
(domain facts, network facts, BMC and Ironic answers) and returns Results.
"""

import os
import typing

from tenks import arches
from tenks.ironic import fields
from tenks import naming
from tenks.network import dhcp
from tenks.network import vlans as network_vlans

# The order checks are reported in, for each node.
ORDER = ('domain', 'wiring', 'lldp', 'bmc', 'power', 'ironic-node',
         'ironic-ports', 'pxe', 'inspect', 'clean', 'deploy',
         'boot-from-disk', 'undeploy')
FIX = 'run tenks deploy to repair'


PASSED = 'passed'
FAILED = 'failed'
# A check that could not run (a remote hypervisor, a node not enrolled):
# it neither proves nor disproves anything, and does not fail the run.
SKIPPED = 'skipped'


class Result(typing.NamedTuple):
    node: str
    check: str
    status: str
    detail: str

    @property
    def ok(self):
        return self.status != FAILED


def passed(node, check, detail):
    return Result(node.name, check, PASSED, detail)


def failed(node, check, detail):
    return Result(node.name, check, FAILED, detail)


def skipped(node, check, reason):
    return Result(node.name, check, SKIPPED, reason)


def _outcome(node, check, problems, good):
    if problems:
        return failed(node, check, '; '.join(problems))
    return passed(node, check, good)


def domain(node, facts, cluster_id):
    """The domain exists, is Tenks', and has the recorded hardware."""
    if facts is None:
        return failed(node, 'domain', 'no domain %s on %s; %s' % (
            node.name, node.hypervisor, FIX))
    problems = []
    if facts['cluster'] != cluster_id:
        problems.append('domain is not marked as made by this cluster')
    expected = {
        'uuid': node.uuid,
        'memory_mb': node.memory_mb,
        'vcpus': node.vcpus,
        'boot_mode': node.boot_mode,
        'arch': arches.of(node.arch).name,
        'nics': [(nic.mac, nic.veth_node) for nic in node.nics],
        'disks': [volume.name for volume in node.volumes],
    }
    seen = dict(facts, nics=[tuple(nic) for nic in facts['nics']],
                disks=[os.path.basename(disk) for disk in facts['disks']])
    for key, value in expected.items():
        if seen[key] != value:
            problems.append('%s is %s, recorded %s' % (
                key, seen[key], value))
    if problems:
        problems[-1] += '; ' + FIX
    return _outcome(node, 'domain', problems, '%d MiB, %d vCPU(s), %d '
                    'NIC(s), %d disk(s) as recorded' % (
                        node.memory_mb, node.vcpus, len(node.nics),
                        len(node.volumes)))


def wiring(node, net, vlans=None):
    """Each NIC's veth pair exists and its bridge end is on its bridge.

    net is the hypervisor's tenks.network.facts.NetworkFacts; vlans the
    VLAN of each physnet that has one, which its bridge's uplink tags.
    """
    problems = []
    for nic in node.nics:
        wanted = (vlans or {}).get(nic.physnet)
        if wanted is not None:
            port = naming.uplink(nic.bridge, naming.NODE_SIDE)
            seen = network_vlans.tag_of(net, port)
            if seen != wanted:
                problems.append('uplink %s of bridge %s (%s) is %s, not on '
                                'VLAN %d' % (port, nic.bridge, nic.physnet,
                                             network_vlans.words(seen),
                                             wanted))
        end, bridge = nic.veth_bridge, nic.bridge
        link = net.links.get(end)
        if link is None:
            problems.append('veth %s (%s) is missing' % (end, nic.physnet))
            continue
        if link.peer != nic.veth_node:
            problems.append('veth %s is paired with %s, not %s' % (
                end, link.peer, nic.veth_node))
        on = net.bridge_of(end)
        if on != bridge:
            problems.append('veth %s is on %s, not on bridge %s of %s' % (
                end, on or 'no bridge', bridge, nic.physnet))
    if problems:
        problems[-1] += '; ' + FIX
    return _outcome(node, 'wiring', problems, ', '.join(
        '%s on %s' % (nic.veth_bridge, nic.bridge)
        for nic in node.nics))


def lldp(node, wanted, sender):
    """The hypervisor's LLDP sender announces each NIC's switch port.

    wanted is {port: announcement} of the node's NICs
    (tenks.lldp.kind.announcements), sender what the hypervisor's sender
    runs (tenks.lldp.kind.Daemon.observed).
    """
    if not sender['running']:
        problems = ['the LLDP sender of %s is not running' % node.hypervisor]
    else:
        problems = [
            '%s announces %s, not %s' % (port, _said(sender['ports'].get(
                port)), _said(wanted[port]))
            for port in sorted(wanted)
            if (sender['ports'] or {}).get(port) != wanted[port]]
        problems += ['cannot send on %s: %s' % (port, sender['failed'][port])
                     for port in sorted(wanted) if port in sender['failed']]
    if problems:
        problems[-1] += '; ' + FIX
    return _outcome(node, 'lldp', problems, ', '.join(
        '%s as %s' % (port, _said(wanted[port])) for port in sorted(wanted)))


def _said(announcement):
    if not announcement:
        return 'nothing'
    return '%(system_name)s %(chassis_id)s port %(port_id)s' % announcement


def bmc(node, answer, domain_running):
    """The BMC answered with the recorded credentials, telling the truth.

    answer is the power state the BMC gave ('on' or 'off'), or an error
    line when it gave none; domain_running None when the domain is absent.
    """
    where = bmc_name(node)
    if answer not in ('on', 'off'):
        return failed(node, 'bmc', '%s: %s; %s' % (where, answer, FIX))
    if domain_running is not None and (answer == 'on') != domain_running:
        return failed(node, 'bmc', '%s says power %s but the domain is %s' % (
            where, answer, 'running' if domain_running else 'not running'))
    return passed(node, 'bmc', '%s answers: power %s' % (where, answer))


def bmc_name(node):
    bmc_record = node.bmc
    return '%s BMC %s:%s' % ('IPMI' if bmc_record.driver == 'ipmi'
                             else 'Redfish', bmc_record.address,
                             bmc_record.port)


def ironic_node(node, expected, have):
    """The Ironic node is the recorded one, as Tenks set it, and healthy.

    expected holds the fields Tenks sets that a verify can know without
    the cluster file: driver, the BMC's driver_info and the ownership
    marks in extra.
    """
    if have is None:
        return failed(node, 'ironic-node', 'Ironic has no node named %s; '
                      '%s' % (node.name, FIX))
    problems = []
    if have['id'] != node.outcome.ironic_uuid:
        problems.append('Ironic node %s is %s, recorded %s' % (
            node.name, have['id'], node.outcome.ironic_uuid))
    changed = fields.node_changes(expected, have)
    if changed:
        problems.append('%s differ from what Tenks set (%s)' % (
            ', '.join(changed), FIX))
    if have.get('is_maintenance'):
        problems.append('in maintenance: %s' % (
            have.get('maintenance_reason') or 'no reason given'))
    state = have.get('provision_state') or ''
    if state == 'error' or state.endswith('failed'):
        problems.append('provision state %s: %s' % (
            state, have.get('last_error') or 'no error recorded'))
    return _outcome(node, 'ironic-node', problems, '%s, %s, %s' % (
        have['id'], state, have.get('power_state') or 'power unknown'))


def ironic_ports(node, wanted, ports):
    """One port per NIC with its MAC, physnet and local_link_connection.

    wanted are the port fields Tenks sets (tenks.ironic.fields.port_fields)
    in NIC order; ports are Ironic's ports by address.
    """
    problems = []
    for want in wanted:
        have = ports.get(want['address'])
        if have is None:
            problems.append('no Ironic port has MAC %s of the NIC on %s' % (
                want['address'], want['physical_network']))
            continue
        changed = fields.port_changes(dict(
            want, node_id=node.outcome.ironic_uuid), have)
        if changed:
            problems.append('port %s: %s differ' % (
                want['address'], ', '.join(changed)))
    addresses = {want['address'] for want in wanted}
    strays = sorted(address for address, port in ports.items()
                    if port.get('node_id') == node.outcome.ironic_uuid
                    and address not in addresses)
    if strays:
        problems.append('port(s) %s match no NIC of the node' %
                        ', '.join(strays))
    if problems:
        problems[-1] += '; ' + FIX
    return _outcome(node, 'ironic-ports', problems, '%d port(s) match the '
                    'NICs' % len(wanted))


def pxe_nic(node, ports):
    """The NIC the node boots from: the first whose port has PXE enabled.

    Without Ironic ports to say, the first NIC, which is also the one the
    firmware tries first.
    """
    for nic in node.nics:
        port = ports.get(nic.mac)
        if port is None or port.get('is_pxe_enabled', True):
            return nic
    return None


def pxe(node, nic, exchange, waited):
    """What a node's DHCP exchange, seen on its veth end, says.

    exchange is a tenks.network.dhcp.Exchange; waited the seconds since
    power on.
    """
    where = 'veth %s (%s)' % (nic.veth_node, nic.physnet)
    answer = exchange.answered
    if answer is not None:
        return passed(node, 'pxe', 'DHCP %s to %s reached %s intact %d s '
                      'after power on' % (
                          dhcp.NAMES.get(answer.type, answer.type),
                          nic.mac, where, waited))
    if not exchange.discovers:
        return failed(node, 'pxe', 'no DHCP DISCOVER from %s on %s in %d s '
                      'after power on' % (nic.mac, where, waited))
    if exchange.replies:
        return failed(node, 'pxe', '%d DHCP repl%s to %s reached %s '
                      'damaged (bad IP or UDP checksum), so the node '
                      'drops them' % (
                          len(exchange.replies),
                          'y' if len(exchange.replies) == 1 else 'ies',
                          nic.mac, where))
    return failed(node, 'pxe', 'no DHCP server answered on physnet %s: %d '
                  'DISCOVER(s) from %s got no reply on %s' % (
                      nic.physnet, exchange.discovers, nic.mac, where))


def summary(results):
    """One line naming each failing node and its failed checks."""
    failing = {}
    for result in results:
        if not result.ok:
            failing.setdefault(result.node, []).append(result.check)
    if not failing:
        return None
    return 'verify failed: %s' % '; '.join(
        '%s: %s' % (name, ', '.join(checks))
        for name, checks in sorted(failing.items()))


def ordered(results):
    return sorted(results, key=lambda r: (r.node, ORDER.index(r.check)))
