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

"""Enrolled nodes brought to [ironic] target_state, as a kind of its own.

Ironic talks to a node's BMC on its way to manageable, so these moves
come after every hypervisor step of the run, while node and port records
are written beside those steps. A kind apart, the moves also never hold a
worker while waiting: the hypervisor steps share the run's worker pool.

A node Ironic put in maintenance because its BMC stopped answering is
taken out of it here too, once the run has repaired the BMC: Ironic would
only do so itself minutes later.
"""


from tenks import contracts
from tenks import exception
from tenks.ironic import client
from tenks.ironic import fields
from tenks.ironic import kinds
from tenks import plan
from tenks import waits

# The state Ironic gives a node it creates.
CREATED = 'enroll'
# The fault Ironic records when it puts a node whose BMC fails in
# maintenance; maintenance without it is a user's, and left alone.
POWER_FAILURE = 'power failure'
NO_PLACEMENT = ('wait_for_placement: the cloud has no placement service; '
                'not waiting for resource providers.')


class ProvisionStates(contracts.Kind):
    """Each enrolled node moved to the target state; updates only.

    Not a diff: a node is never created or deleted here, only moved, so
    plan is its own.
    """

    name = 'ironic-state'
    lane = contracts.AFTER

    def relevant(self, ctx, hypervisor):
        return bool(kinds.enrolled_nodes(ctx, hypervisor))

    def want(self, ctx, hypervisor):
        target = ctx.cluster.ironic['target_state']
        return {node.name: target
                for node in kinds.enrolled_nodes(ctx, hypervisor)}

    def observe(self, ctx, hypervisor, want):
        nodes = ctx.ironic().nodes()
        return {name: plan.Observed(True, nodes[name])
                for name in want if name in nodes}

    def plan(self, ctx, hypervisor):
        if not self.relevant(ctx, hypervisor):
            return []
        placement = ctx.cluster.ironic['wait_for_placement']
        want = self.want(ctx, hypervisor)
        observed = self.observe(ctx, hypervisor, want)
        actions = []
        for name, target in want.items():
            have = observed[name].facts if name in observed else None
            reason = self._reason(have, target, placement)
            if reason:
                actions.append(plan.Action(
                    self.name, plan.UPDATE, name, hypervisor.name,
                    reason, want=target, have=have))
        return actions

    @staticmethod
    def _reason(have, target, placement):
        reasons = []
        if _power_failed(have):
            reasons.append('maintenance after a power failure')
        current = have['provision_state'] if have else CREATED
        if current in fields.SETTLING or fields.moves(current, target):
            reasons.append('%s to %s' % (current, target))
        elif have is None and placement:
            reasons.append('new node, wait for placement')
        return '; '.join(reasons)

    def apply(self, ctx, hypervisor, actions):
        ironic = ctx.ironic()
        results = ctx.map(lambda action: self._apply(ctx, ironic, action),
                          actions)
        ironic.forget()
        client.raise_failures(results)
        if ctx.cluster.ironic['wait_for_placement']:
            _wait_for_placement(ironic, {
                _uuid(ctx, action): _placement_wanted(
                    ctx.state.nodes[action.name])
                for action in actions if action.have is None})

    @staticmethod
    def _apply(ctx, ironic, action):
        """Move one node; return an error line instead of raising.

        Nodes are independent: one Ironic refuses must not stop the others.
        """
        node_id = _uuid(ctx, action)
        try:
            if _power_failed(action.have):
                ironic.write('unset_node_maintenance', node_id)
            _move(ironic, node_id, action.want)
        except exception.IronicError as err:
            return '%s: %s' % (action.name, err)
        return None


def _power_failed(node):
    return bool(node and node.get('is_maintenance')
                and node.get('fault') == POWER_FAILURE)


def _uuid(ctx, action):
    # A node missing when the run began was created by its Nodes step,
    # which recorded the UUID.
    return (action.have or {}).get('id') or ctx.ironic_uuid(action.name)


@client.translated
def _move(ironic, node_id, target):
    node = ironic.settled(node_id)
    for move in fields.moves(node.provision_state, target):
        ironic.write('set_node_provision_state', node_id, move)
        _wait_for(ironic, node_id, move)


def _wait_for(ironic, node_id, move):
    """Wait until Ironic has carried out a move; an error if it failed."""
    reaches = fields.REACHES[move]
    try:
        # Over when the node is there, or Ironic stopped moving it.
        node = ironic.wait_for_node(
            node_id, lambda node: node.provision_state == reaches
            or not node.target_provision_state)
    except exception.IronicError as err:
        raise exception.MoveInterrupted(move=move, reason=err)
    if node.provision_state != reaches:
        raise exception.MoveFailed(move=move, reason=node.last_error or (
            'node is %s' % node.provision_state))


def _placement_wanted(node):
    """What Placement must list for a node: its class and traits."""
    resource_class = (node.ironic_config or {}).get(
        'resource_class') or 'baremetal'
    return fields.placement_class(resource_class), set(fields.traits(node))


def in_placement(placement, uuid, resource_class, traits):
    """Whether Nova reported the node as Ironic's devstack lib waits for.

    The provider, an inventory of the node's class with a unit not
    reserved, and every trait of the node.
    """
    if not list(placement.resource_providers(uuid=uuid)):
        return False
    amounts = [(item.total or 0) - (item.reserved or 0)
               for item in placement.resource_provider_inventories(uuid)
               if item.resource_class == resource_class]
    if not amounts or max(amounts) <= 0:
        return False
    if not traits:
        return True
    return traits <= set(
        placement.get_resource_provider_trait(uuid).traits or [])


@client.translated
def _wait_for_placement(ironic, wanted):
    """Wait until Nova has reported each new node fully to Placement."""
    if not wanted:
        return
    if not ironic.has_service('placement'):
        ironic.warn_once(NO_PLACEMENT)
        return
    placement = ironic.conn.placement
    waiting = dict(wanted)

    def all_known():
        for uuid in [uuid for uuid, (resource_class, traits)
                     in waiting.items()
                     if in_placement(placement, uuid, resource_class,
                                     traits)]:
            del waiting[uuid]
        return not waiting
    if not waits.until(all_known, ironic.timeout, 5):
        raise exception.PlacementMissing(nodes=sorted(waiting),
                                         timeout=ironic.timeout)
