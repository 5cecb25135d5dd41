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

"""The tenks-ipmi emulator's parts, each alone.

Its file, reloads, boot flags, libvirt connections, BMC answers, idle
sessions, and the module paths it had before it was a package.
"""

import json
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET

import fixtures
import testtools

from tenks.bmc import ipmi_daemon
from tenks import hosts
from tenks.ipmi_emulator import bmc as ipmi_bmc
from tenks.ipmi_emulator import config as ipmi_config
from tenks.ipmi_emulator import domain as ipmi_domain
from tenks.ipmi_emulator import sessions as ipmi_sessions


def bmc(port, password='pw', address='127.0.0.1'):
    return {'address': address, 'port': port, 'username': 'tenks',
            'password': password, 'libvirt_uri': 'qemu:///system'}


class TestConfigFile(testtools.TestCase):

    def test_render_parse_round_trip(self):
        bmcs = {'n1': bmc(6231), 'n0': dict(bmc(6230), extra='dropped')}
        text = ipmi_config.render(bmcs)
        self.assertEqual({'n0': bmc(6230), 'n1': bmc(6231)},
                         ipmi_config.parse(text))
        # Same input, same text, same digest: Tenks waits for that digest.
        self.assertEqual(text, ipmi_config.render(
            {'n0': bmc(6230), 'n1': bmc(6231)}))
        self.assertEqual(ipmi_config.digest(text), ipmi_config.digest(
            ipmi_config.render(dict(reversed(list(bmcs.items()))))))

    def test_empty(self):
        self.assertEqual({}, ipmi_config.parse(ipmi_config.render({})))

    def assertInvalid(self, data, message):
        text = data if isinstance(data, str) else json.dumps(data)
        err = self.assertRaises(ipmi_config.Invalid, ipmi_config.parse,
                                text)
        self.assertIn(message, str(err))

    def test_invalid_files(self):
        self.assertInvalid('{', 'not JSON')
        self.assertInvalid([], 'no "bmcs" mapping')
        self.assertInvalid({'bmcs': {'n0': []}}, 'BMC n0: not a mapping')
        self.assertInvalid({'bmcs': {'n0': dict(bmc(1), port='6230')}},
                           "BMC n0: port must be a int, not '6230'")
        self.assertInvalid({'bmcs': {'n0': dict(bmc(1), port=True)}},
                           'port must be a int, not True')
        missing = bmc(1)
        del missing['password']
        self.assertInvalid({'bmcs': {'n0': missing}},
                           'password must be a str, not None')

    def test_one_port_per_bmc(self):
        # Even on two addresses: pyghmi tells sessions apart by port.
        self.assertInvalid(
            {'bmcs': {'n0': bmc(6230), 'n1': bmc(6230, address='::1')}},
            'BMCs n0 and n1 both use port 6230')


class TestReloadChanges(testtools.TestCase):

    def test_unchanged_keep_running(self):
        running = {'n0': bmc(6230), 'n1': bmc(6231)}
        self.assertEqual(([], []), ipmi_config.changes(running,
                                                       dict(running)))

    def test_added_removed_changed(self):
        running = {'n0': bmc(6230), 'n1': bmc(6231), 'n2': bmc(6232)}
        wanted = {'n0': bmc(6230), 'n1': bmc(6231, password='new'),
                  'n3': bmc(6233)}
        self.assertEqual((['n1', 'n2'], ['n1', 'n3']),
                         ipmi_config.changes(running, wanted))

    def test_failed_ones_are_tried_again(self):
        # A BMC that failed to start is not running: a reload starts it.
        self.assertEqual(([], ['n0']), ipmi_config.changes(
            {}, {'n0': bmc(6230)}))

    def test_apply_actions(self):
        current = {'n0': bmc(6230), 'n1': bmc(6231)}
        self.assertEqual(
            {'n1': bmc(6231, password='new'), 'n2': bmc(6232)},
            ipmi_config.apply_actions(current, {'n0'}, {
                'n1': bmc(6231, password='new'), 'n2': bmc(6232)}))
        self.assertEqual({'n0': bmc(6230), 'n1': bmc(6231)}, current)


DOMAIN = """<domain type='qemu'><name>n0</name>
<os><type arch='x86_64'>hvm</type>%s<boot dev='network'/><boot dev='hd'/>
<bootmenu enable='no'/></os>
<devices><disk type='file'><boot order='1'/></disk></devices></domain>"""


class TestBootDevice(testtools.TestCase):

    def test_one_device_replaces_every_boot_element(self):
        root = ET.fromstring(ipmi_domain.with_boot_device(
            DOMAIN % '<loader>OVMF.fd</loader>', 'hd'))
        self.assertEqual(['type', 'loader', 'boot', 'bootmenu'],
                         [child.tag for child in root.find('os')])
        self.assertEqual('hd', root.find('os/boot').get('dev'))
        self.assertIsNone(root.find('devices/disk/boot'))

    def test_unknown_device(self):
        self.assertRaises(ValueError, ipmi_domain.with_boot_device,
                          DOMAIN % '', 'floppy')

    def test_facts(self):
        self.assertEqual(('network', False),
                         ipmi_domain.boot_facts(DOMAIN % ''))
        self.assertEqual(('network', True), ipmi_domain.boot_facts(
            DOMAIN % '<loader>OVMF.fd</loader>'))
        self.assertEqual((None, True), ipmi_domain.boot_facts(
            "<domain><os firmware='efi'/></domain>"))


