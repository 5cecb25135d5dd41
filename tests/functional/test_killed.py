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

"""SIGKILL or SIGTERM `tenks deploy` and `tenks teardown` anywhere, and
every kind of reconfiguration: the next run the user means converges to
exactly the cluster the file describes, under the same names, MACs, BMC
ports, credentials and Ironic UUIDs, and nothing leaks."""

import json
import os
import signal
import subprocess
import time

from testtools import content
import yaml

from tests.functional import base
from tests.functional import test_ironic

# Where in a run to kill it, as fractions of an unkilled run's duration.
KILL_POINTS = (0.05, 0.25, 0.45, 0.65, 0.85)


class KilledRunsTestCase(test_ironic.IronicTestCase):
    """Kills of runs; one test a class, so that workers share them out."""

    def setUp(self):
        super().setUp()
        self.path = self.mixed_cluster(
            ipmi=2, redfish_physnets=('physnet1', 'physnet2'),
            ipmi_config={'traits': ['CUSTOM_KILLED']})
        self.names = sorted([self.node_prefix + '0', self.node_prefix + '1',
                             self.node_prefix + 'r0'])
        self.kills = []
        self.addDetail('kills', content.Content(
            content.UTF8_TEXT, lambda: ['\n'.join(self.kills).encode()]))

    def timed(self, command):
        started = time.monotonic()
        self.tenks(command, self.path)
        return time.monotonic() - started

    def killed(self, command, after=None, lines=None, how=signal.SIGKILL):
        """Start `tenks command` and stop it with the signal `how`.

        Once `after` seconds have passed, or it has reported `lines`
        finished actions.
        """
        child = subprocess.Popen(
            [base.TENKS, '--config-file', self.conf_file, command,
             self.path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            if lines is None:
                child.wait(timeout=after)
                output = child.stdout.read()
            else:
                output = b''.join(child.stdout.readline()
                                  for _ in range(lines))
            outcome = 'finished first' if child.poll() is not None else ''
        except subprocess.TimeoutExpired:
            output, outcome = b'', ''
        if not outcome:
            child.send_signal(how)
        child.wait()
        # Whether the signal ended it, or it had just finished anyway.
        outcome = ('got %s' % how.name if child.returncode == -how
                   else 'finished first')
        output += child.stdout.read()
        child.stdout.close()
        done = [line for line in output.decode(errors='replace').splitlines()
                if line.strip()]
        self.kills.append('%s at %s: %s after %d lines; last: %s' % (
            command, '%d lines' % lines if lines else '%.2f s' % after,
            outcome, len(done), done[-1] if done else '-'))
        return outcome != 'finished first'

    def identity(self):
        """What must never change for a node that stays.

        Per node its MACs by physnet, BMC, Tenks and Ironic UUIDs; the
        credentials.
        """
        state = self.state()
        return {'credentials': state['credentials'], 'nodes': {
            name: ({nic['physnet']: nic['mac'] for nic in node['nics']},
                   node['bmc'], node['uuid'], node['ironic_uuid'])
            for name, node in state['nodes'].items()}}

    def assert_converged(self, names, daemons):
        """The cluster is the file's, and only that.

        On the host and in Ironic; names and MACs as the state records.
        """
        self.assertEqual([], json.loads(self.tenks('plan', self.path, '-f',
                                                   'json').stdout))
        nodes = self.state()['nodes']
        self.assertEqual(sorted(names), sorted(nodes))
        self.assertEqual(sorted(names), sorted(
            d for d in base.run(['virsh', 'list', '--all',
                                 '--name']).stdout.split()
            if d.startswith(self.node_prefix)))
        self.assertEqual(
            {name: node['ironic_uuid'] for name, node in nodes.items()},
            {node['name']: node['uuid']
             for node in self.baremetal('node', 'list')})
        self.assertEqual(sorted(nic['mac'] for node in nodes.values()
                                for nic in node['nics']),
                         sorted(port['address'] for port in
                                self.baremetal('port', 'list')))
        self.assertEqual(daemons, len(self.daemon_pids()))
        for node in nodes.values():
            self.assert_wiring(node, 'openvswitch')
            if node['bmc']['driver'] == 'ipmi':
                self.assertIn('off', self.power(node, 'status'))
        # Links of nodes no longer there, or of NICs they no longer have.
        links = {nic[end] for node in nodes.values() for nic in node['nics']
                 for end in ('veth_bridge', 'veth_node')}
        bridges = {nic['bridge'] for node in nodes.values()
                   for nic in node['nics']}
        # A bridge's own uplink and patch ports are <bridge>-<role>.
        self.assertEqual([], [name for name in self.leftovers()
                              if name not in links | bridges
                              and name.split('-')[0] not in bridges
                              and name not in nodes
                              and name != self.pool
                              and not name.startswith('daemon ')])

    def assert_deployed(self):
        # vbmcd, a process of its own per IPMI BMC, and sushy-emulator.
        self.assert_converged(self.names, 4)

    def assert_torn_down(self):
        self.assertEqual([], self.leftovers())
        self.assertEqual([], self.baremetal('node', 'list'))
        self.assertEqual([], self.baremetal('port', 'list'))
        self.assertFalse(os.path.exists(self.state_file))


class TestKilledAnywhere(KilledRunsTestCase):

    def test_killed_anywhere(self):
        deploy_time = self.timed('deploy')
        self.assert_deployed()
        teardown_time = self.timed('teardown')
        self.assert_torn_down()
        for point in KILL_POINTS:
            self.killed('deploy', deploy_time * point)
            self.tenks('deploy', self.path)
            self.assert_deployed()
            self.killed('teardown', teardown_time * point)
            self.tenks('teardown', self.path)
            self.assert_torn_down()


class TestKilledTeardownThenDeploy(KilledRunsTestCase):

    def test_killed_teardown_then_deploy(self):
        """A teardown stopped part way, then the user deploys again.

        The same cluster comes back, not new nodes under new names.
        """
        self.tenks('deploy', self.path)
        teardown_time = self.timed('teardown')
        self.tenks('deploy', self.path)
        for how, point in ((signal.SIGKILL, {'lines': 1}),
                           (signal.SIGTERM, {'lines': 6}),
                           (signal.SIGKILL, {'after': teardown_time * 0.3})):
            self.assert_deployed()
            kept = self.identity()
            stopped = self.killed('teardown', how=how, **point)
            self.tenks('deploy', self.path)
            self.assert_deployed()
            # A teardown that ended before its signal took the cluster
            # away: the deploy made a new one.
            if stopped:
                self.assertEqual(kept, self.identity())
        self.tenks('teardown', self.path)
        self.assert_torn_down()


class TestKilledReconfigurations(KilledRunsTestCase):

    def reconfigure(self, change):
        with open(self.path) as stream:
            data = yaml.safe_load(stream)
        change(data)
        with open(self.path, 'w') as stream:
            yaml.safe_dump(data, stream)

    def reconfigurations(self):
        """(What changes, how, the nodes then, BMC daemons then)."""
        prefix = self.node_prefix
        three = [prefix + '0', prefix + '1', prefix + '2', prefix + 'r0']

        def ipmi_type(key, value):
            return lambda data: data['node_types']['ipmi'].update(
                {key: value})

        def count(number):
            return lambda data: data['specs'][0].update(count=number)

        return [
            ('count up', count(3), three, 5),
            ('physnet added', ipmi_type('physical_networks',
                                        ['physnet1', 'physnet2']), three, 5),
            ('count down', count(2), self.names, 4),
            ('volume grown', ipmi_type('volumes', [{'capacity': '3GiB'}]),
             self.names, 4),
            ('memory changed', ipmi_type('memory_mb', 320), self.names, 4),
            ('physnet removed', ipmi_type('physical_networks',
                                          ['physnet1']), self.names, 4),
            # One tenks-ipmi process for both BMCs.
            ('IPMI emulator switched', lambda data: data.update(
                bmc_emulators={'ipmi': 'tenks-ipmi'}), self.names, 2),
            ('IPMI to Redfish', ipmi_type('ironic_driver', 'redfish'),
             self.names, 1),
        ]

    def test_killed_reconfigurations(self):
        self.tenks('deploy', self.path)
        self.assert_deployed()
        hows = (signal.SIGKILL, signal.SIGTERM)
        for index, (what, change, names, daemons) in enumerate(
                self.reconfigurations()):
            before = self.identity()
            self.reconfigure(change)
            self.killed('deploy', lines=1 + index % 3, how=hows[index % 2])
            self.tenks('deploy', self.path)
            self.addDetail('after ' + what, content.text_content(
                open(self.state_file).read()))
            self.assert_converged(names, daemons)
            after = self.identity()
            self.assertEqual(before['credentials'], after['credentials'])
            for name in set(before['nodes']) & set(after['nodes']):
                macs, bmc, uuid, ironic_uuid = before['nodes'][name]
                now = after['nodes'][name]
                self.assertEqual((uuid, ironic_uuid), now[2:], what)
                self.assertEqual(
                    {p: m for p, m in macs.items() if p in now[0]},
                    {p: m for p, m in now[0].items() if p in macs}, what)
                if bmc['driver'] == now[1]['driver']:
                    self.assertEqual(bmc, now[1], what)
        self.tenks('teardown', self.path)
        self.assert_torn_down()
