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

"""Files written for the Ansible Tenks: role variables and Jinja values."""

import copy
import logging

import fixtures
import testtools

from tenks import conf as tenks_conf
from tenks import config
from tenks.config import filters
from tenks import exception

SOURCE = 'tenks.yml'
EMULATOR = ("{% if ansible_facts.os_family == 'RedHat' %}"
            "/usr/libexec/qemu-kvm{% else %}/usr/bin/qemu-system-x86_64"
            "{% endif %}")
DEBIAN = {'os_family': 'Debian', 'distribution': 'Debian',
          'architecture': 'x86_64', 'hostname': 'hv0', 'user_id': 'root'}
ROCKY = {'os_family': 'RedHat', 'distribution': 'Rocky',
         'architecture': 'x86_64', 'hostname': 'hv1', 'user_id': 'root'}


def kayobe_compute():
    """Shaped as Kayobe's dev/tenks-deploy-config-compute.yml."""
    node_type = {
        'memory_mb': 3072, 'vcpus': 1, 'volumes': [{'capacity': '6GiB'}],
        'physical_networks': ['physnet1'], 'console_log_enabled': True,
        'cpu_mode': 'maximum'}
    return {
        'node_types': {'type0': dict(node_type),
                       'type1': dict(node_type, ironic_driver='redfish')},
        'specs': [
            {'type': 'type0', 'count': 2, 'ironic_config': {
                'resource_class': 'test-rc', 'network_interface': 'flat'}},
            {'type': 'type1', 'count': 1, 'node_name_prefix': 'red',
             'ironic_config': {'resource_class': 'test-rc-red',
                               'network_interface': 'flat'}}],
        'nova_flavors': [{'resource_class': 'test-rc', 'node_type': 'type0'}],
        'physnet_mappings': {'physnet1': 'breth1'},
        'deploy_kernel': 'ipa.kernel', 'deploy_ramdisk': 'ipa.initramfs',
        'default_boot_mode': 'bios',
        'libvirt_host_install_daemon': False,
        'libvirt_vm_engine': 'qemu',
        'libvirt_vm_emulator': EMULATOR,
        'libvirt_vm_default_console_log_dir': '/var/log/kolla/tenks',
        'libvirt_vm_log_owner': 42436,
        'libvirt_vm_trust_guest_rx_filters': False,
    }


class AnsibleFileTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = tenks_conf.load()
        self.gathered = []

    def facts(self, hypervisor):
        self.gathered.append(hypervisor.name)
        return {'hv1': ROCKY}.get(hypervisor.name, DEBIAN)

    def parse(self, data, playbook_dir='/src/tenks/ansible'):
        return config.parse(data, self.conf, source=SOURCE, facts=self.facts,
                            playbook_dir=playbook_dir)

    def assertConfigError(self, data, message):
        err = self.assertRaises(exception.ConfigError, self.parse, data)
        self.assertEqual(message, str(err))


