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

"""LLDP from Tenks' switch ports: frames, configuration and plan."""

import struct

import testtools

from tenks import checks
from tenks.ironic import fields
from tenks.lldp import kind as lldp_kind
from tenks.lldp import sender
from tenks import naming
from tests.unit import fakes

PORT = {'chassis_id': '02:ab:cd:ef:01:23', 'port_id': 'n0-0b',
        'system_name': 'brtenks0'}
SOURCE = bytes.fromhex('0a0000000001')


def tlvs(frame):
    """[(type, value)] of an LLDP frame's TLVs, up to its end TLV."""
    body, found = frame[14:], []
    while body:
        header, = struct.unpack('!H', body[:2])
        kind, length = header >> 9, header & 0x1ff
        if kind == sender.TLV_END:
            return found
        found.append((kind, body[2:2 + length]))
        body = body[2 + length:]
    raise AssertionError('no end TLV')


class TestFrame(testtools.TestCase):

    def test_golden(self):
        self.assertEqual(
            '0180c200000e0a0000000001' '88cc'
            '0207' '0402abcdef0123'
            '0406' '056e302d3062'
            '0602' '0014'
            '0a08' '627274656e6b7330'
            '0000' + '00' * 13,
            sender.frame(SOURCE, PORT).hex())

    def test_fields_as_a_receiver_reads_them(self):
        frame = sender.frame(SOURCE, dict(PORT, system_name='hv1/brtenks0'))
        self.assertEqual(bytes.fromhex('88cc'), frame[12:14])
        self.assertEqual(sender.LLDP_GROUP, frame[:6])
        self.assertEqual(SOURCE, frame[6:12])
        self.assertEqual(
            [(1, b'\x04\x02\xab\xcd\xef\x01\x23'), (2, b'\x05n0-0b'),
             (3, struct.pack('!H', sender.TTL)), (5, b'hv1/brtenks0')],
            tlvs(frame))

    def test_long_frames_are_not_padded(self):
        port = dict(PORT, system_name='x' * 100)
        self.assertEqual(14 + 9 + 8 + 4 + 102 + 2,
                         len(sender.frame(SOURCE, port)))

    def test_ttl_outlives_the_interval(self):
        self.assertGreater(sender.TTL, 2 * sender.INTERVAL)


class TestConfig(testtools.TestCase):

    def test_round_trip(self):
        ports = {'n0-0b': PORT, 'n1-0b': dict(PORT, port_id='n1-0b')}
        text = sender.render(ports)
        self.assertEqual(ports, sender.parse(text))
        self.assertEqual(text, sender.render(dict(reversed(ports.items()))))

    def test_invalid(self):
        for text, problem in [
                ('{', 'not JSON'),
                ('[]', 'no "ports"'),
                ('{"ports": {"p": {"port_id": "p"}}}', 'port p: needs'),
                ('{"ports": {"p": {"chassis_id": "02:00", "port_id": "p",'
                 ' "system_name": "b"}}}', 'not a MAC')]:
            err = self.assertRaises(sender.Invalid, sender.parse, text)
            self.assertIn(problem, str(err))


class FakeSocket:

    def __init__(self, error=None):
        self.error, self.sent, self.closed = error, [], False

    def getsockname(self):
        return ('n0-0b', sender.ETH_P_LLDP, 0, 1, SOURCE)

    def send(self, data):
        if self.error:
            raise self.error
        self.sent.append(data)

    def close(self):
        self.closed = True


class TestSender(testtools.TestCase):

    def test_a_failing_port_gets_a_new_socket(self):
        good, bad = FakeSocket(), FakeSocket(OSError(19, 'No such device'))
        opened = iter([good, bad, FakeSocket()])
        out = sender.Sender()
        self.patch(out, '_open', lambda name: out.sockets.setdefault(
            name, next(opened)))
        out.load({'a': PORT, 'b': PORT})
        self.assertEqual({'b': 'No such device'}, out.announce())
        self.assertEqual([sender.frame(SOURCE, PORT)], good.sent)
        self.assertTrue(bad.closed)
        self.assertEqual({}, out.announce())
        out.load({'b': PORT})
        self.assertEqual(['b'], list(out.sockets))
        self.assertTrue(good.closed)


