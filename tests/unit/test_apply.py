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

import json
import os
import threading

import fixtures
import testtools

from tenks import contracts
from tenks import deploy
from tenks import exception
from tenks import hosts
from tenks import kinds
from tenks import plan
from tenks import plugins
from tests.unit import fakes

KINDS = ('veth', 'domain', 'bmc', 'ironic-node', 'ironic-port', 'ironic-state',
         'flavor')
LANES = {'ironic-node': contracts.ENROLMENT,
         'ironic-port': contracts.ENROLMENT,
         'ironic-state': contracts.AFTER, 'flavor': contracts.AFTER}


class Kind(contracts.Kind):
    """Records when its steps run; may block or fail on cue."""

    def __init__(self, name, log, before=None, fail=False):
        self.name = name
        self.lane = LANES.get(name, contracts.HOST_STEP)
        self.log = log
        self.before = before
        self.fail = fail

    def want(self, ctx, hypervisor):
        return {}

    def observe(self, ctx, hypervisor, want):
        return {}

    def apply(self, ctx, hypervisor, actions):
        if self.before:
            # Blocks until the other lane has got this far.
            if not self.before.wait(10):
                raise AssertionError('%s ran alone' % self.name)
        self.log.append((self.name, actions[0].verb))
        if self.fail:
            raise RuntimeError('%s failed' % self.name)


def actions(verb, names):
    return plan.order([plan.Action(kind, verb, 'x', 'localhost')
                       for kind in names], list(KINDS))


class TestApply(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'state.json')
        self.log = []

    def context(self, **special):
        kinds = [special.get(name) or Kind(name, self.log) for name in KINDS]
        return fakes.make_context(
            fakes.cluster_data(state_file_path=self.path), kinds=kinds)

    def test_enrolment_runs_beside_the_hypervisor_steps(self):
        enrolling = threading.Event()

        class Signalling(Kind):
            def apply(self, ctx, hypervisor, actions):
                enrolling.set()
                super().apply(ctx, hypervisor, actions)

        ctx = self.context(
            domain=Kind('domain', self.log, before=enrolling),
            **{'ironic-node': Signalling('ironic-node', self.log)})
        deploy.apply(ctx, actions(plan.CREATE, KINDS))
        self.assertLess(self.log.index(('ironic-node', 'create')),
                        self.log.index(('ironic-port', 'create')))
        # Provision state moves need the BMCs: after every host step.
        self.assertEqual([('ironic-state', 'create'), ('flavor', 'create')],
                         self.log[-2:])

    def test_enrolment_hands_its_outcomes_to_the_saving_thread(self):
        recorded = threading.Event()
        seen = {}

        class Enrolling(Kind):
            def apply(self, ctx, hypervisor, actions):
                ctx.outcomes.node('tk0', ironic_uuid='uuid-0')
                # Not written into the state the main thread saves.
                seen['in state'] = ctx.state.nodes['tk0'].outcome.ironic_uuid
                seen['thread'] = threading.current_thread().name
                recorded.set()
                super().apply(ctx, hypervisor, actions)

        class Saved(Kind):
            def apply(self, ctx, hypervisor, actions):
                super().apply(ctx, hypervisor, actions)
                seen['saved before'] = saved_uuid()

        def saved_uuid():
            with open(self.path) as stream:
                return json.load(stream)['nodes']['tk0']['ironic_uuid']

        # No host step, and so no save, until the enrolment has recorded.
        ctx = self.context(
            veth=Kind('veth', self.log, before=recorded),
            bmc=Saved('bmc', self.log),
            **{'ironic-node': Enrolling('ironic-node', self.log)})
        deploy.apply(ctx, actions(plan.CREATE, KINDS))
        self.assertEqual({'in state': None, 'thread': 'enrolment',
                          'saved before': 'uuid-0'}, seen)
        self.assertEqual('uuid-0', saved_uuid())
        self.assertEqual('uuid-0', ctx.state.nodes['tk0'].outcome.ironic_uuid)

    def test_deletions_come_first_one_at_a_time(self):
        ctx = self.context()
        deploy.apply(ctx, actions(plan.DELETE, KINDS)
                     + actions(plan.CREATE, ('domain',)))
        self.assertEqual(
            [(name, plan.DELETE) for name in reversed(KINDS)]
            + [('domain', plan.CREATE)], self.log)

    def test_a_failed_hypervisor_step_stops_moves_and_is_raised(self):
        ctx = self.context(bmc=Kind('bmc', self.log, fail=True))
        err = self.assertRaises(RuntimeError, deploy.apply, ctx,
                                actions(plan.CREATE, KINDS))
        self.assertEqual('bmc failed', str(err))
        # Enrolment went on beside, and was waited for.
        self.assertIn(('ironic-port', 'create'), self.log)
        ran = [name for name, _ in self.log]
        self.assertNotIn('ironic-state', ran)
        self.assertNotIn('flavor', ran)

    def test_a_failed_enrolment_stops_moves_and_is_raised(self):
        ctx = self.context(**{'ironic-port': Kind('ironic-port', self.log,
                                                  fail=True)})
        err = self.assertRaises(RuntimeError, deploy.apply, ctx,
                                actions(plan.CREATE, KINDS))
        self.assertEqual('ironic-port failed', str(err))
        ran = [name for name, _ in self.log]
        self.assertIn('bmc', ran)
        self.assertNotIn('ironic-state', ran)


