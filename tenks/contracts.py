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

"""The contracts every plugin and resource kind keeps.

A resource Kind is one sort of thing a cluster is made of (a bridge, a
domain, a BMC, an Ironic node); deploy plans and applies kinds without
knowing any by name, from what each declares here. A Provider makes the
nodes (libvirt), a BMCEmulator answers for their BMCs, a Scheduler places
new nodes; each is found through its stevedore namespace (see
tenks.plugins) and must derive from its class here.

``ctx`` in these methods is the run's tenks.context.Context.
"""

import abc
import dataclasses
import typing

from tenks import plan

# Scopes: where a kind's resources live.
PER_HYPERVISOR = 'hypervisor'
# Planned and applied once per run, with the cluster's first hypervisor
# standing for the cluster in its actions.
PER_CLUSTER = 'cluster'

# Lanes: when a kind's creations and updates run.
HOST_STEP = 'host'
# Beside the host steps, in a thread of their own: records that need
# nothing the host steps make.
ENROLMENT = 'enrolment'
# After both the host steps and the enrolment.
AFTER = 'after'


class Kind(abc.ABC):
    """One sort of resource, reconciled: wanted, observed, compared, applied.

    Subclasses set ``name`` (unique; it names the kind in actions and in
    the plan's order) and may set ``scope``, ``lane`` and ``shareable``.
    """

    name = None
    scope = PER_HYPERVISOR
    lane = HOST_STEP
    # A resource of that name not made by Tenks is used as it is, rather
    # than refused.
    shareable = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.scope not in (PER_HYPERVISOR, PER_CLUSTER):
            raise TypeError('%s.scope: %r' % (cls.__name__, cls.scope))
        if cls.lane not in (HOST_STEP, ENROLMENT, AFTER):
            raise TypeError('%s.lane: %r' % (cls.__name__, cls.lane))

    def relevant(self, ctx, hypervisor):
        """Whether to plan at all; False spares observing (say, Ironic)."""
        return True

    @abc.abstractmethod
    def want(self, ctx, hypervisor):
        """{resource name: what it should be} on hypervisor; read-only."""

    @abc.abstractmethod
    def observe(self, ctx, hypervisor, want):
        """{resource name: plan.Observed} of what exists; read-only.

        Everything this cluster owns, and whatever else bears a wanted
        name. Raises a TenksError when the wish cannot be met at all.
        """

    def compare(self, want, have):
        """Why an owned resource must be updated, or None (or '') if not."""
        return None

    def review(self, ctx, hypervisor, actions):
        """The planned actions, checked or explained; raises to refuse."""
        return actions

    def plan(self, ctx, hypervisor):
        """The actions turning what exists into what is wanted.

        Derived from the members above; a kind whose actions are not a
        diff of wanted and observed (provision moves) overrides it.
        """
        if not self.relevant(ctx, hypervisor):
            return []
        want = self.want(ctx, hypervisor)
        have = self.observe(ctx, hypervisor, want)
        return self.review(ctx, hypervisor, plan.diff(
            self.name, hypervisor.name, want, have, self.compare,
            shareable=self.shareable))

    @abc.abstractmethod
    def apply(self, ctx, hypervisor, actions):
        """Carry out actions (this kind's, on hypervisor); raises on failure.

        Outcomes worth keeping (a UUID Ironic chose) go to ctx.outcomes
        (tenks.records.Outcomes), never into ctx.state directly: deploy
        merges them in, in the thread that saves the state.
        """


class Provider(abc.ABC):
    """Makes nodes: gives their kinds and reaches their hypervisors."""

    @staticmethod
    @abc.abstractmethod
    def kinds():
        """Instances of this provider's Kinds, in the order they apply."""

    @staticmethod
    @abc.abstractmethod
    def connect(uri):
        """A connection to the hypervisor's node manager; ProviderError."""

    @abc.abstractmethod
    def capacity(self, cluster, hypervisor):
        """What a scheduler with ``needs_facts`` learns of a hypervisor.

        Reads it on a connection of its own, closed before returning.
        """

    @staticmethod
    @abc.abstractmethod
    def machine(conn, name):
        """The Machine of node name on conn, or None if there is none."""

    @staticmethod
    @abc.abstractmethod
    def power_states(conn):
        """{machine name: power state word} of every machine on conn."""

    def forget(self, ctx):
        """Remove what the provider kept in the state directory.

        Called once a teardown has removed every node of the cluster, so
        that it leaves no file behind. By default there is nothing.
        """


class Machine(abc.ABC):
    """One node's machine, as `tenks verify` handles it; ProviderErrors."""

    @abc.abstractmethod
    def facts(self):
        """What tenks.checks.domain compares with the state."""

    @abc.abstractmethod
    def is_active(self):
        """Whether it runs now."""

    @abc.abstractmethod
    def start(self):
        """Power it on directly, not through its BMC."""

    @abc.abstractmethod
    def stop(self):
        """Power it off hard, directly."""


class BMCEmulator(abc.ABC):
    """Answers for nodes' BMCs of some Ironic drivers on each hypervisor.

    Subclasses set ``drivers``, the Ironic drivers (``ipmi``, ``redfish``)
    it can serve; a cluster's ``bmc_emulators`` chooses one per driver.
    Every installed emulator's kinds are planned, also those no longer
    chosen, so that they remove what they served.
    """

    drivers = ()

    @staticmethod
    @abc.abstractmethod
    def kinds():
        """Instances of this emulator's Kinds, in the order they apply."""


@dataclasses.dataclass(frozen=True)
class Request:
    """One new node to place, and where it may go.

    ``candidates`` map the node type's physnets and have an IPMI port
    free; ``refused`` says, per other hypervisor, why it cannot take the
    node. ``state`` is the next state as far as it is known: nodes to be
    removed are already absent, kept nodes have their wanted hardware and
    nodes placed before this one are in it (a tenks.records.State, to be
    read only).
    """
    cluster: typing.Any
    spec: typing.Any
    node_type: typing.Any
    state: typing.Any
    candidates: tuple
    refused: dict


@dataclasses.dataclass(frozen=True)
class Placement:
    """The hypervisor chosen, and why (shown by plan and deploy)."""
    hypervisor: typing.Any
    reason: str = ''


class Scheduler(abc.ABC):
    """Chooses the hypervisor of each new node; made once per run.

    ``needs_facts``: whether ``facts`` must hold the provider's capacity
    facts per hypervisor name (read only when new nodes are placed).
    Otherwise facts is None.
    """

    needs_facts = False

    def __init__(self, conf=None, facts=None):
        self.conf = conf
        self.facts = facts or {}

    def place(self, request):
        """The Placement of a Request; a ScheduleError if none fits.

        By default the choice of choose(), without an explanation.
        """
        return Placement(self.choose(request.node_type,
                                     list(request.candidates)))

    def choose(self, node_type, candidates):
        """One of candidates for a node of node_type; the simpler form."""
        raise NotImplementedError('%s implements neither place() nor '
                                  'choose()' % type(self).__name__)
