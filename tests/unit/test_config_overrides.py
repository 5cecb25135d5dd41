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

"""Cluster-file keys over tenks.conf options: the table and its checks.

Limits are the options' own: these tests read them from the options, so
a choice or bound added to an option is one the cluster file takes too.
"""

from oslo_config import types
import testtools

from tenks import conf as tenks_conf
from tenks import config
from tenks import exception
from tenks import overrides
from tenks import reader

SOURCE = 'cluster.yaml'
# Keys given per hypervisor (hypervisors.NAME.KEY), not at the top.
HYPERVISOR_ONLY = ('ssh_key', 'ssh_port', 'ssh_user')
# Something of each option's kind that its tenks.conf default is not.
SAMPLES = {bool: True, int: 2222, str: 'from-the-file'}
# A value of the wrong kind, and how the error names the right one.
WRONG_KINDS = {bool: ('yes', 'true or false'), int: ('7', 'an integer'),
               str: (7, 'a string')}


def minimal(**top):
    data = {'node_types': {'small': {'memory_mb': 256, 'vcpus': 1}},
            'specs': [{'type': 'small', 'count': 1}]}
    data.update(top)
    return data


def opt_type(key):
    return overrides.options()[overrides.TABLE[key]].type


def kind(key):
    return overrides._yaml_kind(opt_type(key))


def sample(key):
    """A value the file may give for key, other than tenks.conf's."""
    choices = getattr(opt_type(key), 'choices', None)
    if choices:
        return list(choices)[-1]
    if isinstance(opt_type(key), types.HostAddress):
        return '203.0.113.7'
    if key == 'libvirt_pool_path':
        return '/srv/pool'
    return SAMPLES[kind(key)]


class OverridesTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = tenks_conf.load()
        self.site = overrides.Overrides(self.conf)

    def override(self, name, value, group=None):
        # Options of a group are shared by every ConfigOpts that has it
        # (oslo.config copies the group shallowly): clear for the others.
        self.conf.set_override(name, value, group)
        self.addCleanup(self.conf.clear_override, name, group)

    def entry(self, data, path=''):
        return reader.Reader(SOURCE, path, data)

    def assertProblem(self, key, value, problem):
        err = self.assertRaises(exception.ConfigError, self.site.given, key,
                                self.entry({key: value}))
        self.assertEqual('%s: %s: %s' % (SOURCE, key, problem), str(err))


class TestTable(OverridesTestCase):

    def test_every_key_is_a_cluster_file_key(self):
        allowed = (config.TOP_LEVEL | config.HYPERVISOR_KEYS
                   | config.NODE_TYPE_KEYS)
        self.assertEqual(set(), set(overrides.TABLE) - allowed)

    def test_every_key_names_an_option(self):
        known = overrides.options()
        for key, where in overrides.TABLE.items():
            self.assertIn(where, known, key)

    def test_absent_key_takes_tenks_conf(self):
        for key, (group, name) in overrides.TABLE.items():
            self.override(name, sample(key),
                          None if group == 'DEFAULT' else group)
            self.assertEqual(sample(key),
                             self.site.value(key, self.entry({})), key)

    def test_given_key_wins(self):
        for key in overrides.TABLE:
            self.assertEqual(sample(key), self.site.value(
                key, self.entry({key: sample(key)})), key)

    def test_null_is_absent(self):
        self.assertEqual(self.conf.network.bridge_type, self.site.value(
            'bridge_type', self.entry({'bridge_type': None})))


class TestChecks(OverridesTestCase):

    def test_every_choice_of_the_option_and_no_other(self):
        for key in overrides.TABLE:
            choices = getattr(opt_type(key), 'choices', None)
            if not choices:
                continue
            for choice in choices:
                self.assertEqual(choice, self.site.given(
                    key, self.entry({key: choice})))
            self.assertProblem(key, 'bogus', "'bogus' is not one of %s"
                               % ', '.join(choices))

    def test_bounds_of_the_option(self):
        for key in overrides.TABLE:
            bounds = opt_type(key)
            if not isinstance(bounds, types.Integer):
                continue
            self.assertProblem(key, bounds.min - 1, '%d must be at least %d'
                               % (bounds.min - 1, bounds.min))
            self.assertProblem(key, bounds.max + 1, '%d must be at most %d'
                               % (bounds.max + 1, bounds.max))
            self.assertEqual(bounds.max, self.site.given(
                key, self.entry({key: bounds.max})))

    def test_wrong_kinds(self):
        for key in overrides.TABLE:
            value, name = WRONG_KINDS[kind(key)]
            self.assertProblem(key, value, '%r is not %s' % (value, name))

    def test_addresses(self):
        for key in ('ipmi_address', 'redfish_address'):
            self.assertProblem(key, 'a b',
                               "'a b' is not an IP address or host name")

    def test_inner_entry_wins_and_outer_is_checked_first(self):
        top = self.entry({'cpu_mode': 'custom'})
        node_type = self.entry({'cpu_mode': 'maximum'}, 'node_types.big')
        self.assertEqual('maximum',
                         self.site.value('cpu_mode', node_type, top))
        self.assertEqual('custom', self.site.value(
            'cpu_mode', self.entry({}, 'node_types.small'), top))
        bad_top = self.entry({'cpu_mode': 'fastest'})
        err = self.assertRaises(exception.ConfigError, self.site.value,
                                'cpu_mode', node_type, bad_top)
        self.assertIn('cluster.yaml: cpu_mode:', str(err))


