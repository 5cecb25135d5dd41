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

"""Placement of nodes: names, hypervisors, BMC ports, MACs and links.

Pure: takes the cluster and the previous state, returns the next state.
Existing nodes never move and keep their names, MACs and ports; new nodes
take the lowest free name index and port. Nodes no longer wanted stay in
the returned state marked absent, so that a run killed before removing
them still knows what to remove; while they are there, a spec wanting
nodes again takes them back (whatever of them still exists is repaired)
before it makes new ones, so that a teardown killed part way and then a
deploy give the cluster its old names, MACs, ports and Ironic UUIDs.

Which hypervisor a new node goes to is the choice of a scheduler plugin
(entry point namespace ``tenks.schedulers``): a class made once per run as
``plugin(conf, facts)``: a tenks.contracts.Scheduler, whose
``place(request)`` returns a Placement. ``facts`` maps hypervisor names
to what the provider found there (see tenks.contracts.Provider.capacity);
it is gathered only for plugins whose ``needs_facts`` is true, and only
when new nodes are to be placed.
"""

import copy
import random
import uuid

from tenks import contracts
from tenks import exception
from tenks import naming
from tenks import records


class RoundRobinScheduler(contracts.Scheduler):
    """Hypervisors in turn, skipping those that cannot take a node."""

    def __init__(self, conf=None, facts=None):
        super().__init__(conf, facts)
        self._turn = 0

    def choose(self, node_type, candidates):
        choice = candidates[self._turn % len(candidates)]
        self._turn += 1
        return choice

    def place(self, request):
        choice = self.choose(request.node_type, list(request.candidates))
        return contracts.Placement(
            choice, '%s: next in turn (round robin)' % choice.name)


def schedule(cluster, previous, scheduler, rng=None):
    """Return the state that realises cluster, starting from previous."""
    rng = rng or random.SystemRandom()
    state = copy.deepcopy(previous)
    _record_hypervisors(cluster, state)
    nodes = state.nodes
    kept = {spec.key: _kept_nodes(cluster, spec, nodes)
            for spec in cluster.specs}
    wanted = {name for names in kept.values() for name in names}
    # Removals and edits first, so that placing new nodes sees what the
    # hypervisors will really hold.
    for name, node in nodes.items():
        if name not in wanted:
            node.state = records.ABSENT
    for spec in cluster.specs:
        for name in kept[spec.key]:
            _refresh(nodes[name], cluster, spec)
            _refit(nodes[name], cluster, spec, state, rng)
    for spec in cluster.specs:
        for _ in range(spec.count - len(kept[spec.key])):
            node = _new_node(cluster, spec, state, scheduler, rng)
            nodes[node.name] = node
    return state


def new_node_count(cluster, previous):
    """How many nodes schedule() would add to previous; cheap."""
    return sum(spec.count - len(_kept_nodes(cluster, spec, previous.nodes))
               for spec in cluster.specs)


def _record_hypervisors(cluster, state):
    """How each hypervisor is reached, and its physnet indices.

    Its physnets keep their indices; new ones take free ones. The way in
    is recorded for `tenks verify`, which reads only the state.
    """
    for hypervisor in cluster.hypervisors:
        record = state.hypervisors.setdefault(hypervisor.name,
                                              records.HypervisorRecord())
        record.libvirt_uri = hypervisor.libvirt_uri
        record.ssh = None if hypervisor.is_local else records.Ssh(
            address=hypervisor.address, user=hypervisor.ssh_user,
            port=hypervisor.ssh_port, key=hypervisor.ssh_key)
        record.physnet_vlans = dict(hypervisor.physnet_vlans)
        indices = record.physnet_indices
        for physnet in list(indices):
            if physnet not in hypervisor.physnet_mappings:
                del indices[physnet]
        for physnet in sorted(hypervisor.physnet_mappings):
            if physnet not in indices:
                indices[physnet] = _lowest_free(indices.values())


def _lowest_free(used, start=0):
    used = set(used)
    index = start
    while index in used:
        index += 1
    return index