class TestRoleVariables(AnsibleFileTestCase):

    def test_kayobe_compute_file(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        cluster = self.parse(kayobe_compute())
        libvirt = cluster.libvirt
        self.assertEqual(('/usr/bin/qemu-system-x86_64',
                          '/var/log/kolla/tenks', '42436', False, 'qemu'),
                         (libvirt.emulator, libvirt.console_log_dir,
                          libvirt.log_owner, libvirt.trust_guest_rx_filters,
                          libvirt.engine))
        self.assertEqual(['localhost'], self.gathered)
        self.assertEqual('', logger.output)

    def test_no_facts_gathered_without_jinja(self):
        data = kayobe_compute()
        data['libvirt_vm_emulator'] = '/usr/bin/qemu-system-x86_64'
        self.parse(data)
        self.assertEqual([], self.gathered)

    def test_ansible_variables_warned_in_one_line(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        data = kayobe_compute()
        data.update(ansible_python_interpreter='/usr/bin/python3',
                    veth_bridge_peer_suffix='-ovs',
                    veth_node_peer_suffix='-ovs',
                    libvirt_host_configure_apparmor=True)
        self.parse(data)
        self.assertEqual(
            'tenks.yml: ignoring variables only the Ansible Tenks used: '
            'ansible_python_interpreter, libvirt_host_configure_apparmor, '
            'veth_bridge_peer_suffix, veth_node_peer_suffix\n',
            logger.output)

    def test_install_daemon_true_is_warned(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        data = kayobe_compute()
        data['libvirt_host_install_daemon'] = True
        self.parse(data)
        self.assertIn('libvirt_host_install_daemon: Tenks installs no '
                      'libvirt daemon', logger.output)

    def test_custom_socket_path(self):
        data = kayobe_compute()
        data['libvirt_custom_socket_path'] = '/run/kolla/libvirt/'
        self.assertEqual(
            'qemu+unix:///system?socket=/run/kolla/libvirt/libvirt-sock',
            self.parse(data).hypervisors[0].libvirt_uri)
        data['libvirt_local_uri'] = 'qemu:///session'
        self.assertEqual('qemu:///session',
                         self.parse(data).hypervisors[0].libvirt_uri)

    def test_empty_local_uri_is_the_default(self):
        data = kayobe_compute()
        data['libvirt_local_uri'] = ''
        self.assertEqual(self.conf.libvirt.uri,
                         self.parse(data).hypervisors[0].libvirt_uri)

    def test_cpu_mode_default(self):
        data = kayobe_compute()
        del data['node_types']['type1']['cpu_mode']
        data['libvirt_cpu_mode_default'] = 'host-model'
        types = self.parse(data).node_types
        self.assertEqual(('maximum', 'host-model'),
                         (types['type0'].cpu_mode, types['type1'].cpu_mode))

    def test_efi_paths(self):
        data = kayobe_compute()
        data.update(
            libvirt_vm_ovmf_efi_firmware_path='/usr/share/OVMF/CODE.fd',
            libvirt_vm_ovmf_efi_variable_store_path='/usr/share/OVMF/V.fd')
        libvirt = self.parse(data).libvirt
        self.assertEqual(('/usr/share/OVMF/CODE.fd', '/usr/share/OVMF/V.fd',
                          'raw'),
                         (libvirt.efi_loader, libvirt.efi_vars_template,
                          libvirt.efi_vars_format))

    def test_original_bmc_emulators_accepted(self):
        data = kayobe_compute()
        data['bmc_emulators'] = {
            'agent_ipmitool': 'virtualbmc', 'ipmi': 'virtualbmc',
            'pxe_ipmitool_socat': 'virtualbmc', 'redfish': 'sushy-tools'}
        self.assertEqual({'ipmi': 'virtualbmc', 'redfish': 'sushy-tools'},
                         self.parse(data).bmc_emulators)


ROLE_ERRORS = [
    ('libvirt_vm_arch', 'mips', "libvirt_vm_arch: 'mips' is not one of "
     "x86_64, aarch64"),
    ('libvirt_pool_type', 'logical', "libvirt_pool_type: 'logical': Tenks "
     "makes directory pools only (dir)"),
    ('libvirt_vm_default_console_log_dir', 'logs',
     "libvirt_vm_default_console_log_dir: 'logs' is not an absolute path"),
    ('libvirt_vm_log_owner', 'nova user',
     "libvirt_vm_log_owner: 'nova user' is not a user name or id"),
    ('libvirt_custom_socket_path', 'run/libvirt',
     "libvirt_custom_socket_path: 'run/libvirt' is not an absolute path"),
    ('libvirt_vm_trust_guest_rx_filters', 3,
     'libvirt_vm_trust_guest_rx_filters: 3 is not valid'),
    ('libvirt_cpu_mode_default', 'fast',
     "libvirt_cpu_mode_default: 'fast' is not one of custom, host-model, "
     "host-passthrough, maximum"),
]


class TestRoleVariableErrors(AnsibleFileTestCase):

    def test_errors(self):
        for key, value, message in ROLE_ERRORS:
            data = kayobe_compute()
            data[key] = value
            self.assertConfigError(data, '%s: %s' % (SOURCE, message))


class TestJinja(AnsibleFileTestCase):

    def test_emulator_follows_the_hypervisor_os(self):
        data = kayobe_compute()
        data['hypervisors'] = {'hv1': {'address': '203.0.113.1',
                                       'ssh_user': 'stack'}}
        self.assertEqual('/usr/libexec/qemu-kvm',
                         self.parse(data).libvirt.emulator)
        self.assertEqual(['hv1'], self.gathered)

    def test_playbook_dir(self):
        data = kayobe_compute()
        data['state_file_path'] = (
            "{{ '/'.join([(playbook_dir | dirname), 'state-storage.yml']) }}")
        cluster = self.parse(data, playbook_dir='/tmp/tenks-unit/ansible')
        self.assertEqual('/tmp/tenks-unit/state-storage.yml',
                         cluster.state_file_path)

    def test_helper_variable(self):
        data = kayobe_compute()
        data['bridge_interface'] = 'breth9'
        data['physnet_mappings'] = {'physnet1': '{{ bridge_interface }}'}
        cluster = self.parse(data)
        self.assertEqual({'physnet1': 'breth9'},
                         cluster.hypervisors[0].physnet_mappings)

    def test_variables_refer_through_each_other(self):
        data = kayobe_compute()
        data.update(port_base='{{ 6200 + offset | int }}', offset='30',
                    ipmi_port_range_start='{{ port_base }}',
                    ipmi_port_range_end='{{ port_base + 9 }}')
        ipmi = self.parse(data).ipmi
        self.assertEqual((6230, 6239),
                         (ipmi.port_range_start, ipmi.port_range_end))

    def test_facts_as_variables_and_filters(self):
        data = kayobe_compute()
        data['libvirt_vm_default_console_log_dir'] = (
            "/var/log/{{ ansible_hostname | regex_replace('hv', 'host') }}"
            "/{{ (ansible_os_family == 'Debian') | ternary('deb', 'rpm') }}")
        self.assertEqual('/var/log/host0/deb',
                         self.parse(data).libvirt.console_log_dir)

    def test_default_and_is_defined(self):
        data = kayobe_compute()
        data['libvirt_vm_emulator'] = "{{ my_emulator | default('/bin/q') }}"
        data['libvirt_vm_engine'] = (
            "{{ 'kvm' if my_engine is defined else 'qemu' }}")
        libvirt = self.parse(data).libvirt
        self.assertEqual(('/bin/q', 'qemu'),
                         (libvirt.emulator, libvirt.engine))

    def test_plain_files_unchanged(self):
        data = kayobe_compute()
        data['libvirt_vm_emulator'] = '/usr/bin/qemu-system-x86_64'
        self.assertEqual(config.parse(copy.deepcopy(data), self.conf),
                         config.parse(data, self.conf))


JINJA_ERRORS = [
    ('undefined_name', {'physnet_mappings': {
        'physnet1': '{{ bridge_interface }}'}},
     "physnet_mappings.physnet1: 'bridge_interface' is undefined, in "
     "'{{ bridge_interface }}'"),
    ('undefined_fact', {'libvirt_vm_emulator': '{{ ansible_facts.bogus }}'},
     "libvirt_vm_emulator: 'dict object' has no attribute 'bogus', in "
     "'{{ ansible_facts.bogus }}'"),
    ('syntax', {'libvirt_vm_emulator': '{{ 1 + }}'},
     "libvirt_vm_emulator: not valid Jinja: unexpected 'end of print "
     "statement'"),
    ('cycle', {'a_var': '{{ b_var }}', 'b_var': '{{ a_var }}',
               'libvirt_vm_emulator': '{{ a_var }}'},
     'a_var: refers to itself through b_var -> a_var'),
    ('sandbox', {'libvirt_vm_emulator': "{{ ''.__class__.__mro__ }}"},
     "libvirt_vm_emulator: cannot be rendered: access to attribute "
     "'__class__' of 'str' object is unsafe., in "
     "\"{{ ''.__class__.__mro__ }}\""),
    ('lookup_other_than_env',
     {'libvirt_vm_emulator': "{{ lookup('file', '/etc/shadow') }}"},
     "libvirt_vm_emulator: cannot be rendered: lookup('file') is not "
     "supported; only lookup('env', ...), in \"{{ lookup('file', "
     "'/etc/shadow') }}\""),
    ('facts_in_address', {'hypervisors': {'hv0': {
        'address': '{{ ansible_facts.hostname }}'}}},
     'hypervisors.hv0.address: uses ansible_facts, but says how Tenks '
     'reaches a hypervisor, which comes before its facts'),
    ('differs_between_hypervisors', {'hypervisors': {
        'hv0': {'address': '203.0.113.10', 'ssh_user': 'stack'},
        'hv1': {'address': '203.0.113.11', 'ssh_user': 'stack'}}},
     "libvirt_vm_emulator: comes out as '/usr/bin/qemu-system-x86_64' on "
     "hypervisor hv0 but '/usr/libexec/qemu-kvm' on hv1: Tenks applies one "
     "value to the whole cluster"),
    ('unknown_unreferenced_key', {'libvirt_vm_emualtor': '/bin/qemu'},
     "libvirt_vm_emualtor: unknown key; did you mean "
     "'libvirt_vm_emulator'?"),
]


class TestJinjaErrors(AnsibleFileTestCase):

    def test_errors(self):
        for name, changes, message in JINJA_ERRORS:
            data = kayobe_compute()
            data.update(changes)
            err = self.assertRaises(exception.ConfigError, self.parse, data)
            self.assertEqual('%s: %s' % (SOURCE, message), str(err), name)

    def test_facts_need_a_file(self):
        err = self.assertRaises(exception.ConfigError, config.parse,
                                kayobe_compute(), self.conf, source=SOURCE)
        self.assertEqual(
            'tenks.yml: (file): uses ansible_facts, which only a cluster '
            'file read from a path can (tenks.config.load)', str(err))


class TestFilters(testtools.TestCase):

    def test_bool(self):
        self.assertEqual([True, True, False, False],
                         [filters.to_bool(v) for v in ('yes', 'True', 'no',
                                                       0)])

    def test_combine(self):
        self.assertEqual({'a': {'b': 1, 'c': 2}, 'd': 3}, filters.combine(
            {'a': {'b': 1}}, {'a': {'c': 2}, 'd': 3}, recursive=True))

    def test_items(self):
        items = filters.dict2items({'a': 1})
        self.assertEqual([{'key': 'a', 'value': 1}], items)
        self.assertEqual({'a': 1}, filters.items2dict(items))

    def test_flatten(self):
        self.assertEqual([1, 2, 3, [4]],
                         filters.flatten([1, [2, [3, [4]]]], levels=2))


class TestRenderedOnlyWhatIsRead(AnsibleFileTestCase):

    def test_ansible_only_values_are_not_rendered(self):
        data = kayobe_compute()
        data['ansible_python_interpreter'] = '{{ ansible_playbook_python }}'
        self.parse(data)

    def test_unknown_key_named_before_its_jinja(self):
        data = kayobe_compute()
        data['libvirt_vm_emualtor'] = '{{ nowhere }}'
        self.assertConfigError(data, "tenks.yml: libvirt_vm_emualtor: "
                               "unknown key; did you mean "
                               "'libvirt_vm_emulator'?")

    def test_unmapped_physnet_found_by_validate(self):
        data = kayobe_compute()
        data['node_types']['type1']['physical_networks'] = ['physnet9']
        err = self.assertRaises(exception.PhysnetsUnmapped, self.parse, data)
        self.assertIn("node type 'type1' uses physical network(s) physnet9",
                      str(err))
        data['specs'][1]['count'] = 0
        self.parse(data)
