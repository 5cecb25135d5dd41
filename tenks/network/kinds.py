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

"""Physnet bridges and node veth pairs as reconciled resource kinds."""

import dataclasses
import shlex

from tenks import contracts
from tenks import exception
from tenks import naming
from tenks.network import batch as batch_module
from tenks.network import facts as net_facts
from tenks.network import linuxbridge
from tenks.network import offload
from tenks.network import ovs
from tenks.network import vlans
from tenks import plan


def backend(kind, cluster_id, datapath_type='netdev'):
    if kind == 'openvswitch':
        return ovs.OVSBridges(cluster_id, datapath_type)
    return linuxbridge.LinuxBridges(cluster_id)


def _facts(ctx, hypervisor):
    """The hypervisor's links and bridges, read once per step.

    A cluster of Open vSwitch bridges stops when Open vSwitch does not
    answer, rather than take its bridges for gone.
    """
    facts = ctx.facts.cached(('network', hypervisor.name), lambda: (
        net_facts.read(ctx.hypervisors.host(hypervisor), ctx.cluster_id)))
    if facts.ovs_error and ctx.cluster.network.bridge_type == 'openvswitch':
        raise exception.OpenvswitchUnreachable(
            host=hypervisor.name, command=shlex.join(net_facts.OVS_PROBE),
            reason=facts.ovs_error)
    return facts


def _batch(ctx, hypervisor):
    return batch_module.Batch(ctx.hypervisors.host(hypervisor))


def _bridges(ctx, kind=None):
    """The bridge backend of kind; by default the cluster's own."""
    network = ctx.cluster.network
    return backend(kind or network.bridge_type, ctx.cluster_id,
                   ovs.datapath_type(network.ovs_datapath_type))


def _add_veth(batch, mark, name, peer):
    batch.ip('link', 'add', 'name', name, 'type', 'veth', 'peer', 'name',
             peer)
    for end in (name, peer):
        batch.ip('link', 'set', 'dev', end, 'alias',
                 net_facts.ALIAS_PREFIX + mark)
        batch.ip('link', 'set', 'dev', end, 'up')