def _kept_nodes(cluster, spec, nodes):
    """Names of the spec's nodes to keep: the lowest-numbered.

    Present nodes first, then those being removed that can come back:
    their hypervisor is still there and maps their node type's physnets.
    """
    def order(name):
        return (not nodes[name].is_present,
                naming.node_index(name, spec.node_name_prefix) or 0, name)

    mine = [name for name, node in nodes.items()
            if node.spec == spec.key and (
                node.is_present or _revivable(cluster, spec, node))]
    return sorted(mine, key=order)[:spec.count]


def _revivable(cluster, spec, node):
    wanted = set(cluster.node_types[spec.type].physical_networks)
    return any(hypervisor.name == node.hypervisor
               and wanted <= set(hypervisor.physnet_mappings)
               for hypervisor in cluster.hypervisors)


def _refresh(node, cluster, spec):
    """Bring a kept node's wanted hardware and Ironic data up to date."""
    node_type = cluster.node_types[spec.type]
    for key, value in _hardware(spec, node_type).items():
        setattr(node, key, value)
    node.state = records.PRESENT


def _refit(node, cluster, spec, state, rng):
    """Give a kept node the NICs and volumes its node type now lists.

    NICs on physnets still listed keep their MAC and links, volumes keep
    their names; only what was added or removed changes. A node whose
    type moved to another BMC kind (IPMI to Redfish) gets a BMC of that
    kind.
    """
    node_type = cluster.node_types[spec.type]
    hypervisor = _hypervisor_of(cluster, node)
    unmapped = sorted(set(node_type.physical_networks)
                      - set(hypervisor.physnet_mappings))
    if unmapped:
        raise exception.PhysnetsUnmappedOnHypervisor(
            source=cluster.source, node=node.name, spec=spec.key,
            hypervisor=hypervisor.name, physnets=unmapped)
    old = list(node.nics)
    node.nics = []
    for physnet in node_type.physical_networks:
        same = [nic for nic in old if nic.physnet == physnet]
        if same:
            old.remove(same[0])
            node.nics.append(same[0])
        else:
            node.nics.extend(_nics(node.name, [physnet], hypervisor,
                                   cluster, state, rng))
    volumes = node.volumes[:len(node_type.volumes)]
    for index, capacity in enumerate(node_type.volumes):
        if index < len(volumes):
            volumes[index].capacity = capacity
        else:
            volumes.append(_volume(node.name, spec, index, capacity,
                                   state))
    node.volumes = volumes
    if _bmc_driver(node_type) != node.bmc.driver:
        node.bmc = _bmc(cluster, hypervisor, node_type, state)


def _hypervisor_of(cluster, node):
    for hypervisor in cluster.hypervisors:
        if hypervisor.name == node.hypervisor:
            return hypervisor
    raise exception.HypervisorRemoved(source=cluster.source,
                                      node=node.name,
                                      hypervisor=node.hypervisor)


def _volume(node_name, spec, index, capacity, state):
    taken = {volume.name for node in state.nodes.values()
             for volume in node.volumes}
    name = '%s%s%d' % (node_name, spec.vol_name_prefix, index)
    while name in taken:
        index += 1
        name = '%s%s%d' % (node_name, spec.vol_name_prefix, index)
    return records.Volume(name=name, capacity=capacity)


def _hardware(spec, node_type):
    return {
        'type': node_type.name,
        'memory_mb': node_type.memory_mb,
        'vcpus': node_type.vcpus,
        'cpu_mode': node_type.cpu_mode,
        'arch': node_type.arch,
        'console_log': node_type.console_log_enabled,
        'boot_mode': spec.boot_mode,
        'ironic_driver': node_type.ironic_driver,
        'ironic_config': spec.ironic_config,
    }


def _new_node(cluster, spec, state, scheduler, rng):
    node_type = cluster.node_types[spec.type]
    placement = _place(cluster, spec, node_type, state, scheduler)
    hypervisor = placement.hypervisor
    name = _free_name(spec.node_name_prefix, state.nodes)
    node = records.Node(
        name=name,
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        spec=spec.key,
        hypervisor=hypervisor.name,
        volumes=[_volume(name, spec, index, capacity, state)
                 for index, capacity in enumerate(node_type.volumes)],
        nics=_nics(name, node_type.physical_networks, hypervisor,
                   cluster, state, rng),
        bmc=_bmc(cluster, hypervisor, node_type, state),
        # Why it is there: shown as the reason of its domain's creation.
        outcome=records.NodeOutcome(placement=placement.reason))
    _refresh(node, cluster, spec)
    return node


