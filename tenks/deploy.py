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

"""Deploy and teardown: schedule, plan, apply, with the state kept.

The state is saved before anything changes (so new names and MACs are
never chosen twice) and after each step; nodes being removed stay in it,
marked absent, until their last resource is gone.
"""

import contextlib
import itertools
import logging
import os
import threading
import time

from tenks import context as ctx_module
from tenks import contracts
from tenks import credentials
from tenks import exception
from tenks import hosts
from tenks import ngs_files
from tenks import plan as plan_module
from tenks import plugins
from tenks import records
from tenks import redact
from tenks import schedule
from tenks import state as state_module
from tenks import waits

LOG = logging.getLogger(__name__)


@contextlib.contextmanager
def session(conf, cluster, teardown=False, write=True, force=False,
            leave_ironic=False):
    """A Context for a run, holding the state lock when it will write."""
    path = cluster.state_file_path
    # A state file that cannot be trusted is refused before the lock is
    # taken, so that the refusal leaves no lock file behind either.
    state_module.load(path, cluster.source)
    lock = state_module.locked(path) if write else contextlib.nullcontext()
    with lock:
        previous = state_module.load(path, cluster.source)
        _keep_secret(previous.credentials)
        if teardown:
            desired = _all_absent(previous)
        else:
            desired = _schedule(conf, cluster, previous)
            _ensure_credentials(cluster, desired)
        ctx = ctx_module.Context(conf, cluster, desired, teardown, force,
                                 leave_ironic)
        try:
            # An unreachable hypervisor stops the run before any change.
            ctx.reach_all()
            yield ctx
        finally:
            ctx.close()


def _schedule(conf, cluster, previous):
    """The next state, placing new nodes with the configured scheduler."""
    plugin = plugins.load(plugins.SCHEDULERS, conf.scheduler)
    facts = None
    # Reading hypervisors costs a connection each: only when it matters.
    if plugin.needs_facts and schedule.new_node_count(cluster, previous):
        facts = _capacity_facts(cluster)
    return schedule.schedule(cluster, previous, plugin(conf, facts))


def _capacity_facts(cluster):
    """Each hypervisor's capacity facts, read on a short-lived connection.

    The run's own connections are opened later by its Context; this one
    is closed before any of them.
    """
    provider = plugins.provider()
    facts = {}
    for hypervisor in cluster.hypervisors:
        facts[hypervisor.name] = provider.capacity(cluster, hypervisor)
        LOG.debug('Capacity of %s: %s', hypervisor.name, {
            key: value for key, value in facts[hypervisor.name].items()
            if key != 'domains'})
    return facts


def left_to_ironic(state):
    """What a teardown leaving Ironic alone leaves there, a line each."""
    lines = ['node %s (%s)' % (name, node.outcome.ironic_uuid)
             for name, node in sorted(state.nodes.items())
             if node.outcome.ironic_uuid]
    return lines + ['flavor %s' % name
                    for name in sorted(state.made_flavors)]


def _all_absent(previous):
    for node in previous.nodes.values():
        node.state = records.ABSENT
    return previous


def _ensure_credentials(cluster, state):
    """BMC credentials, kept secret; a warning per weak one the user set."""
    credentials.ensure(cluster, state.credentials)
    _keep_secret(state.credentials)
    for line in credentials.warnings(cluster, state.present_nodes()):
        # Masking by value would turn a weak password such as "password"
        # in the line's own words into the mask: the line holds none.
        LOG.warning('%s: %s', cluster.source, line, extra=redact.VETTED)


def _keep_secret(values):
    for name, value in values.items():
        if name.endswith('_password'):
            redact.secret(value)


def plan(ctx):
    """Every action needed, in the order apply() would take them.

    A kind of cluster scope is planned once, with the first hypervisor.
    """
    kinds = ctx.kinds()
    actions = []
    for index, hypervisor in enumerate(ctx.cluster.hypervisors):
        for kind in kinds:
            if index == 0 or kind.scope == contracts.PER_HYPERVISOR:
                actions.extend(kind.plan(ctx, hypervisor))
    return plan_module.order(actions, [kind.name for kind in kinds])


