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

import logging
import os

import fixtures
import testscenarios
import testtools

from tenks import conf as tenks_conf
from tenks import config
from tenks.config import yaml_file
from tenks import exception
from tenks import units

GIB = 1024 ** 3
SOURCE = 'cluster.yaml'


def good_data():
    return {
        'node_types': {
            'small': {
                'memory_mb': 1024,
                'vcpus': 2,
                'volumes': [{'capacity': '10GB'}, {'capacity': '1GiB'},
                            {'capacity': 4096}, {'capacity': '512MiB'}],
                'physical_networks': ['physnet1', 'physnet2'],
            },
            'big': {
                'memory_mb': 4096,
                'vcpus': 4,
                'physical_networks': ['physnet1'],
                'console_log_enabled': True,
                'cpu_mode': 'host-passthrough',
            },
        },
        'specs': [
            {'type': 'small', 'count': 2},
            {'type': 'small', 'count': 1},
            {'type': 'big', 'count': 0, 'node_name_prefix': 'bg',
             'vol_name_prefix': 'disk'},
        ],
        'physnet_mappings': {'physnet1': 'eth1', 'physnet2': 'brsrc'},
        'ipmi_port_range_start': 6300,
        'ipmi_port_range_end': 6309,
    }


class ConfigTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = tenks_conf.load()

    def parse(self, data):
        return config.parse(data, self.conf, source=SOURCE)

    def assertConfigError(self, data, message):
        err = self.assertRaises(exception.ConfigError, self.parse, data)
        self.assertEqual(message, str(err))

    def write(self, text, name='cluster.yaml'):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, name)
        with open(path, 'w') as stream:
            stream.write(text)
        return path