def _lost(command):
    return exception.HostConnectionLost(
        host='hv1', user='root', address='203.0.113.58', port=22,
        command=command, stderr='the connection closed')


class TestConverge(testtools.TestCase):
    """A dropped connection: what exists is read again, then planned."""

    def setUp(self):
        super().setUp()
        self.patch(hosts, 'RECONNECT_FIRST_WAIT', 0)
        self.ctx = fakes.make_context(fakes.cluster_data())
        self.planned = []

    def converge(self, *failures):
        failures = list(failures)

        def plan(ctx):
            self.planned.append('plan %d' % len(self.planned))
            return [self.planned[-1]]

        def apply(ctx, actions, progress):
            failure = failures.pop(0) if failures else None
            if failure:
                raise failure
        self.patch(deploy, 'plan', plan)
        self.patch(deploy, 'apply', apply)
        return deploy.converge(self.ctx)

    def test_planned_again_from_what_exists(self):
        self.assertEqual(['plan 1'], self.converge(_lost('ip -batch -')))
        self.assertEqual(['plan 0', 'plan 1'], self.planned)

    def test_bounded(self):
        self.assertRaises(exception.HostConnectionLost, self.converge,
                          *[_lost('ip -batch -')] * 10)
        self.assertEqual(hosts.RECONNECT_ATTEMPTS, len(self.planned))

    def test_other_failures_not_retried(self):
        self.assertRaises(exception.HostError, self.converge,
                          exception.HostError(host='hv1', command='ip',
                                              code=2, stderr='no'))
        self.assertEqual(['plan 0'], self.planned)


class Recorder(contracts.Kind):
    """Plans one action per hypervisor it is planned for."""

    def __init__(self, name, scope):
        self.name = name
        self.scope = scope

    def want(self, ctx, hypervisor):
        return {self.name: True}

    def observe(self, ctx, hypervisor, want):
        return {}

    def apply(self, ctx, hypervisor, actions):
        pass


class TestDeclarations(testtools.TestCase):

    def test_a_cluster_kind_is_planned_once(self):
        data = fakes.cluster_data(hypervisors={
            'hv0': {'address': 'localhost'},
            'hv1': {'address': '203.0.113.11'}})
        ctx = fakes.make_context(data, kinds=[
            Recorder('each', contracts.PER_HYPERVISOR),
            Recorder('once', contracts.PER_CLUSTER)])
        self.assertEqual(
            [('each', 'hv0'), ('each', 'hv1'), ('once', 'hv0')],
            [(a.kind, a.hypervisor) for a in deploy.plan(ctx)])

    def test_the_real_kinds_declare_their_lanes(self):
        run_kinds = kinds.of_run(fakes.FakeProvider(), [
            plugin() for _, plugin in plugins.load_all(
                plugins.BMC_EMULATORS)])
        declared = {kind.name: (kind.lane, kind.scope) for kind in run_kinds}
        for name in ('ironic-node', 'ironic-port'):
            self.assertEqual((contracts.ENROLMENT, contracts.PER_HYPERVISOR),
                             declared.pop(name))
        self.assertEqual((contracts.AFTER, contracts.PER_HYPERVISOR),
                         declared.pop('ironic-state'))
        self.assertEqual((contracts.AFTER, contracts.PER_CLUSTER),
                         declared.pop('nova-flavor'))
        self.assertEqual({(contracts.HOST_STEP, contracts.PER_HYPERVISOR)},
                         set(declared.values()))