class TestAnnouncements(testtools.TestCase):

    def test_what_ironic_is_given(self):
        ctx = fakes.make_context(fakes.cluster_data(2))
        hypervisor = ctx.cluster.hypervisors[0]
        nics = [nic for node in ctx.present_nodes(hypervisor)
                for nic in node.nics]
        for name in ('localhost', 'hv1'):
            ports = lldp_kind.announcements(ctx.cluster_id, name, nics)
            self.assertEqual(sorted(nic.veth_bridge for nic in nics),
                             sorted(ports))
            for nic in nics:
                link = fields.port_fields(
                    nic, naming.bridge_mac(ctx.cluster_id, nic.bridge),
                    name, ctx.cluster_id)['local_link_connection']
                self.assertEqual({'chassis_id': link['switch_id'],
                                  'port_id': link['port_id'],
                                  'system_name': link['switch_info']},
                                 ports[nic.veth_bridge])
        self.assertEqual('hv1/' + nics[0].bridge, ports[
            nics[0].veth_bridge]['system_name'])


class FakeDaemon:

    def __init__(self, observed):
        self._observed = observed

    def exists(self):
        return self._observed is not None

    def observed(self):
        return self._observed


class TestPlan(testtools.TestCase):

    def context(self, observed, count=2, teardown=False):
        self.patch(lldp_kind, 'daemon_of',
                   lambda paths, hypervisor: FakeDaemon(observed))
        return fakes.make_context(fakes.cluster_data(count),
                                  teardown=teardown)

    def plan(self, ctx):
        return [(a.verb, a.name, a.reason) for a in lldp_kind.Sender().plan(
            ctx, ctx.cluster.hypervisors[0])]

    def running(self, count):
        ctx = self.context(None, count)
        want = lldp_kind.Sender().want(ctx, ctx.cluster.hypervisors[0])
        return dict(want[lldp_kind.NAME], running=True, failed={})

    def test_new_cluster(self):
        self.assertEqual([('create', 'lldp-sender', '')],
                         self.plan(self.context(None)))

    def test_nothing_to_do(self):
        self.assertEqual([], self.plan(self.context(self.running(2))))

    def test_nics_added(self):
        self.assertEqual([('update', 'lldp-sender', 'announces other ports')],
                         self.plan(self.context(self.running(1))))

    def test_dead_or_failing_or_old(self):
        for change, reason in [
                ({'running': False}, 'not running'),
                ({'program': 'old'}, 'runs another version of the sender'),
                ({'failed': {'n0-0b': 'down'}}, 'cannot send on n0-0b')]:
            have = dict(self.running(2), **change)
            self.assertEqual([('update', 'lldp-sender', reason)],
                             self.plan(self.context(have)))

    def test_teardown(self):
        self.assertEqual([('delete', 'lldp-sender', '')], self.plan(
            self.context(dict(self.running(2), running=False),
                         teardown=True)))
        self.assertEqual([], self.plan(self.context(None, teardown=True)))


class TestCheck(testtools.TestCase):

    def setUp(self):
        super().setUp()
        ctx = fakes.make_context(fakes.cluster_data(1))
        self.node = ctx.present_nodes(ctx.cluster.hypervisors[0])[0]
        self.wanted = lldp_kind.announcements(ctx.cluster_id, 'localhost',
                                              self.node.nics)
        self.port = self.node.nics[0].veth_bridge

    def check(self, **sender):
        return checks.lldp(self.node, self.wanted, dict(
            {'running': True, 'ports': self.wanted, 'failed': {}},
            **sender))

    def test_passed(self):
        result = self.check()
        self.assertEqual(checks.PASSED, result.status)
        self.assertIn('%s as %s' % (self.port, self.node.nics[0].bridge),
                      result.detail)

    def test_failures(self):
        other = {self.port: dict(self.wanted[self.port], port_id='x')}
        for have, detail in [
                ({'running': False}, 'the LLDP sender of localhost is not '
                 'running; run tenks deploy to repair'),
                ({'ports': {}}, '%s announces nothing, not ' % self.port),
                ({'ports': other}, 'port x, not '),
                ({'failed': {self.port: 'Network is down'}},
                 'cannot send on %s: Network is down' % self.port)]:
            result = self.check(**have)
            self.assertEqual(checks.FAILED, result.status)
            self.assertIn(detail, result.detail)