class FakeLibvirtError(Exception):
    pass


class FakeConnection:

    def __init__(self, alive=True, fails=False):
        self.alive = alive
        self.fails = fails
        self.closed = False

    def isAlive(self):
        return 1 if self.alive else 0

    def close(self):
        self.closed = True

    def name(self):
        if self.fails:
            raise FakeLibvirtError('broken pipe')
        return 'answer'


class FakeLibvirt:
    libvirtError = FakeLibvirtError

    def __init__(self, *connections):
        self.connections = list(connections)
        self.opened = []

    def open(self, uri):
        self.opened.append(uri)
        return self.connections.pop(0)


class TestConnections(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.FakeLogger())

    def call(self, connections):
        return connections.call('qemu:///system', lambda conn: conn.name())

    def test_one_connection_shared(self):
        fake = FakeLibvirt(FakeConnection())
        connections = ipmi_domain.Connections(fake)
        self.assertEqual(['answer', 'answer'],
                         [self.call(connections), self.call(connections)])
        self.assertEqual(['qemu:///system'], fake.opened)

    def test_dropped_during_a_call(self):
        dead = FakeConnection(fails=True)
        fake = FakeLibvirt(dead, FakeConnection())
        connections = ipmi_domain.Connections(fake)

        def broken(conn):
            conn.alive = False
            return conn.name()

        self.assertEqual('answer', connections.call('qemu:///system',
                                                    broken))
        self.assertTrue(dead.closed)
        self.assertEqual(2, len(fake.opened))

    def test_found_dead_before_a_call(self):
        first = FakeConnection()
        fake = FakeLibvirt(first, FakeConnection())
        connections = ipmi_domain.Connections(fake)
        self.call(connections)
        first.alive = False
        self.assertEqual('answer', self.call(connections))
        self.assertEqual(2, len(fake.opened))

    def test_error_of_a_live_connection_is_raised(self):
        fake = FakeLibvirt(FakeConnection(fails=True))
        connections = ipmi_domain.Connections(fake)
        self.assertRaises(FakeLibvirtError, self.call, connections)
        self.assertEqual(1, len(fake.opened))


class FakeDomain:

    def __init__(self, device='network', uefi=False, fails=False):
        self.device, self.uefi, self.fails = device, uefi, fails
        self.on = False

    def _check(self):
        if self.fails:
            raise RuntimeError('libvirt is gone')

    def boot_device(self):
        self._check()
        return self.device, self.uefi

    def set_boot_device(self, device):
        self._check()
        self.device = device

    def power_on(self):
        self._check()
        self.on = True

    def is_on(self):
        return self.on


class FakeSession:

    def __init__(self):
        self.responses = []

    def send_ipmi_response(self, data=(), code=0):
        self.responses.append((list(data), code))


class TestDomainBMC(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.FakeLogger())
        # Not constructed: that would bind a socket. Only the mapping of
        # IPMI requests onto the domain is tested here.
        self.bmc = ipmi_bmc.DomainBMC.__new__(ipmi_bmc.DomainBMC)
        self.bmc.name = 'n0'
        self.bmc.domain = FakeDomain()
        self.session = FakeSession()

    def set_boot(self, *data):
        self.bmc.set_system_boot_options({'data': list(data)}, self.session)
        return self.session.responses[-1]

    def get_boot(self):
        self.bmc.get_system_boot_options({'data': [5, 0, 0]}, self.session)
        return self.session.responses[-1]

    def test_set_boot_device(self):
        # As ipmitool and Ironic send them; 0xe0 asks for EFI, persistent.
        for flags, selector, device in ((0x80, 0x08, 'hd'),
                                        (0xe0, 0x04, 'network'),
                                        (0xc0, 0x14, 'cdrom')):
            self.assertEqual(([], 0), self.set_boot(5, flags, selector, 0, 0))
            self.assertEqual(device, self.bmc.domain.device)

    def test_unsupported_device_is_refused(self):
        self.assertEqual(([], 0xcc), self.set_boot(5, 0x80, 0x3c, 0, 0))
        self.assertEqual('network', self.bmc.domain.device)

    def test_no_override_and_other_parameters_change_nothing(self):
        self.assertEqual(([], 0), self.set_boot(5, 0x80, 0x00, 0, 0))
        self.assertEqual(([], 0), self.set_boot(3, 0x08))
        self.assertEqual('network', self.bmc.domain.device)

    def test_failure_is_busy(self):
        self.bmc.domain.fails = True
        self.assertEqual(([], 0xc0), self.set_boot(5, 0x80, 0x08, 0, 0))
        self.assertEqual(([], 0xc0), self.get_boot())
        self.assertEqual(0xc0, self.bmc.power_on())

    def test_get_boot_flags(self):
        self.assertEqual(([1, 5, 0xc0, 0x04, 0, 0, 0], 0), self.get_boot())
        self.bmc.domain.device, self.bmc.domain.uefi = 'hd', True
        self.assertEqual(([1, 5, 0xe0, 0x08, 0, 0, 0], 0), self.get_boot())
        self.bmc.domain.device = None
        self.assertEqual(([1, 5, 0xe0, 0x00, 0, 0, 0], 0), self.get_boot())

    def test_requests_answered_by_a_worker(self):
        answered = []

        class Workers:
            def submit(self, function, *args):
                answered.append(args[0]['command'])
                function(*args)

        self.bmc.workers = Workers()
        self.bmc.sessions = ipmi_sessions.Sessions()
        self.bmc._busy = threading.Lock()
        self.bmc.handle_raw_request({'netfn': 0, 'command': 1, 'data': []},
                                    self.session)
        self.assertEqual([1], answered)
        self.assertEqual([([0, 0, 0], 0)], self.session.responses)
        self.assertEqual([self.session], list(self.bmc.sessions.seen))

    def test_power(self):
        self.assertEqual('off', self.bmc.get_power_state())
        self.assertEqual(0xd5, self.bmc.power_cycle())
        self.assertEqual(0, self.bmc.power_on())
        self.assertEqual('on', self.bmc.get_power_state())


