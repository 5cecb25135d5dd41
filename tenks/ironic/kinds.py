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

"""Ironic nodes and ports as reconciled resource kinds."""

from tenks import contracts
from tenks import exception
from tenks.ironic import client
from tenks.ironic import fields
from tenks import naming
from tenks import plan

# Ironic deletes nodes in these states, or any node in maintenance.
DELETABLE = ('enroll', 'manageable', 'available', 'adopt failed')


def enrolled_nodes(ctx, hypervisor):
    return [node for node in ctx.present_nodes(hypervisor) if node.enrolled]


def _known_to_ironic(ctx, hypervisor):
    """Whether any node of the hypervisor was, or was to be, enrolled.

    A teardown without a state to say asks Ironic if one is configured:
    the state file may be lost while the nodes are not.
    """
    if ctx.teardown and not ctx.state.nodes:
        return client.configured(ctx.conf)
    return any(node.known_to_ironic
               for node in ctx.state.nodes_on(hypervisor.name))


def _mine(ctx, hypervisor, extra):
    return fields.owns_node(extra, ctx.cluster_id, hypervisor.name)


class _Enrolment(contracts.Kind):
    """Ironic records, written beside the hypervisor steps."""

    lane = contracts.ENROLMENT

    def relevant(self, ctx, hypervisor):
        return bool(enrolled_nodes(ctx, hypervisor)
                    or _known_to_ironic(ctx, hypervisor))


class Nodes(_Enrolment):

    name = 'ironic-node'

    def want(self, ctx, hypervisor):
        ironic = ctx.ironic()
        images = ironic.images() if any(
            ctx.cluster.ironic.get(k) for k in ('deploy_kernel',
                                                'deploy_ramdisk')) else {}
        redfish_ca = (ctx.hypervisors.redfish_ca(hypervisor)
                      if ctx.cluster.redfish.tls else None)
        return {node.name: self._want(ctx, node, images, redfish_ca)
                for node in enrolled_nodes(ctx, hypervisor)}

    def observe(self, ctx, hypervisor, want):
        return {name: plan.Observed(_mine(ctx, hypervisor, node['extra']),
                                    node)
                for name, node in ctx.ironic().nodes().items()
                if name in want or _mine(ctx, hypervisor, node['extra'])}

    def review(self, ctx, hypervisor, actions):
        for action in actions:
            if action.verb == plan.DELETE:
                self._check_deletable(ctx, action.have)
        return actions

    @staticmethod
    def _want(ctx, node, images, redfish_ca):
        return {'fields': fields.node_fields(
                    node, ctx.cluster.ironic, ctx.state.credentials,
                    ctx.cluster_id, images, redfish_ca),
                'traits': fields.traits(node),
                'recorded_uuid': node.outcome.ironic_uuid}

    @staticmethod
    def compare(want, have):
        changed = fields.node_changes(want['fields'], have)
        if want['traits'] != sorted(have.get('traits') or []):
            changed.append('traits')
        # A run killed after Ironic made the node but before the state
        # was saved: the next run records the UUID Ironic has.
        if want['recorded_uuid'] != have.get('id'):
            changed.append('recorded UUID')
        return ', '.join(changed)

    @staticmethod
    def _check_deletable(ctx, node):
        if node['provision_state'] in DELETABLE + fields.SETTLING or \
                node['is_maintenance'] or ctx.force:
            return
        raise exception.NodeNotDeletable(node=node['name'],
                                         state=node['provision_state'])

    def apply(self, ctx, hypervisor, actions):
        ironic = ctx.ironic()
        results = ironic.map(
            lambda action: self._apply(ctx, ironic, action), actions)
        ironic.forget()
        client.raise_failures(results)

    def _apply(self, ctx, ironic, action):
        """Carry out one action; return an error line instead of raising.

        Nodes are independent: one Ironic refuses must not stop the others.
        """
        try:
            if action.verb == plan.DELETE:
                self._delete(ironic, action.have)
                return None
            node = self._put(ironic, action)
            ctx.outcomes.node(action.name, ironic_uuid=node.id)
        except exception.IronicError as err:
            return '%s: %s' % (action.name, err)
        return None

    @staticmethod
    @client.translated
    def _put(ironic, action):
        wanted = action.want['fields']
        if action.verb == plan.CREATE:
            # A node deleted by a teardown that was killed, or by hand,
            # comes back under the UUID it had, as its name and MACs do.
            recorded = action.want['recorded_uuid']
            known = {'id': recorded} if recorded else {}
            node = ironic.write('create_node', **dict(wanted, **known))
        else:
            node = ironic.conn.baremetal.get_node(action.have['id'])
            changed = fields.node_changes(wanted, action.have)
            if changed:
                # Whole fields, replaced: openstacksdk's update_node diffs
                # them into JSON patch "move" operations (a username moved
                # from ipmi_username to redfish_username), which Ironic
                # refuses.
                # A new driver (IPMI to Redfish) takes its own defaults
                # for the interfaces the cluster does not set.
                node = ironic.write('patch_node', node, [
                    {'op': 'replace', 'path': '/' + key,
                     'value': wanted[key]} for key in changed],
                    reset_interfaces=True if 'driver' in changed else None)
        if sorted(node.traits or []) != action.want['traits']:
            ironic.write('set_node_traits', node, action.want['traits'])
        return node

    @staticmethod
    def _delete(ironic, node):
        if node['provision_state'] in fields.SETTLING:
            node = ironic.settled(node['id']).to_dict(computed=False)
        if node['provision_state'] not in DELETABLE and \
                not node['is_maintenance']:
            ironic.write('set_node_maintenance', node['id'],
                         reason='tenks teardown --force')
        # The record keeps the UUID: a node deleted by a teardown that is
        # then killed, and deployed again, gets it back.
        ironic.write('delete_node', node['id'], ignore_missing=True)