class TestParseGood(ConfigTestCase):

    def test_node_types(self):
        cluster = self.parse(good_data())
        self.assertEqual(['big', 'small'], sorted(cluster.node_types))
        small = cluster.node_types['small']
        self.assertEqual('small', small.name)
        self.assertEqual(1024, small.memory_mb)
        self.assertEqual(2, small.vcpus)
        self.assertEqual(('physnet1', 'physnet2'), small.physical_networks)
        self.assertEqual('ipmi', small.ironic_driver)
        self.assertEqual(self.conf.libvirt.console_log_enabled,
                         small.console_log_enabled)
        big = cluster.node_types['big']
        self.assertEqual((), big.volumes)
        self.assertTrue(big.console_log_enabled)
        self.assertEqual('host-passthrough', big.cpu_mode)

    def test_capacities_in_bytes(self):
        small = self.parse(good_data()).node_types['small']
        self.assertEqual((10 * 1000 ** 3, GIB, 4096, 512 * 1024 ** 2),
                         small.volumes)

    def test_spec_keys_and_prefixes(self):
        specs = self.parse(good_data()).specs
        self.assertEqual(['small/tk/1', 'small/tk/2', 'big/bg/1'],
                         [spec.key for spec in specs])
        self.assertEqual([2, 1, 0], [spec.count for spec in specs])
        self.assertEqual(['vol', 'vol', 'disk'],
                         [spec.vol_name_prefix for spec in specs])
        self.assertIsNone(specs[0].ironic_config)

    def test_top_level_prefixes_are_spec_defaults(self):
        data = good_data()
        data['node_name_prefix'] = 'node'
        data['vol_name_prefix'] = 'v'
        specs = self.parse(data).specs
        self.assertEqual(['small/node/1', 'small/node/2', 'big/bg/1'],
                         [spec.key for spec in specs])
        self.assertEqual(['v', 'v', 'disk'],
                         [spec.vol_name_prefix for spec in specs])

    def test_boot_mode_default_is_uefi(self):
        specs = self.parse(good_data()).specs
        self.assertEqual(['uefi'] * 3, [spec.boot_mode for spec in specs])

    def test_boot_mode_from_default_boot_mode(self):
        data = good_data()
        data['default_boot_mode'] = 'bios'
        specs = self.parse(data).specs
        self.assertEqual(['bios'] * 3, [spec.boot_mode for spec in specs])

    def test_boot_mode_from_capabilities_string(self):
        data = good_data()
        data['default_boot_mode'] = 'bios'
        data['specs'][0]['ironic_config'] = {
            'resource_class': 'baremetal',
            'properties': {'capabilities': 'boot_mode:uefi,foo:bar'}}
        spec = self.parse(data).specs[0]
        self.assertEqual('uefi', spec.boot_mode)
        self.assertEqual({'resource_class': 'baremetal',
                          'properties': {
                              'capabilities': 'boot_mode:uefi,foo:bar'}},
                         spec.ironic_config)

    def test_boot_mode_from_capabilities_dict(self):
        data = good_data()
        data['specs'][1]['ironic_config'] = {
            'resource_class': 'baremetal',
            'properties': {'capabilities': {'boot_mode': 'bios',
                                            'foo': 'bar'}}}
        specs = self.parse(data).specs
        self.assertEqual(['uefi', 'bios', 'uefi'],
                         [spec.boot_mode for spec in specs])

    def test_parse_capabilities(self):
        self.assertEqual({'boot_mode': 'uefi', 'foo': 'bar'},
                         config.parse_capabilities(
                             'boot_mode:uefi, foo:bar,junk'))
        self.assertEqual({'a': '1'}, config.parse_capabilities({'a': 1}))
        self.assertEqual({}, config.parse_capabilities(''))

    def test_ipmi_range(self):
        ipmi = self.parse(good_data()).ipmi
        self.assertEqual(6300, ipmi.port_range_start)
        self.assertEqual(6309, ipmi.port_range_end)
        self.assertEqual(list(range(6300, 6310)), list(ipmi.ports))
        self.assertEqual(10, len(ipmi.ports))

    def test_ipmi_range_defaults_from_conf(self):
        data = good_data()
        del data['ipmi_port_range_start'], data['ipmi_port_range_end']
        ipmi = self.parse(data).ipmi
        self.assertEqual(self.conf.ipmi.port_range_start,
                         ipmi.port_range_start)
        self.assertEqual(self.conf.ipmi.port_range_end, ipmi.port_range_end)

    def test_hypervisors_default_to_localhost(self):
        hypervisors = self.parse(good_data()).hypervisors
        self.assertEqual(1, len(hypervisors))
        local = hypervisors[0]
        self.assertEqual('localhost', local.name)
        self.assertEqual('localhost', local.address)
        self.assertTrue(local.is_local)
        self.assertEqual(self.conf.libvirt.uri, local.libvirt_uri)
        self.assertEqual(self.conf.ipmi.address, local.bmc_address)
        self.assertEqual({'physnet1': 'eth1', 'physnet2': 'brsrc'},
                         local.physnet_mappings)

    def test_hypervisors_given(self):
        data = good_data()
        data['hypervisors'] = {
            'hv1': {'address': '203.0.113.11',
                    'physnet_mappings': {'physnet1': 'eth9'},
                    'bmc_address': '203.0.113.11'},
            'hv2': {},
        }
        hv1, hv2 = self.parse(data).hypervisors
        self.assertEqual(('hv1', '203.0.113.11', {'physnet1': 'eth9'},
                          '203.0.113.11'),
                         (hv1.name, hv1.address, hv1.physnet_mappings,
                          hv1.bmc_address))
        self.assertFalse(hv1.is_local)
        self.assertEqual(('hv2', 'hv2', {'physnet1': 'eth1',
                                         'physnet2': 'brsrc'}),
                         (hv2.name, hv2.address, hv2.physnet_mappings))

    def test_physnets_sorted(self):
        self.assertEqual(['physnet1', 'physnet2'],
                         self.parse(good_data()).physnets)

    def test_empty_file_gives_empty_cluster(self):
        path = self.write('')
        cluster = config.load(path, self.conf)
        self.assertEqual(path, cluster.source)
        self.assertEqual({}, cluster.node_types)
        self.assertEqual((), cluster.specs)

    def test_load_good_file(self):
        path = self.write(
            'node_types:\n'
            '  small:\n'
            '    memory_mb: 512\n'
            '    vcpus: 1\n'
            '    volumes:\n'
            '      - capacity: 10GB\n'
            'specs:\n'
            '  - type: small\n'
            '    count: 3\n'
            'state_file_path: /tmp/tenks-unit/state.json\n')
        cluster = config.load(path, self.conf)
        self.assertEqual(path, cluster.source)
        self.assertEqual((10 * 1000 ** 3,),
                         cluster.node_types['small'].volumes)
        self.assertEqual(['small/tk/1'], [s.key for s in cluster.specs])
        self.assertEqual('/tmp/tenks-unit/state.json',
                         cluster.state_file_path)

    def test_ansible_only_keys_warn_once(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        data = good_data()
        data['virtualenv_path'] = '/opt/venv'
        data['veth_prefix'] = 'p-'
        self.parse(data)
        self.assertEqual(
            'cluster.yaml: ignoring variables only the Ansible Tenks used: '
            'veth_prefix, virtualenv_path\n', logger.output)

    def test_no_warning_without_ansible_keys(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        self.parse(good_data())
        self.assertEqual('', logger.output)

    def test_redfish_settings(self):
        data = good_data()
        data.update(redfish_port=8443, redfish_tls=True,
                    redfish_username='admin')
        redfish = self.parse(data).redfish
        self.assertEqual((8443, True, 'admin', None),
                         (redfish.port, redfish.tls, redfish.username,
                          redfish.password))

    def test_ironic_config_properties_null(self):
        data = good_data()
        data['specs'][0]['ironic_config'] = {'resource_class': 'rc',
                                             'properties': None}
        self.assertEqual('uefi', self.parse(data).specs[0].boot_mode)

    def test_addresses_and_host_names_accepted(self):
        data = good_data()
        data.update(ipmi_address='::1', redfish_address='bmc.example.org')
        data['hypervisors'] = {'hv_1': {}}
        cluster = self.parse(data)
        self.assertEqual(('::1', 'bmc.example.org', 'hv_1'),
                         (cluster.ipmi.address, cluster.redfish.address,
                          cluster.hypervisors[0].bmc_address))

    def test_bridge_prefix_longest(self):
        data = good_data()
        data['bridge_prefix'] = 'b' * 11
        self.assertEqual('b' * 11, self.parse(data).network.bridge_prefix)

    def test_default_interfaces(self):
        data = good_data()
        data['default_interfaces'] = {
            'ipmi': {'deploy_interface': 'direct'}, 'redfish': None}
        self.assertEqual({'ipmi': {'deploy_interface': 'direct'},
                          'redfish': {}},
                         self.parse(data).ironic['default_interfaces'])

    def test_state_file_path_in_new_directories(self):
        directory = self.useFixture(fixtures.TempDir()).path
        data = good_data()
        data['state_file_path'] = os.path.join(directory, 'a', 'b', 's.json')
        self.assertEqual(data['state_file_path'],
                         self.parse(data).state_file_path)


# Each bad-config case: the edits made to good_data() (a key path and the
# value put there, or DELETE to remove the key) and the whole message.
DELETE = object()
CAPACITY = ('node_types', 'small', 'volumes', 1, 'capacity')
IRONIC_CONFIG = ('specs', 0, 'ironic_config')


def _with_rc(**ironic_config):
    return dict(resource_class='rc', **ironic_config)


BAD_CASES = [
    ('unknown_top_level_key_suggests', [(('specz',), 'MOVE:specs')],
     "specz: unknown key; did you mean 'specs'?"),
    ('unknown_top_level_key_without_suggestion', [(('zzzzzz',), 1)],
     'zzzzzz: unknown key'),
    ('unknown_spec_key', [(('specs', 1, 'cont'), 1)],
     "specs[1].cont: unknown key; did you mean 'count'?"),
    ('unknown_node_type_key', [(('node_types', 'big', 'memory'), 1)],
     "node_types.big.memory: unknown key; did you mean 'memory_mb'?"),
    ('unknown_node_type_in_spec', [(('specs', 2, 'type'), 'smal')],
     "specs[2].type: 'smal' is not a node type in node_types; did you mean "
     "'small'?"),
    ('spec_type_required', [(('specs', 0, 'type'), DELETE)],
     'specs[0].type: is required'),
    ('count_negative', [(('specs', 0, 'count'), -1)],
     'specs[0].count: -1 must be at least 0'),
    ('count_not_integer', [(('specs', 0, 'count'), 'x')],
     "specs[0].count: 'x' is not an integer"),
    ('count_boolean', [(('specs', 0, 'count'), True)],
     'specs[0].count: True is not an integer'),
    ('capacity_unknown_unit', [(CAPACITY, '10XB')],
     "node_types.small.volumes[1].capacity: '10XB' has unknown unit 'XB' "
     "(use B, MB, GB, TB, MiB, GiB or TiB)"),
    ('capacity_negative', [(CAPACITY, '-1GB')],
     "node_types.small.volumes[1].capacity: '-1GB' is not a capacity such "
     "as 10GiB or 5GB"),
    ('capacity_not_a_number', [(CAPACITY, 'abc')],
     "node_types.small.volumes[1].capacity: 'abc' is not a capacity such "
     "as 10GiB or 5GB"),
    ('capacity_zero', [(CAPACITY, '0GB')],
     "node_types.small.volumes[1].capacity: '0GB' must be larger than "
     "zero"),
    ('capacity_float', [(CAPACITY, 1.5)],
     'node_types.small.volumes[1].capacity: 1.5 is not a capacity such as '
     '10GiB or 5GB'),
    ('capacity_list', [(CAPACITY, [1])],
     'node_types.small.volumes[1].capacity: [1] is not a capacity such as '
     '10GiB or 5GB'),
    ('memory_zero', [(('node_types', 'small', 'memory_mb'), 0)],
     'node_types.small.memory_mb: 0 must be at least 1'),
    ('memory_required', [(('node_types', 'big', 'memory_mb'), DELETE)],
     'node_types.big.memory_mb: is required'),
    ('unsupported_driver', [(('node_types', 'big', 'ironic_driver'),
                             'idrac')],
     "node_types.big.ironic_driver: 'idrac' is not a supported driver "
     "(ipmi, redfish)"),
    ('bad_boot_mode_in_capabilities',
     [(IRONIC_CONFIG, _with_rc(
         properties={'capabilities': 'boot_mode:legacy'}))],
     "specs[0].ironic_config.properties.capabilities: boot_mode 'legacy' "
     "is not one of bios, uefi"),
    ('bad_default_boot_mode', [(('default_boot_mode',), 'efi')],
     "default_boot_mode: 'efi' is not one of bios, uefi"),
    ('ironic_config_needs_resource_class',
     [(IRONIC_CONFIG, {'traits': ['CUSTOM_X']})],
     'specs[0].ironic_config.resource_class: is required'),
    ('bad_node_name_prefix', [(('specs', 0, 'node_name_prefix'), 'tk/x')],
     "specs[0].node_name_prefix: 'tk/x' may hold only ASCII letters, "
     "digits, - and _"),
    ('bad_top_level_node_name_prefix', [(('node_name_prefix',), 'tk/x')],
     "node_name_prefix: 'tk/x' may hold only ASCII letters, digits, - and "
     "_"),
    ('non_ascii_node_name_prefix', [(('node_name_prefix',), 'n\u00e9')],
     "node_name_prefix: 'n\u00e9' may hold only ASCII letters, digits, - "
     "and _"),
    ('long_node_name_prefix', [(('specs', 2, 'node_name_prefix'),
                                'n' * 64)],
     "specs[2].node_name_prefix: '%s' is longer than 63 characters"
     % ('n' * 64)),
    ('bad_spec_vol_name_prefix', [(('specs', 2, 'vol_name_prefix'),
                                   'disk/')],
     "specs[2].vol_name_prefix: 'disk/' may hold only ASCII letters, "
     "digits, - and _"),
    ('bad_top_level_vol_name_prefix',
     [(('specs', 2, 'vol_name_prefix'), DELETE),
      (('vol_name_prefix',), '../v')],
     "vol_name_prefix: '../v' may hold only ASCII letters, digits, - and "
     "_"),
    ('ipmi_end_before_start', [(('ipmi_port_range_end',), 6299)],
     'ipmi_port_range_end: 6299 must be between ipmi_port_range_start '
     '(6300) and 65535'),
    ('ipmi_end_too_high', [(('ipmi_port_range_end',), 65536)],
     'ipmi_port_range_end: 65536 must be between ipmi_port_range_start '
     '(6300) and 65535'),
    ('ipmi_start_too_high', [(('ipmi_port_range_start',), 70000),
                             (('ipmi_port_range_end',), 70001)],
     'ipmi_port_range_start: 70000 must be at most 65535'),
    ('redfish_port_too_high', [(('redfish_port',), 70000)],
     'redfish_port: 70000 must be at most 65535'),
    ('mapping_where_list_expected',
     [(('specs',), {'type': 'small', 'count': 1})],
     "specs: {'type': 'small', 'count': 1} is not a list"),
    ('mapping_where_string_list_expected',
     [(('node_types', 'big', 'physical_networks'), {'physnet1': 1})],
     "node_types.big.physical_networks: {'physnet1': 1} is not a list"),
    ('list_where_mapping_expected', [(('hypervisors',), ['hv1'])],
     'hypervisors: must be a mapping, not a list'),
    ('spec_not_a_mapping', [(('specs', 1), 'small')],
     'specs[1]: must be a mapping, not a string'),
    ('physnet_mapping_not_a_device',
     [(('physnet_mappings', 'physnet2'), '')],
     "physnet_mappings.physnet2: '' is not a device name"),
    ('empty_where_mapping_expected', [(('node_types', 'big'), None)],
     'node_types.big: must be a mapping, not empty'),
    ('misspelt_ansible_key_suggests_it', [(('veth_prefx',), 'p-')],
     "veth_prefx: unknown key; did you mean 'veth_prefix'?"),
    ('null_key_named', [((None,), 1)], 'null: unknown key'),
    ('node_type_name_not_a_string', [(('node_types', 5), 'MOVE:big')],
     'node_types.5: 5 is not a string; quote the node type name'),
    ('bad_default_ironic_driver', [(('default_ironic_driver',), 'idrac')],
     "default_ironic_driver: 'idrac' is not one of ipmi, redfish"),
    ('bad_cpu_mode', [(('node_types', 'big', 'cpu_mode'), 'fastest')],
     "node_types.big.cpu_mode: 'fastest' is not one of custom, host-model, "
     "host-passthrough, maximum"),
    ('bad_top_level_cpu_mode', [(('cpu_mode',), 'fastest')],
     "cpu_mode: 'fastest' is not one of custom, host-model, "
     "host-passthrough, maximum"),
    ('ironic_config_interface_not_a_string',
     [(IRONIC_CONFIG, _with_rc(deploy_interface=5))],
     'specs[0].ironic_config.deploy_interface: 5 is not a string'),
    ('ironic_config_conductor_group_not_a_string',
     [(IRONIC_CONFIG, _with_rc(conductor_group=['a']))],
     "specs[0].ironic_config.conductor_group: ['a'] is not a string"),
    ('ironic_config_extra_not_a_mapping',
     [(IRONIC_CONFIG, _with_rc(extra=['a']))],
     "specs[0].ironic_config.extra: ['a'] is not a mapping"),
    ('ironic_config_capabilities_not_string_or_mapping',
     [(IRONIC_CONFIG, _with_rc(
         properties={'capabilities': ['boot_mode:uefi']}))],
     "specs[0].ironic_config.properties.capabilities: ['boot_mode:uefi'] "
     "is not a string such as boot_mode:uefi or a mapping"),
    ('bad_ipmi_address', [(('ipmi_address',), '203.0.113.300')],
     "ipmi_address: '203.0.113.300' is not an IP address or host name"),
    ('bad_redfish_address', [(('redfish_address',), '203.0.113.300')],
     "redfish_address: '203.0.113.300' is not an IP address or host name"),
    ('bad_bmc_address', [(('hypervisors',), {'hv1': {'bmc_address': 'a b'}})],
     "hypervisors.hv1.bmc_address: 'a b' is not an IP address or host "
     "name"),
    ('bridge_prefix_too_long', [(('bridge_prefix',), 'b' * 12)],
     "bridge_prefix: '%s' cannot start a bridge name: '%s9-up' is not a "
     "valid interface name (at most 15 letters, digits, \".\", \"_\" or "
     "\"-\")" % ('b' * 12, 'b' * 12)),
    ('bad_pool_name', [(('libvirt_pool_name',), 'a/b')],
     "libvirt_pool_name: 'a/b' is not a pool name: it must not be empty or "
     "hold /"),
    ('relative_pool_path', [(('libvirt_pool_path',), 'pool')],
     "libvirt_pool_path: 'pool' is not an absolute path"),
    ('default_interfaces_unknown_driver',
     [(('default_interfaces',), {'idrac': {}})],
     'default_interfaces.idrac: unknown key'),
    ('default_interfaces_not_a_mapping',
     [(('default_interfaces',), {'ipmi': 'direct'})],
     'default_interfaces.ipmi: must be a mapping, not a string'),
    ('default_interfaces_unknown_interface',
     [(('default_interfaces',), {'ipmi': {'deploy_interfce': 'direct'}})],
     "default_interfaces.ipmi.deploy_interfce: unknown key; did you mean "
     "'deploy_interface'?"),
    ('default_interfaces_not_a_string',
     [(('default_interfaces',), {'ipmi': {'boot_interface': 5}})],
     'default_interfaces.ipmi.boot_interface: 5 is not a string'),
]


def edited(data, edits):
    """good_data() with each (path, value) edit made in turn."""
    for path, value in edits:
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        if value is DELETE:
            del parent[path[-1]]
        elif isinstance(value, str) and value.startswith('MOVE:'):
            parent[path[-1]] = parent.pop(value[len('MOVE:'):])
        else:
            parent[path[-1]] = value
    return data


class TestParseBad(testscenarios.WithScenarios, ConfigTestCase):
    """Each case gives exactly its one-line message, naming the file."""

    scenarios = [(name, {'edits': edits, 'message': message})
                 for name, edits, message in BAD_CASES]

    def test_rejected(self):
        self.assertConfigError(edited(good_data(), self.edits),
                               '%s: %s' % (SOURCE, self.message))


class TestParseBadShape(ConfigTestCase):
    """Top-level shapes and prefixes that the table cannot express."""

    def test_top_level_not_a_mapping(self):
        self.assertConfigError(
            ['a'], 'cluster.yaml: (top): must be a mapping, not a list')

    def test_top_level_integer(self):
        self.assertConfigError(
            5, 'cluster.yaml: (top): must be a mapping, not an integer')

    def test_other_bmc_emulators_rejected(self):
        data = good_data()
        data['bmc_emulators'] = {'virtualbmc': 'redfish'}
        err = self.assertRaises(exception.ConfigError, self.parse, data)
        self.assertIn('cluster.yaml: bmc_emulators:', str(err))

    def test_bridge_prefix_bad_character(self):
        data = good_data()
        data['bridge_prefix'] = 'br/x'
        err = self.assertRaises(exception.ConfigError, self.parse, data)
        self.assertIn("cluster.yaml: bridge_prefix: 'br/x' cannot start a "
                      "bridge name", str(err))

    def test_state_file_path_is_a_directory(self):
        directory = self.useFixture(fixtures.TempDir()).path
        data = good_data()
        data['state_file_path'] = directory
        self.assertConfigError(
            data, "cluster.yaml: state_file_path: %r is a directory; name a "
                  "file in it, such as %s/state.json" % (directory,
                                                         directory))

    def test_state_file_path_under_a_file(self):
        path = self.write('')
        data = good_data()
        data['state_file_path'] = os.path.join(path, 'x', 'state.json')
        self.assertConfigError(
            data, "cluster.yaml: state_file_path: %r cannot be created: %s "
                  "is not a directory" % (data['state_file_path'], path))


class TestLoadFile(ConfigTestCase):

    def test_not_yaml(self):
        path = self.write('a: [b')
        err = self.assertRaises(exception.ConfigError, config.load, path,
                                self.conf)
        self.assertEqual(
            "%s: line 1: not valid YAML: expected ',' or ']', but got "
            "'<stream end>'" % path, str(err))

    def test_missing_file(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'missing.yaml')
        err = self.assertRaises(exception.ConfigError, config.load, path,
                                self.conf)
        self.assertEqual('%s: (file): No such file or directory' % path,
                         str(err))

    def test_error_names_file(self):
        path = self.write('specs:\n  - type: small\n    count: 1\n')
        err = self.assertRaises(exception.ConfigError, config.load, path,
                                self.conf)
        self.assertEqual("%s: specs[0].type: 'small' is not a node type in "
                         "node_types" % path, str(err))

    def test_yaml_list_at_top(self):
        path = self.write('- a\n- b\n')
        err = self.assertRaises(exception.ConfigError, config.load, path,
                                self.conf)
        self.assertEqual('%s: (top): must be a mapping, not a list' % path,
                         str(err))

    def test_duplicate_key(self):
        path = self.write('specs: []\nnode_types: {}\nspecs: []\n')
        err = self.assertRaises(exception.ConfigError, config.load, path,
                                self.conf)
        self.assertEqual("%s: line 3: not valid YAML: found duplicate key "
                         "'specs'" % path, str(err))

    def test_duplicate_nested_key(self):
        path = self.write('node_types:\n  small:\n    vcpus: 1\n'
                          '    vcpus: 2\n')
        err = self.assertRaises(exception.ConfigError, config.load, path,
                                self.conf)
        self.assertIn("line 4: not valid YAML: found duplicate key 'vcpus'",
                      str(err))

    def test_merge_key_may_be_overridden(self):
        path = self.write('base: &base {a: 1, b: 2}\n'
                          'other: {<<: *base, b: 3}\n')
        self.assertEqual({'a': 1, 'b': 3}, yaml_file.load_file(path)['other'])

    def test_binary_file(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'cluster.yaml')
        with open(path, 'wb') as stream:
            stream.write(b'\xff\xfe\x00abc: \xc3\x28')
        self.assertRaises(exception.ConfigError, config.load, path,
                          self.conf)


class TestParseCapacity(testtools.TestCase):

    def test_units(self):
        cases = {
            '10GB': 10 * 1000 ** 3,
            '1GiB': GIB,
            '512MiB': 512 * 1024 ** 2,
            '1.5GiB': 3 * GIB // 2,
            '2TB': 2 * 1000 ** 4,
            '1TiB': 1024 ** 4,
            '3kb': 3000,
            '2G': 2 * GIB,
            '100': 100,
            '100B': 100,
            ' 5 GB ': 5 * 1000 ** 3,
            4096: 4096,
        }
        for text, size in cases.items():
            self.assertEqual(size, units.parse_capacity(text), text)

    def _error(self, value, message):
        err = self.assertRaises(ValueError, units.parse_capacity, value)
        self.assertEqual(message, str(err))

    def test_unknown_unit(self):
        self._error('10XB', "has unknown unit 'XB' (use B, MB, GB, TB, MiB, "
                            "GiB or TiB)")

    def test_not_capacity(self):
        for value in ('-1GB', 'abc', '', 'GB', '1,5GB'):
            self._error(value, 'is not a capacity such as 10GiB or 5GB')

    def test_not_positive(self):
        for value in (0, -5, '0', '0GiB', '0.1B'):
            self._error(value, 'must be larger than zero')

    def test_bool(self):
        self._error(True, 'is not a capacity')

    def test_neither_string_nor_integer(self):
        for value in (1.5, [1], {'GiB': 1}, None):
            self._error(value, 'is not a capacity such as 10GiB or 5GB')

    def test_decimal_fraction_exact(self):
        self.assertEqual(2010000000, units.parse_capacity('2.01GB'))

    def test_to_gib(self):
        self.assertEqual(1, units.to_gib(GIB))
        self.assertEqual(0, units.to_gib(GIB - 1))
        self.assertEqual(9, units.to_gib(10 * 1000 ** 3))