class TestThroughTheClusterFile(OverridesTestCase):
    """Every key, where the file gives it, reaches the parsed cluster."""

    def parse(self, data):
        return config.parse(data, self.conf, source=SOURCE)

    def given(self, key, value):
        """Cluster data giving key value where the file takes it; its path."""
        if key in HYPERVISOR_ONLY:
            return (minimal(hypervisors={'hv1': {key: value}}),
                    'hypervisors.hv1.' + key)
        return minimal(**{key: value}), key

    def assertRejected(self, key, value, problem):
        data, where = self.given(key, value)
        err = self.assertRaises(exception.ConfigError, self.parse, data)
        self.assertEqual('cluster.yaml: %s: %s' % (where, problem), str(err))

    def test_wrong_kinds(self):
        for key in overrides.TABLE:
            value, name = WRONG_KINDS[kind(key)]
            self.assertRejected(key, value, '%r is not %s' % (value, name))

    def test_choices_of_the_options(self):
        for key in overrides.TABLE:
            choices = getattr(opt_type(key), 'choices', None)
            for choice in choices or ():
                self.parse(self.given(key, choice)[0])
            if choices:
                self.assertRejected(key, 'bogus', "'bogus' is not one of %s"
                                    % ', '.join(choices))

    def test_bounds_of_the_options(self):
        for key in overrides.TABLE:
            bounds = opt_type(key)
            if not isinstance(bounds, types.Integer):
                continue
            self.assertRejected(key, bounds.min - 1, '%d must be at least %d'
                                % (bounds.min - 1, bounds.min))
            if key != 'ipmi_port_range_end':    # see below
                self.assertRejected(key, bounds.max + 1,
                                    '%d must be at most %d'
                                    % (bounds.max + 1, bounds.max))

    def test_bad_top_level_value_found_under_node_types_own(self):
        data = minimal(console_log_enabled='yes')
        data['node_types']['small']['console_log_enabled'] = True
        err = self.assertRaises(exception.ConfigError, self.parse, data)
        self.assertEqual("cluster.yaml: console_log_enabled: 'yes' is not "
                         "true or false", str(err))

    def test_node_type_over_top_over_tenks_conf(self):
        self.override('cpu_mode', 'custom', 'libvirt')
        data = minimal(cpu_mode='host-model')
        data['node_types']['big'] = {'memory_mb': 256, 'vcpus': 1,
                                     'cpu_mode': 'maximum'}
        cluster = self.parse(data)
        self.assertEqual(('host-model', 'maximum'),
                         (cluster.node_types['small'].cpu_mode,
                          cluster.node_types['big'].cpu_mode))
        self.assertEqual('custom', self.parse(minimal()).node_types[
            'small'].cpu_mode)

    def test_ssh_per_hypervisor(self):
        self.override('user', 'stack', 'ssh')
        cluster = self.parse(minimal(hypervisors={
            'hv1': {'address': '203.0.113.1', 'ssh_port': 2222},
            'hv2': {'address': '203.0.113.2', 'ssh_user': 'admin'}}))
        self.assertEqual([('stack', 2222), ('admin', 22)],
                         [(hv.ssh_user, hv.ssh_port)
                          for hv in cluster.hypervisors])

    def test_port_range_end_past_the_last_port(self):
        err = self.assertRaises(exception.ConfigError, self.parse, minimal(
            ipmi_port_range_end=65536))
        self.assertEqual('cluster.yaml: ipmi_port_range_end: 65536 must be '
                         'between ipmi_port_range_start (%d) and 65535'
                         % self.conf.ipmi.port_range_start, str(err))
        err = self.assertRaises(exception.ConfigError, self.parse, minimal(
            ipmi_port_range_end=0))
        self.assertEqual('cluster.yaml: ipmi_port_range_end: 0 must be at '
                         'least 1', str(err))