class Ports(_Enrolment):

    name = 'ironic-port'

    def want(self, ctx, hypervisor):
        nodes = ctx.ironic().nodes()
        want = {}
        for node in enrolled_nodes(ctx, hypervisor):
            for nic in node.nics:
                item = fields.port_fields(
                    nic, naming.bridge_mac(ctx.cluster_id, nic.bridge),
                    hypervisor.name, ctx.cluster_id)
                item['node'] = node.name
                item['node_id'] = (nodes.get(node.name) or {}).get('id')
                want[nic.mac] = item
        return want

    def observe(self, ctx, hypervisor, want):
        ironic = ctx.ironic()
        kept = {node.name for node in enrolled_nodes(ctx, hypervisor)}
        mine = {node['id']: node['name'] in kept
                for node in ironic.nodes().values()
                if _mine(ctx, hypervisor, node['extra'])}
        have = {}
        for address, port in ironic.ports().items():
            owned = fields.owns_port(port['extra'], ctx.cluster_id)
            # Ironic deletes a node's ports with it: a port of a node the
            # Nodes kind deletes needs no write of its own.
            if address in want or owned and mine.get(port['node_id']):
                have[address] = plan.Observed(owned, port)
        return have

    @staticmethod
    def compare(want, have):
        return ', '.join(fields.port_changes(want, have))

    def apply(self, ctx, hypervisor, actions):
        ironic = ctx.ironic()
        results = ironic.map(
            lambda action: self._apply(ctx, ironic, action), actions)
        ironic.forget()
        client.raise_failures(results)

    @staticmethod
    def _apply(ctx, ironic, action):
        """Carry out one action; return an error line instead of raising."""
        try:
            if action.verb == plan.DELETE:
                ironic.write('delete_port', action.have['id'],
                             ignore_missing=True)
                return None
            wanted = {key: value for key, value in action.want.items()
                      if key not in ('node', 'node_id')}
            # A node missing when the run began was created by this run's
            # Nodes step, which recorded its UUID: no need to read it back.
            wanted['node_id'] = (action.want['node_id']
                                 or ctx.ironic_uuid(action.want['node']))
            if action.verb == plan.CREATE:
                ironic.write('create_port', **wanted)
            else:
                ironic.write('update_port', action.have['id'], **wanted)
        except exception.IronicError as err:
            node = (action.want['node'] if action.want
                    else action.have.get('node_id'))
            return 'port %s of %s: %s' % (action.name, node, err)
        return None