def converge(ctx, progress=lambda line: None):
    """plan() and apply(); planned again if a hypervisor dropped SSH.

    A command cut off by a dropped connection may or may not have taken
    effect (an `ip -batch` half through), so it is not run again as it
    was: what exists is read again and the rest planned from that, as
    the next run would, a bounded number of times. Returns every action
    taken.
    """
    done = []

    def attempt():
        ctx.facts.forget()
        actions = plan(ctx)
        apply(ctx, actions, progress)
        done.extend(actions)

    def on_retry(error, attempt, wait):
        LOG.warning('%s dropped its SSH connection during `%s`; planning '
                    'again from what exists in %.0f s (attempt %d of %d)',
                    error.host, error.command, wait, attempt + 1,
                    hosts.RECONNECT_ATTEMPTS)
    waits.retried(attempt, lambda err: isinstance(
        err, exception.HostConnectionLost), hosts.RECONNECT_ATTEMPTS,
        hosts.RECONNECT_FIRST_WAIT, on_retry)
    return done


def apply(ctx, actions, progress=lambda line: None):
    """Carry out actions step by step, saving the state after each.

    Deletions come first and one at a time, so Ironic lets go of a node
    before its BMC and domain go. Then the kinds of the enrolment lane
    run in a thread of their own beside the host steps; the kinds of the
    after lane wait for both.
    """
    path = ctx.cluster.state_file_path
    ctx.save()
    lanes = {kind.name: kind.lane for kind in ctx.kinds()}
    steps = [list(group) for _, group in itertools.groupby(
        actions, lambda a: (a.verb == plan_module.DELETE, a.kind,
                            a.hypervisor))]
    deletions = [s for s in steps if s[0].verb == plan_module.DELETE]
    creations = [s for s in steps if s not in deletions]
    lane, after, on_hosts = ([s for s in creations
                              if lanes[s[0].kind] == name]
                             for name in (contracts.ENROLMENT,
                                          contracts.AFTER,
                                          contracts.HOST_STEP))
    run = _StepRunner(ctx, path, progress)
    for group in deletions:
        run(group)
    enrolment = _Lane(run, lane)
    try:
        for group in on_hosts:
            run(group)
    except BaseException:
        enrolment.join(reraise=False)
        raise
    enrolment.join()
    ctx.outcomes.merge_into(ctx.state)
    for group in after:
        run(group)
    _forget_absent(ctx, path)


class _StepRunner:
    """Applies one step (a kind's actions on one hypervisor) and logs it."""

    def __init__(self, ctx, path, progress):
        self.ctx = ctx
        self.path = path
        self.progress = progress
        self.kinds = {kind.name: kind for kind in ctx.kinds()}
        self.hypervisors = {h.name: h for h in ctx.cluster.hypervisors}

    def __call__(self, group, save=True):
        first = group[0]
        started = time.monotonic()
        self.kinds[first.kind].apply(
            self.ctx, self.hypervisors[first.hypervisor], group)
        if save:
            self.ctx.facts.forget()
            self.ctx.save()
        for action in group:
            self.progress(action.describe())
        LOG.debug('%s on %s: %d actions in %.2f s', first.kind,
                  first.hypervisor, len(group), time.monotonic() - started)


class _Lane(threading.Thread):
    """Enrolment steps in order, beside the hypervisor steps.

    It neither forgets the hypervisor facts the other steps are using nor
    touches the state: what it finds out (Ironic UUIDs) it hands to the
    run's Outcomes, which the main thread merges in at its next save.
    """

    def __init__(self, run, steps):
        super().__init__(name='enrolment', daemon=True)
        self.run_step = run
        self.steps = steps
        self.error = None
        self.start()

    def run(self):
        try:
            for group in self.steps:
                self.run_step(group, save=False)
        except BaseException as err:  # re-raised in the main thread
            self.error = err

    def join(self, reraise=True):
        super().join()
        if reraise and self.error is not None:
            raise self.error


def _forget_absent(ctx, path):
    ctx.outcomes.merge_into(ctx.state)
    nodes = ctx.state.nodes
    for name in [n for n, node in nodes.items() if not node.is_present]:
        del nodes[name]
    if ctx.teardown and not nodes:
        ctx.provider.forget(ctx)
        # The lock's release then removes the lock file too.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        ngs_files.remove(path)
    else:
        ctx.save()
        ngs_files.refresh(ctx.cluster, ctx.state)