class Physnets(contracts.Kind):
    """One bridge per physnet per hypervisor, plugged to its source."""

    name = 'physnet'

    def want(self, ctx, hypervisor):
        if ctx.teardown:
            return {}
        indices = ctx.state.hypervisors[hypervisor.name].physnet_indices
        return {
            naming.bridge(ctx.cluster.network.bridge_prefix, index): {
                'physnet': physnet,
                'source': hypervisor.physnet_mappings[physnet],
                'vlan': hypervisor.physnet_vlans.get(physnet),
                'type': ctx.cluster.network.bridge_type}
            for physnet, index in indices.items()}

    def observe(self, ctx, hypervisor, want):
        facts = _facts(ctx, hypervisor)
        for item in want.values():
            _check_source(ctx, facts, hypervisor, item)
        for name in want:
            hop = naming.hop(name)
            if hop in facts.links and not facts.owns_link(hop):
                raise exception.OwnershipError(kind='link', name=hop,
                                               host=hypervisor.name)
        seen = {}
        names = set(want) | set(facts.ovs) | {
            name for name, link in facts.links.items()
            if link.kind == 'bridge'}
        for name in names:
            kind = facts.device_kind(name)
            if kind is None:
                continue
            owned = backend(kind, ctx.cluster_id).owns(facts, name)
            if naming.is_hop(name) and name not in want:
                continue
            if owned or name in want:
                item = want.get(name)
                seen[name] = plan.Observed(owned, {
                    'type': kind,
                    'uplink': self._uplinked(ctx, facts, name, item),
                    'vlan': vlans.tag_of(facts, naming.uplink(
                        name, naming.NODE_SIDE)),
                    'offloading': [
                        end for end in _quiet_ends(ctx, facts, name, item)
                        if facts.tx_offload(end) is not False]})
        return seen

    @staticmethod
    def _uplinked(ctx, facts, name, item):
        if item is None:
            return None
        source = item['source']
        up = naming.uplink(name, naming.BRIDGE_SIDE)
        phy = naming.uplink(name, naming.NODE_SIDE)
        if facts.device_kind(source) == 'interface':
            if not _bridges(ctx).userspace:
                return facts.bridge_of(source) == name
            source = naming.hop(name)
            if facts.bridge_of(item['source']) != source:
                return False
        return facts.bridge_of(up) == name and facts.bridge_of(phy) == source

    def review(self, ctx, hypervisor, actions):
        # What a new bridge will join, so that `tenks plan` shows it.
        return [dataclasses.replace(action, reason='%s to %s%s' % (
            action.want['physnet'], action.want['source'],
            ' on VLAN %d' % action.want['vlan'] if action.want['vlan']
            else '')) if action.verb == plan.CREATE else action
            for action in actions]

    @staticmethod
    def compare(want, have):
        if want['type'] != have['type']:
            return 'is %s, wanted %s' % (have['type'], want['type'])
        if not have['uplink']:
            return 'not plugged to %s' % want['source']
        if want.get('vlan') != have.get('vlan'):
            return 'uplink to %s %s, wanted %s' % (
                want['source'], vlans.words(have.get('vlan')),
                vlans.words(want.get('vlan')))
        if have['offloading']:
            return '%s offload(s) TX checksums into a userspace datapath' % (
                ', '.join(have['offloading']))
        return None

    def apply(self, ctx, hypervisor, actions):
        facts = _facts(ctx, hypervisor)
        batch = _batch(ctx, hypervisor)
        for action in actions:
            if action.verb == plan.DELETE or (
                    action.verb == plan.UPDATE
                    and action.want['type'] != action.have['type']):
                self._delete(ctx, batch, facts, action.name,
                             (action.have or {}).get('type'))
                if action.verb == plan.DELETE:
                    continue
                self._create(ctx, batch, facts, action.name, action.want)
            elif action.verb == plan.CREATE:
                self._create(ctx, batch, facts, action.name, action.want)
            else:
                self._plug(ctx, batch, facts, action.name, action.want)
        batch.flush()

    def _delete(self, ctx, batch, facts, name, kind):
        up = naming.uplink(name, naming.BRIDGE_SIDE)
        phy = naming.uplink(name, naming.NODE_SIDE)
        if phy in facts.port_bridge and facts.ovs.get(
                facts.port_bridge[phy]).ports[phy].mark == ctx.cluster_id:
            batch.ovs('--if-exists', 'del-port', facts.port_bridge[phy], phy)
        if facts.owns_link(up) and facts.links[up].kind == 'veth':
            batch.ip('link', 'del', 'dev', up)
        if facts.owns_link(naming.hop(name)):
            batch.ip('link', 'del', 'dev', naming.hop(name))
        _bridges(ctx, kind).delete_bridge(batch, name)

    def _create(self, ctx, batch, facts, name, item):
        _bridges(ctx).create_bridge(batch, name)
        self._plug(ctx, batch, facts, name, item)

    def _plug(self, ctx, batch, facts, name, item):
        source = item['source']
        source_kind = facts.device_kind(source)
        ours = _bridges(ctx)
        _unplug_stale(ctx, batch, facts, name, source)
        if source_kind == 'interface' and not ours.userspace:
            batch.ip('link', 'set', 'dev', source, 'up')
            ours.add_port(batch, name, source)
            return
        up = naming.uplink(name, naming.BRIDGE_SIDE)
        phy = naming.uplink(name, naming.NODE_SIDE)
        if source_kind == ours.type == 'openvswitch':
            ours.add_patch(batch, name, up, phy)
            ours.add_patch(batch, source, phy, up)
            vlans.set_on(ours, batch, facts, phy, item.get('vlan'))
            return
        if up not in facts.links:
            _add_veth(batch, ctx.cluster_id, up, phy)
        ours.add_port(batch, name, up)
        if source_kind == 'interface':
            self._plug_hop(ctx, batch, facts, name, source, phy)
        else:
            _bridges(ctx, source_kind).add_port(batch, source, phy)
            if source_kind == 'openvswitch':
                vlans.set_on(_bridges(ctx, source_kind), batch, facts,
                             phy, item.get('vlan'))
        for end in _quiet_ends(ctx, facts, name, item):
            offload.turn_off(batch, end)

    @staticmethod
    def _plug_hop(ctx, batch, facts, name, source, phy):
        """Source interface and veth end phy on a Tenks kernel bridge.

        The interface's peer (a user's server, say) is not Tenks' to
        change, so its packets cross a kernel bridge and leave it through
        phy, whose offloads are off, before the userspace datapath reads
        them.
        """
        hop = naming.hop(name)
        kernel = _bridges(ctx, 'linuxbridge')
        if facts.bridge_of(source) == name:
            _bridges(ctx).remove_port(batch, name, source)
        if hop not in facts.links:
            kernel.create_bridge(batch, hop)
        batch.ip('link', 'set', 'dev', source, 'up')
        kernel.add_port(batch, hop, source)
        kernel.add_port(batch, hop, phy)


def _check_source(ctx, facts, hypervisor, item):
    """The physnet's device exists, and can carry its VLAN if it has one."""
    kind = facts.device_kind(item['source'])
    problem = None
    if kind is None:
        problem = 'device %r does not exist on %s' % (item['source'],
                                                      hypervisor.name)
    elif item.get('vlan') and kind != 'openvswitch':
        problem = vlans.needs_ovs(item, hypervisor, kind)
    if problem:
        raise exception.ConfigError(
            source=ctx.cluster.source,
            path='physnet_mappings.%s' % item['physnet'], problem=problem)


