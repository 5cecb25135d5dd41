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

"""Plugins found through stevedore, as a new one would be installed."""

import os
import sys

import fixtures
import testtools

from tenks import conf as tenks_conf
from tenks import config
from tenks.config import settings as config_settings
from tenks import contracts
from tenks import exception
from tenks import kinds
from tenks import plugins
from tests.unit import fakes


class EntryPoints(fixtures.Fixture):
    """A distribution, on a path of its own, with the entry points given.

    entry_points maps a namespace to {name: 'module:attribute'}.
    """

    def __init__(self, entry_points):
        super().__init__()
        self.entry_points = entry_points

    def _setUp(self):
        path = self.useFixture(fixtures.TempDir()).path
        info = os.path.join(path, 'tenks_test_plugins-1.0.dist-info')
        os.mkdir(info)
        with open(os.path.join(info, 'METADATA'), 'w') as stream:
            stream.write('Metadata-Version: 2.1\nName: tenks-test-plugins\n'
                         'Version: 1.0\n')
        with open(os.path.join(info, 'entry_points.txt'), 'w') as stream:
            for namespace, entries in self.entry_points.items():
                stream.write('[%s]\n' % namespace)
                for name, target in entries.items():
                    stream.write('%s = %s\n' % (name, target))
        self.useFixture(fixtures.MonkeyPatch('sys.path',
                                             [path] + sys.path))
        # stevedore keeps each namespace's entry points for the process:
        # forget them now, and again when the distribution goes.
        self.useFixture(fixtures.MonkeyPatch(
            'stevedore.extension.ExtensionManager.ENTRY_POINT_CACHE', {}))


def emulators(**entries):
    return EntryPoints({plugins.BMC_EMULATORS: entries})


class TestNewEmulator(testtools.TestCase):
    """A new emulator is a module and an entry point, not a core edit."""

    def setUp(self):
        super().setUp()
        self.useFixture(emulators(
            **{'fake-bmc': 'tests.unit.fake_emulator:FakeEmulator'}))

    def test_loaded_beside_the_real_ones(self):
        loaded = dict(plugins.load_all(plugins.BMC_EMULATORS))
        self.assertEqual(['fake-bmc', 'sushy-tools', 'tenks-ipmi',
                          'virtualbmc'], sorted(loaded))
        self.assertTrue(issubclass(loaded['fake-bmc'],
                                   contracts.BMCEmulator))
        self.assertEqual(('ipmi',),
                         config_settings.emulator_drivers()['fake-bmc'])

    def test_chosen_in_the_cluster_file_and_planned(self):
        data = fakes.cluster_data(2, bmc_emulators={'ipmi': 'fake-bmc'})
        cluster, state = fakes.scheduled(data)
        self.assertEqual('fake-bmc', cluster.bmc_emulators['ipmi'])
        run_kinds = kinds.of_run(fakes.FakeProvider(), [
            plugin() for _, plugin in plugins.load_all(
                plugins.BMC_EMULATORS)])
        fake = next(kind for kind in run_kinds if kind.name == 'fake-bmc')
        ctx = fakes.FakeContext(cluster, state, kinds=run_kinds)
        self.assertEqual(
            [('create', 'tk0', 6230), ('create', 'tk1', 6231)],
            [(a.verb, a.name, a.want)
             for a in fake.plan(ctx, cluster.hypervisors[0])])
        # The emulators it replaced serve nothing now.
        vbmc = next(kind for kind in run_kinds if kind.name == 'bmc')
        self.assertEqual({}, vbmc.want(ctx, cluster.hypervisors[0]))


class TestBrokenPlugins(testtools.TestCase):
    """Each fault is one line naming the namespace and the plugin."""

    def assertFault(self, message, load, *args):
        err = self.assertRaises(exception.ConfigError, load, *args)
        self.assertEqual(message, str(err))
        self.assertNotIn('\n', str(err))

    def test_missing(self):
        self.assertFault("tenks.conf: tenks.schedulers: no plugin 'nope'; "
                         "installed: capacity, round_robin",
                         plugins.load, plugins.SCHEDULERS, 'nope')

    def test_cannot_be_imported(self):
        self.useFixture(emulators(broken='tests.unit.no_such_module:Fake'))
        message = ("tenks.conf: tenks.bmc_emulators: plugin 'broken' cannot "
                   "be loaded: ModuleNotFoundError: No module named "
                   "'tests.unit.no_such_module'")
        self.assertFault(message, plugins.load, plugins.BMC_EMULATORS,
                         'broken')
        self.assertFault(message, plugins.load_all, plugins.BMC_EMULATORS)

    def test_not_keeping_the_contract(self):
        self.useFixture(emulators(
            odd='tests.unit.fake_emulator:NotAnEmulator'))
        message = ("tenks.conf: tenks.bmc_emulators: plugin 'odd' "
                   "(<class 'tests.unit.fake_emulator.NotAnEmulator'>) is "
                   "not a tenks.contracts.BMCEmulator")
        self.assertFault(message, plugins.load, plugins.BMC_EMULATORS, 'odd')
        self.assertFault(message, plugins.load_all, plugins.BMC_EMULATORS)

    def test_a_broken_emulator_stops_validation(self):
        self.useFixture(emulators(broken='tests.unit.no_such_module:Fake'))
        self.assertRaises(exception.ConfigError, config.parse,
                          fakes.cluster_data(), tenks_conf.load())

    def test_real_plugins_keep_their_contracts(self):
        for namespace, contract in plugins.CONTRACTS.items():
            for name in plugins.names(namespace):
                self.assertTrue(issubclass(plugins.load(namespace, name),
                                           contract), name)