def _bmc_driver(node_type):
    return 'redfish' if node_type.ironic_driver == 'redfish' else 'ipmi'


def _bmc(cluster, hypervisor, node_type, state):
    if _bmc_driver(node_type) == 'redfish':
        # One emulator per hypervisor serves every Redfish node there.
        address = (cluster.redfish.address if hypervisor.is_local
                   else hypervisor.bmc_address)
        return records.Bmc(driver='redfish', address=address,
                           port=cluster.redfish.port)
    return records.Bmc(driver='ipmi', address=hypervisor.bmc_address,
                       port=_free_port(cluster, hypervisor, state))


def _place(cluster, spec, node_type, state, scheduler):
    refused = {}
    candidates = []
    for hypervisor in cluster.hypervisors:
        missing = sorted(set(node_type.physical_networks)
                         - set(hypervisor.physnet_mappings))
        if missing:
            refused[hypervisor.name] = 'lacks %s' % ', '.join(missing)
        else:
            candidates.append(hypervisor)
    if not candidates:
        missing = sorted(set(node_type.physical_networks) - set(
            cluster.hypervisors[0].physnet_mappings))
        raise exception.PhysnetsUnmapped(source=cluster.source,
                                         node_type=spec.type,
                                         physnets=missing)
    with_ports = []
    for hypervisor in candidates:
        if (node_type.ironic_driver != 'ipmi'
                or _ports_left(cluster, hypervisor, state)):
            with_ports.append(hypervisor)
        else:
            refused[hypervisor.name] = 'has no free IPMI port'
    if not with_ports:
        raise exception.IPMIPortsTaken(source=cluster.source, spec=spec.key,
                                       start=cluster.ipmi.port_range_start,
                                       end=cluster.ipmi.port_range_end)
    return scheduler.place(contracts.Request(
        cluster, spec, node_type, state, tuple(with_ports), refused))


def _free_name(prefix, nodes):
    index = _lowest_free(
        naming.node_index(name, prefix) for name in nodes)
    return '%s%d' % (prefix, index)


def _used_ports(hypervisor, state):
    """Ports taken on the hypervisor, or on its BMC address elsewhere."""
    return {node.bmc.port for node in state.nodes.values()
            if node.bmc.driver == 'ipmi' and (
                node.hypervisor == hypervisor.name
                or node.bmc.address == hypervisor.bmc_address)}


def _ports_left(cluster, hypervisor, state):
    return set(cluster.ipmi.ports) - _used_ports(hypervisor, state)


def _free_port(cluster, hypervisor, state):
    return min(_ports_left(cluster, hypervisor, state))


def _nics(name, physnets, hypervisor, cluster, state, rng):
    indices = state.hypervisors[hypervisor.name].physnet_indices
    taken_links = _taken_links(state)
    taken_macs = {nic.mac for node in state.nodes.values()
                  for nic in node.nics}
    nics = []
    for physnet in physnets:
        index = indices[physnet]
        bridge_end, node_end = _veth_pair(name, index, taken_links)
        mac = _free_mac(rng, taken_macs)
        nics.append(records.Nic(
            physnet=physnet, mac=mac,
            bridge=naming.bridge(cluster.network.bridge_prefix, index),
            veth_bridge=bridge_end, veth_node=node_end))
    return nics


def _taken_links(state):
    return {link for node in state.nodes.values()
            for nic in node.nics for link in nic.links}


def _veth_pair(name, index, taken):
    for salt in range(100):
        pair = (naming.veth(name, index, naming.BRIDGE_SIDE, salt),
                naming.veth(name, index, naming.NODE_SIDE, salt))
        if not taken.intersection(pair):
            taken.update(pair)
            return pair
    raise exception.NoFreeLinkName(node=name)


def _free_mac(rng, taken):
    while True:
        # 52:54:00 is the prefix QEMU and libvirt use for guest NICs.
        mac = '52:54:00:%02x:%02x:%02x' % tuple(
            rng.getrandbits(8) for _ in range(3))
        if mac not in taken:
            taken.add(mac)
            return mac
