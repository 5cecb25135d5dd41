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

"""An Open vSwitch that stopped answering is named as such, not guessed at.

What ovs-vsctl printed here when its ovsdb-server was killed, and did when
its ovs-vswitchd was (the change waits for the switch until --timeout).
"""

import subprocess

import testtools

from tenks import exception
from tenks import hosts
from tenks.network import batch
from tenks.network import facts as net_facts
from tests.unit import test_network_kinds as network_kinds

REFUSED = ('ovs-vsctl: unix:/srv/ovs/db.sock: database connection failed '
           '(Connection refused)\n')
ALARM = ('2026-12-01T17:05:26Z|00002|fatal_signal|WARN|terminating with '
         'signal 14 (Alarm clock)\n')


class Host(hosts.Host):
    """Answers every ovs-vsctl with one (code, stderr); ip with []."""

    name = 'hv1'

    def __init__(self, code, stderr):
        super().__init__()
        self.answer = (code, stderr)
        self.seen = []

    def execute(self, argv, input=None, repeatable=False):
        self.seen.append(argv)
        if argv[0] == 'ip':
            return subprocess.CompletedProcess(argv, 0, '[]', '')
        return subprocess.CompletedProcess(argv, self.answer[0], '',
                                           self.answer[1])


class TestRunVsctl(testtools.TestCase):

    def test_database_gone(self):
        err = self.assertRaises(
            exception.OpenvswitchUnreachable, batch.run_vsctl,
            Host(1, REFUSED), ['ovs-vsctl', '--', 'add-br', 'tkf0'])
        self.assertEqual('ovs-vsctl -- add-br tkf0', err.command)
        self.assertEqual('unix:/srv/ovs/db.sock: database connection failed '
                         '(Connection refused)', err.reason)
        self.assertIn('then run the same command again', str(err))

    def test_switch_gone_the_change_times_out(self):
        for code in (-14, 142):
            err = self.assertRaises(
                exception.OpenvswitchUnreachable, batch.run_vsctl,
                Host(code, ALARM), ['ovs-vsctl', '--timeout=30', 'add-br',
                                    'tkf0'])
            self.assertEqual('no answer before its --timeout', err.reason)

    def test_a_refused_change_stays_a_failed_command(self):
        err = self.assertRaises(
            exception.HostError, batch.run_vsctl,
            Host(1, 'ovs-vsctl: no bridge named tkf0\n'),
            ['ovs-vsctl', 'del-br', 'tkf0'])
        self.assertNotIsInstance(err, exception.OpenvswitchUnreachable)
        self.assertEqual(1, err.code)

    def test_batch_flush_translates(self):
        step = batch.Batch(Host(1, REFUSED))
        step.ovs('add-br', 'tkf0')
        self.assertRaises(exception.OpenvswitchUnreachable, step.flush)


class TestFactsOfASilentSwitch(testtools.TestCase):

    def test_probe_failure_is_kept_not_taken_for_no_bridges(self):
        host = Host(1, REFUSED)
        facts = net_facts.read(host, 'c0ffee00')
        self.assertEqual({}, facts.ovs)
        self.assertIn('database connection failed', facts.ovs_error)
        # Only the probe: no query of a database that did not answer.
        self.assertEqual(1, sum(argv[0] == 'ovs-vsctl'
                                for argv in host.seen))

    def test_an_answering_switch_has_no_error(self):
        host = Host(0, '')
        host.execute = lambda argv, *args, **kwargs: (
            subprocess.CompletedProcess(
                argv, 0, '[]' if argv[0] == 'ip' else _EMPTY_TABLES, ''))
        self.assertIsNone(net_facts.read(host, 'c0ffee00').ovs_error)

    def test_an_ovs_cluster_stops(self):
        facts = network_kinds.facts_of([network_kinds.link('eth9')])
        facts.ovs_error = 'database connection failed'
        ctx = network_kinds.PhysnetContext('openvswitch', 'eth9', facts)
        err = self.assertRaises(
            exception.OpenvswitchUnreachable, network_kinds.kinds.Physnets(
            ).plan, ctx, ctx.hypervisor)
        self.assertEqual('ovs-vsctl --timeout=5 show', err.command)

    def test_a_linux_bridge_cluster_needs_no_switch(self):
        facts = network_kinds.facts_of([network_kinds.link('eth9',
                                                           alias=None)])
        facts.ovs_error = 'command not found'
        ctx = network_kinds.PhysnetContext('linuxbridge', 'eth9', facts)
        network_kinds.kinds.Physnets().plan(ctx, ctx.hypervisor)


_EMPTY_TABLES = '\n'.join(['{"data": [], "headings": []}'] * 3) + '\n'
