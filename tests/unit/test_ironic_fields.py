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

import testtools

from tenks import conf
from tenks import config
from tenks import exception
from tenks.ironic import fields
from tenks.ironic import flavors
from tenks import records

SETTINGS = {'default_interfaces': {}, 'deploy_kernel': None,
            'deploy_ramdisk': 'http://images/ipa.initramfs',
            'target_state': 'manageable'}
CREDENTIALS = {'ipmi_username': 'admin', 'ipmi_password': 'secret'}


def node(**ironic_config):
    config = {'resource_class': 'rc'}
    config.update(ironic_config)
    return records.Node.from_dict({
        'name': 'tk0', 'uuid': 'u-1', 'hypervisor': 'localhost',
        'spec': 'small/tk/1',
        'vcpus': 2, 'memory_mb': 1024, 'boot_mode': 'uefi',
        'volumes': [{'name': 'tk0vol0', 'capacity': 10 * 1024 ** 3 + 5}],
        'bmc': {'driver': 'ipmi', 'address': '127.0.0.1', 'port': 6230},
        'ironic_driver': 'ipmi', 'ironic_config': config,
        'nics': [{'physnet': 'physnet1', 'mac': '52:54:00:00:00:01',
                  'bridge': 'brtenks0', 'veth_bridge': 'tk0-0b',
                  'veth_node': 'tk0-0n'}],
    })


class TestNodeFields(testtools.TestCase):

    def fields(self, **ironic_config):
        return fields.node_fields(node(**ironic_config), SETTINGS,
                                  CREDENTIALS, 'c1', {})

    def test_basic(self):
        result = self.fields(conductor_group='cg1', deploy_interface='direct')
        self.assertEqual('tk0', result['name'])
        self.assertEqual('ipmi', result['driver'])
        self.assertEqual('rc', result['resource_class'])
        self.assertEqual('cg1', result['conductor_group'])
        self.assertEqual('direct', result['deploy_interface'])
        self.assertEqual({'ipmi_address': '127.0.0.1', 'ipmi_port': 6230,
                          'ipmi_username': 'admin',
                          'ipmi_password': 'secret',
                          'deploy_ramdisk': 'http://images/ipa.initramfs'},
                         result['driver_info'])
        self.assertEqual({'cpus': 2, 'memory_mb': 1024, 'local_gb': 10,
                          'cpu_arch': 'x86_64',
                          'capabilities': 'boot_mode:uefi'},
                         result['properties'])
        self.assertEqual({'tenks_cluster': 'c1',
                          'tenks_hypervisor': 'localhost',
                          'tenks_node': 'u-1'}, result['extra'])

    def test_user_capabilities_and_properties_merge(self):
        result = self.fields(properties={'capabilities': 'foo:bar',
                                         'vendor': 'tenks'})
        self.assertEqual('boot_mode:uefi,foo:bar',
                         result['properties']['capabilities'])
        self.assertEqual('tenks', result['properties']['vendor'])

    def test_glance_names_resolved(self):
        result = fields.node_fields(node(), SETTINGS, CREDENTIALS, 'c1',
                                    {'http://images/ipa.initramfs': 'id-9'})
        self.assertEqual('id-9', result['driver_info']['deploy_ramdisk'])

    def test_traits_sorted(self):
        self.assertEqual(['A', 'B'], fields.traits(node(traits=['B', 'A'])))


class TestChanges(testtools.TestCase):

    def test_masked_password_is_not_a_change(self):
        want = fields.node_fields(node(), SETTINGS, CREDENTIALS, 'c1', {})
        have = dict(want, driver_info=dict(want['driver_info'],
                                           ipmi_password='******',
                                           ipmi_port='6230'),
                    properties=dict(want['properties'], vendor='unknown'),
                    extra=dict(want['extra'], other='x'))
        self.assertEqual([], fields.node_changes(want, have))

    def test_changed_fields_named(self):
        want = fields.node_fields(node(), SETTINGS, CREDENTIALS, 'c1', {})
        have = dict(want, resource_class='old',
                    properties=dict(want['properties'], cpus='1'))
        self.assertEqual(['properties', 'resource_class'],
                         fields.node_changes(want, have))

    def test_moves(self):
        self.assertEqual(['manage'], fields.moves('enroll', 'manageable'))
        self.assertEqual(['manage', 'provide'],
                         fields.moves('enroll', 'available'))
        self.assertEqual(['provide'], fields.moves('manageable', 'available'))
        self.assertEqual([], fields.moves('active', 'manageable'))
        self.assertEqual([], fields.moves('enroll', 'enroll'))

    def test_port(self):
        nic = node().nics[0]
        want = fields.port_fields(nic, '02:00:00:00:00:01', 'localhost', 'c1')
        self.assertEqual({'switch_id': '02:00:00:00:00:01',
                          'switch_info': 'brtenks0', 'port_id': 'tk0-0b'},
                         want['local_link_connection'])
        self.assertEqual([], fields.port_changes(want, dict(want)))
        moved = dict(want, physical_network='physnet2')
        self.assertEqual(['physical_network'],
                         fields.port_changes(want, moved))
        remote = fields.port_fields(nic, 'x', 'hv1', 'c1')
        self.assertEqual('hv1/brtenks0',
                         remote['local_link_connection']['switch_info'])


class TestFlavors(testtools.TestCase):

    def test_extra_specs(self):
        specs = flavors.extra_specs({
            'resource_class': 'my-rc', 'required_traits': ['CUSTOM_A'],
            'forbidden_traits': ['CUSTOM_B'],
            'custom_specs': {'hw:cpu_policy': 'dedicated'}})
        self.assertEqual({'resources:CUSTOM_MY_RC': '1',
                          'resources:VCPU': '0', 'resources:MEMORY_MB': '0',
                          'resources:DISK_GB': '0',
                          'trait:CUSTOM_A': 'required',
                          'trait:CUSTOM_B': 'forbidden',
                          'hw:cpu_policy': 'dedicated'}, specs)

    def test_wanted_from_node_type(self):
        cluster = config.parse({
            'node_types': {'t': {'memory_mb': 2048, 'vcpus': 2,
                                 'volumes': [{'capacity': '20GiB'}]}},
            'nova_flavors': [{'resource_class': 'rc', 'node_type': 't'},
                             {'resource_class': 'rc', 'node_type': 't',
                              'name': 'other'}]}, conf.load())
        wanted = flavors.wanted(cluster)
        self.assertEqual(['other', 'rc'], sorted(wanted))
        self.assertEqual((2048, 2, 20), (wanted['rc']['ram'],
                                         wanted['rc']['vcpus'],
                                         wanted['rc']['disk']))

    def test_unknown_node_type_rejected(self):
        err = self.assertRaises(
            exception.ConfigError, config.parse,
            {'nova_flavors': [{'resource_class': 'rc', 'node_type': 'x'}]},
            conf.load(), 'c.yaml')
        self.assertEqual("c.yaml: nova_flavors[0].node_type: 'x' is not a "
                         "node type in node_types", str(err))