class FakeServerSession:

    def __init__(self, bmc):
        self.bmc = bmc


class TestIdleSessions(testtools.TestCase):

    def test_idle_sessions_forgotten(self):
        server = object()
        busy, idle, new = (FakeServerSession(server) for _ in range(3))
        handlers = {'bmc-socket': {0: server},
                    ('::1', 40001): {6230: busy, 6231: idle},
                    ('::1', 40002): {6230: new}}
        sessions = ipmi_sessions.Sessions(idle=60)
        sessions.touch(busy, 100)
        sessions.touch(idle, 30)
        self.assertEqual(1, sessions.sweep(handlers, 100))
        self.assertEqual({'bmc-socket': {0: server},
                          ('::1', 40001): {6230: busy},
                          ('::1', 40002): {6230: new}}, handlers)
        # A session first met in a sweep has that long from then on.
        self.assertEqual(0, sessions.sweep(handlers, 159))
        self.assertEqual(2, sessions.sweep(handlers, 161))
        self.assertEqual({'bmc-socket': {0: server}}, handlers)
        self.assertEqual({}, sessions.seen)

    def test_sessions_gone_with_their_bmc_are_forgotten(self):
        session = FakeServerSession(object())
        sessions = ipmi_sessions.Sessions()
        sessions.touch(session, 10)
        self.assertEqual(0, sessions.sweep({}, 20))
        self.assertEqual({}, sessions.seen)


class TestOldModulePaths(testtools.TestCase):
    """What an earlier Tenks named, or started, still works."""

    def test_old_modules_are_the_new_ones(self):
        from tenks.bmc import ipmi_bmc as old_bmc
        from tenks.bmc import ipmi_config as old_config
        from tenks.bmc import ipmi_domain as old_domain
        from tenks.bmc import ipmi_sessions as old_sessions
        self.assertEqual(
            [ipmi_bmc, ipmi_config, ipmi_domain, ipmi_sessions],
            [old_bmc, old_config, old_domain, old_sessions])

    def test_both_entry_points_run_the_emulator(self):
        for module in ('tenks.ipmi_emulator', 'tenks.bmc.ipmi_emulator'):
            result = subprocess.run(
                [sys.executable, '-m', module, '--help'],
                capture_output=True, text=True, check=True)
            self.assertIn('Serve IPMI BMCs of libvirt domains',
                          result.stdout, module)

    def test_emulator_started_by_an_earlier_tenks_still_found(self):
        for module in ('tenks.bmc.ipmi_emulator', ipmi_daemon.MODULE):
            host = FakeHost()
            daemon = ipmi_daemon.Daemon(host, '/state/tenks-ipmi',
                                        '/log/tenks-ipmi.log')
            host.args = 'python3 -m %s --config %s --status %s' % (
                module, daemon.conf_file, daemon.status_file)
            self.assertEqual(42, daemon.pid(), module)


class FakeHost:
    """A host where the emulator recorded as PID 42 runs with args."""

    def __init__(self):
        self.args = ''

    def read_file(self, path):
        return '42\n' if path.endswith('.pid') else None

    def processes(self):
        return [hosts.Process(42, 42, 'S', self.args),
                hosts.Process(43, 43, 'S', 'python3 -m tenks.ipmi_emulator '
                              '--config /elsewhere/bmcs.json')]
