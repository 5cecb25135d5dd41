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

"""The tenks-ipmi plugin: its plan and its bmc_emulators option.

The emulator itself is tested in test_ipmi_emulator.
"""

import testtools

from tenks.bmc import tenks_ipmi
from tenks.config import settings as config_settings
from tenks import exception
from tests.unit import fakes
from tests.unit import test_config


def bmc(port, password='pw', address='127.0.0.1'):
    return {'address': address, 'port': port, 'username': 'tenks',
            'password': password, 'libvirt_uri': 'qemu:///system'}


class FakeDaemon:

    def __init__(self, pid, configs, serving):
        self._pid, self.configs, self._serving = pid, configs, serving

    def pid(self):
        return self._pid

    def bmc_configs(self):
        return self.configs

    def serving(self, pid):
        return self._serving if pid else set()

    def exists(self):
        return bool(self.configs)


class TestPlan(testtools.TestCase):

    def context(self, daemon, count, teardown=False):
        """Nodes n0, n1... served by tenks-ipmi from ports 6230 on."""
        self.patch(tenks_ipmi, 'daemon_of', lambda ctx, hypervisor: daemon)
        return fakes.make_context(fakes.cluster_data(
            count, bmc_emulators={'ipmi': 'tenks-ipmi'},
            ipmi_address='127.0.0.1', libvirt_local_uri='qemu:///system',
            specs=[{'type': 'small', 'count': count,
                    'node_name_prefix': 'n'}]), teardown=teardown)

    def plan(self, ctx):
        return [(a.verb, a.kind, a.name, a.reason)
                for kind in tenks_ipmi.TenksIPMI.kinds()
                for a in kind.plan(ctx, ctx.cluster.hypervisors[0])]

    def test_new_cluster(self):
        ctx = self.context(FakeDaemon(None, {}, set()), 2)
        self.assertEqual([('create', 'ipmi-emulator', 'tenks-ipmi', ''),
                          ('create', 'ipmi-bmc', 'n0', ''),
                          ('create', 'ipmi-bmc', 'n1', '')], self.plan(ctx))

    def test_nothing_to_do(self):
        ctx = self.context(
            FakeDaemon(42, {'n0': bmc(6230)}, {'n0'}), 1)
        self.assertEqual([], self.plan(ctx))

    def test_one_added_one_removed(self):
        ctx = self.context(FakeDaemon(
            42, {'n0': bmc(6230), 'n2': bmc(6232)}, {'n0', 'n2'}), 2)
        self.assertEqual([('create', 'ipmi-bmc', 'n1', ''),
                          ('delete', 'ipmi-bmc', 'n2', '')], self.plan(ctx))

    def test_dead_emulator_restarted_and_bmcs_reloaded(self):
        ctx = self.context(
            FakeDaemon(None, {'n0': bmc(6230)}, set()), 1)
        self.assertEqual([('create', 'ipmi-emulator', 'tenks-ipmi', ''),
                          ('update', 'ipmi-bmc', 'n0', 'not running')],
                         self.plan(ctx))

    def test_changed_credentials(self):
        ctx = self.context(
            FakeDaemon(42, {'n0': bmc(6230, 'old')}, {'n0'}), 1)
        self.assertEqual([('update', 'ipmi-bmc', 'n0', 'changed: password')],
                         self.plan(ctx))

    def test_teardown_of_a_dead_emulator(self):
        ctx = self.context(
            FakeDaemon(None, {'n0': bmc(6230)}, set()), 1, teardown=True)
        self.assertEqual([('delete', 'ipmi-emulator', 'tenks-ipmi', ''),
                          ('delete', 'ipmi-bmc', 'n0', '')], self.plan(ctx))


class TestBmcEmulatorsOption(test_config.ConfigTestCase):

    def test_default(self):
        self.assertEqual({'ipmi': 'virtualbmc', 'redfish': 'sushy-tools'},
                         self.parse(test_config.good_data()).bmc_emulators)

    def test_both_directions(self):
        for given in ({'ipmi': 'tenks-ipmi'}, {'tenks-ipmi': 'ipmi'},
                      {'tenks-ipmi': 'ipmi', 'sushy-tools': 'redfish'}):
            data = dict(test_config.good_data(), bmc_emulators=given)
            self.assertEqual({'ipmi': 'tenks-ipmi', 'redfish': 'sushy-tools'},
                             self.parse(data).bmc_emulators, given)

    def test_original_file_unchanged(self):
        data = dict(test_config.good_data(), bmc_emulators={
            'virtualbmc': 'ipmi', 'sushy-tools': 'redfish'})
        self.assertEqual({'ipmi': 'virtualbmc', 'redfish': 'sushy-tools'},
                         self.parse(data).bmc_emulators)

    def test_bad_choices(self):
        for given, message in (
                ({'ipmi': 'nobmc'}, "bmc_emulators: 'nobmc' is not a "
                 "BMC emulator (sushy-tools, tenks-ipmi, virtualbmc)"),
                ({'tenks-ipmi': 'redfish'}, 'bmc_emulators: '
                 "tenks-ipmi serves ipmi, not 'redfish'"),
                ({'virtualbmc': 'ipmi', 'ipmi': 'tenks-ipmi'},
                 'bmc_emulators: ipmi has two emulators: virtualbmc '
                 'and tenks-ipmi'),
                ({'ipmi': ['tenks-ipmi']}, "bmc_emulators: 'ipmi': "
                 "['tenks-ipmi'] does not name an emulator and a driver"),
        ):
            data = dict(test_config.good_data(), bmc_emulators=given)
            err = self.assertRaises(exception.ConfigError, self.parse, data)
            self.assertEqual('cluster.yaml: ' + message, str(err))

    def test_plugins_known_by_entry_point(self):
        self.assertEqual(('ipmi',),
                         config_settings.emulator_drivers()['tenks-ipmi'])