def _unplug_stale(ctx, batch, facts, name, source):
    """What joined bridge name to another source, or another way.

    The source-side end leaves a bridge that is no longer the source; a
    patch pair goes when a veth is wanted, and the reverse.
    """
    up = naming.uplink(name, naming.BRIDGE_SIDE)
    phy = naming.uplink(name, naming.NODE_SIDE)
    patched = facts.device_kind(source) == _bridges(ctx).type == \
        'openvswitch'
    on = facts.port_bridge.get(phy)
    if on and on != source and facts.ovs[on].ports[phy].mark == \
            ctx.cluster_id:
        batch.ovs('--if-exists', 'del-port', on, phy)
        # Moved to another bridge in the same transaction, a patch port
        # stays on the old one in ovs-vswitchd 3.x's userspace datapath
        # (`ovs-appctl dpif/show` lists it on both) and its peer's
        # frames still go there: the removal is a transaction of its own.
        batch.barrier()
    ours = facts.ovs.get(name)
    if not patched and ours and up in ours.ports and \
            ours.ports[up].type == 'patch':
        batch.ovs('--if-exists', 'del-port', name, up)
    if patched and facts.owns_link(up) and facts.links[up].kind == 'veth':
        batch.ip('link', 'del', 'dev', up)


def _quiet_ends(ctx, facts, name, item):
    """Tenks' veth ends of a physnet whose peer a userspace datapath reads.

    The end towards our bridge when ours is a userspace one; the end
    towards the source when that is a userspace Open vSwitch bridge.
    Patch ports between two OVS bridges never leave the datapath.
    """
    if item is None:
        return []
    ours = _bridges(ctx)
    kind = facts.device_kind(item['source'])
    if kind == ours.type == 'openvswitch' or (
            kind == 'interface' and not ours.userspace):
        return []
    ends = []
    if ours.userspace:
        ends.append(naming.uplink(name, naming.NODE_SIDE))
    if facts.userspace(item['source']):
        ends.append(naming.uplink(name, naming.BRIDGE_SIDE))
    return ends


class Veths(contracts.Kind):
    """A veth pair per node NIC: one end in the physnet bridge."""

    name = 'veth'

    def want(self, ctx, hypervisor):
        # The node's end carries what its guest sends into our bridge.
        offloads = False if _bridges(ctx).userspace else None
        return {nic.veth_bridge: {'peer': nic.veth_node,
                                  'bridge': nic.bridge,
                                  'tx_offload': offloads}
                for node in ctx.present_nodes(hypervisor)
                for nic in node.nics}

    def observe(self, ctx, hypervisor, want):
        facts = _facts(ctx, hypervisor)
        seen = {}
        for name, link in facts.links.items():
            owned = facts.owns_link(name)
            if name in want or (owned and link.kind == 'veth'
                                and naming.is_veth_bridge_end(name)):
                wanted = want.get(name, {}).get('tx_offload')
                seen[name] = plan.Observed(owned, {
                    'peer': link.peer, 'bridge': facts.bridge_of(name),
                    'tx_offload': wanted if wanted is None else
                    facts.tx_offload(link.peer)})
        for item in want.values():
            peer = facts.links.get(item['peer'])
            if peer and not facts.owns_link(item['peer']):
                raise exception.OwnershipError(kind='link', name=peer.name,
                                               host=hypervisor.name)
        return seen

    @staticmethod
    def compare(want, have):
        if want['peer'] != have['peer']:
            return 'peer is %s' % have['peer']
        if want['bridge'] != have['bridge']:
            return 'on %s, wanted on %s' % (have['bridge'], want['bridge'])
        if want['tx_offload'] is False and have['tx_offload'] is not False:
            return '%s offloads TX checksums into a userspace datapath' % (
                want['peer'])
        return None

    def apply(self, ctx, hypervisor, actions):
        # Four passes, so that the batch sends one command per pass
        # whatever the number of veths: unplug, replace links, plug,
        # offloads off.
        facts = _facts(ctx, hypervisor)
        batch = _batch(ctx, hypervisor)
        rewired = [action for action in actions if _rewired(action)]
        for action in rewired:
            if action.verb != plan.CREATE:
                self._unplug(ctx, batch, facts, action.name, action.have)
        for action in rewired:
            replaced = (action.verb == plan.UPDATE
                        and action.want['peer'] != action.have['peer'])
            if action.verb == plan.DELETE or replaced:
                batch.ip('link', 'del', 'dev', action.name)
            if action.verb == plan.CREATE or replaced:
                _add_veth(batch, ctx.cluster_id, action.name,
                          action.want['peer'])
        for action in rewired:
            if action.verb != plan.DELETE:
                _bridges(ctx).add_port(batch, action.want['bridge'],
                                       action.name)
        for action in actions:
            if action.verb != plan.DELETE and \
                    action.want['tx_offload'] is False:
                offload.turn_off(batch, action.want['peer'])
        batch.flush()

    @staticmethod
    def _unplug(ctx, batch, facts, name, have):
        bridge = have and have['bridge']
        if bridge:
            _bridges(ctx, facts.device_kind(bridge)).remove_port(
                batch, bridge, name)


def _rewired(action):
    """Whether the pair must be made or moved, not only have offloads set."""
    return action.verb != plan.UPDATE or any(
        action.want[key] != action.have[key] for key in ('peer', 'bridge'))
