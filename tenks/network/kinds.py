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

from tenks import contracts
from tenks import exception
from tenks import naming
from tenks.network import batch as batch_module
from tenks.network import facts as net_facts
from tenks.network import linuxbridge
from tenks.network import ovs
from tenks import plan


def backend(kind, cluster_id, datapath_type='netdev'):
    if kind == 'openvswitch':
        return ovs.OVSBridges(cluster_id, datapath_type)
    return linuxbridge.LinuxBridges(cluster_id)


def _facts(ctx, hypervisor):
    """The hypervisor's links and bridges, read once per step."""
    return ctx.facts.cached(('network', hypervisor.name), lambda: (
        net_facts.read(ctx.hypervisors.host(hypervisor), ctx.cluster_id)))


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
        indices = ctx.state['hypervisors'][hypervisor.name]['physnet_indices']
        return {
            naming.bridge(ctx.cluster.network.bridge_prefix, index): {
                'physnet': physnet,
                'source': hypervisor.physnet_mappings[physnet],
                'type': ctx.cluster.network.bridge_type}
            for physnet, index in indices.items()}

    def observe(self, ctx, hypervisor, want):
        facts = _facts(ctx, hypervisor)
        for item in want.values():
            if facts.device_kind(item['source']) is None:
                raise exception.ConfigError(
                    source=ctx.cluster.source,
                    path='physnet_mappings.%s' % item['physnet'],
                    problem='device %r does not exist on %s' % (
                        item['source'], hypervisor.name))
        seen = {}
        names = set(want) | set(facts.ovs) | {
            name for name, link in facts.links.items()
            if link.kind == 'bridge'}
        for name in names:
            kind = facts.device_kind(name)
            if kind is None:
                continue
            owned = backend(kind, ctx.cluster_id).owns(facts, name)
            if owned or name in want:
                seen[name] = plan.Observed(owned, {
                    'type': kind,
                    'uplink': self._uplinked(facts, name, want.get(name))})
        return seen

    @staticmethod
    def _uplinked(facts, name, item):
        if item is None:
            return None
        source = item['source']
        if facts.device_kind(source) == 'interface':
            return facts.bridge_of(source) == name
        up = naming.uplink(name, naming.BRIDGE_SIDE)
        phy = naming.uplink(name, naming.NODE_SIDE)
        return facts.bridge_of(up) == name and facts.bridge_of(phy) == source

    @staticmethod
    def compare(want, have):
        if want['type'] != have['type']:
            return 'is %s, wanted %s' % (have['type'], want['type'])
        if not have['uplink']:
            return 'not plugged to %s' % want['source']
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
        _bridges(ctx, kind).delete_bridge(batch, name)

    def _create(self, ctx, batch, facts, name, item):
        _bridges(ctx).create_bridge(batch, name)
        self._plug(ctx, batch, facts, name, item)

    def _plug(self, ctx, batch, facts, name, item):
        source = item['source']
        source_kind = facts.device_kind(source)
        ours = _bridges(ctx)
        if source_kind == 'interface':
            batch.ip('link', 'set', 'dev', source, 'up')
            ours.add_port(batch, name, source)
            return
        up = naming.uplink(name, naming.BRIDGE_SIDE)
        phy = naming.uplink(name, naming.NODE_SIDE)
        if source_kind == ours.type == 'openvswitch':
            ours.add_patch(batch, name, up, phy)
            ours.add_patch(batch, source, phy, up)
            return
        if up not in facts.links:
            _add_veth(batch, ctx.cluster_id, up, phy)
        ours.add_port(batch, name, up)
        _bridges(ctx, source_kind).add_port(batch, source, phy)


class Veths(contracts.Kind):
    """A veth pair per node NIC: one end in the physnet bridge."""

    name = 'veth'

    def want(self, ctx, hypervisor):
        return {nic['veth_bridge']: {'peer': nic['veth_node'],
                                     'bridge': nic['bridge']}
                for node in ctx.present_nodes(hypervisor)
                for nic in node['nics']}

    def observe(self, ctx, hypervisor, want):
        facts = _facts(ctx, hypervisor)
        seen = {}
        for name, link in facts.links.items():
            owned = facts.owns_link(name)
            if name in want or (owned and link.kind == 'veth'
                                and naming.is_veth_bridge_end(name)):
                seen[name] = plan.Observed(owned, {
                    'peer': link.peer, 'bridge': facts.bridge_of(name)})
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
        return None

    def apply(self, ctx, hypervisor, actions):
        # Three passes, so that the batch sends one command per pass
        # whatever the number of veths: unplug, replace links, plug.
        facts = _facts(ctx, hypervisor)
        batch = _batch(ctx, hypervisor)
        for action in actions:
            if action.verb != plan.CREATE:
                self._unplug(ctx, batch, facts, action.name, action.have)
        for action in actions:
            replaced = (action.verb == plan.UPDATE
                        and action.want['peer'] != action.have['peer'])
            if action.verb == plan.DELETE or replaced:
                batch.ip('link', 'del', 'dev', action.name)
            if action.verb == plan.CREATE or replaced:
                _add_veth(batch, ctx.cluster_id, action.name,
                          action.want['peer'])
        for action in actions:
            if action.verb != plan.DELETE:
                _bridges(ctx).add_port(batch, action.want['bridge'],
                                       action.name)
        batch.flush()

    @staticmethod
    def _unplug(ctx, batch, facts, name, have):
        bridge = have and have['bridge']
        if bridge:
            _bridges(ctx, facts.device_kind(bridge)).remove_port(
                batch, bridge, name)
