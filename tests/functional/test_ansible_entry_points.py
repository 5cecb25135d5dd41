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

"""The Ansible Tenks' entry points, run as Kayobe and Kolla-Ansible run
them: ``ansible-playbook -i <tenks>/ansible/inventory
<tenks>/ansible/deploy.yml -e @<file>`` from a Tenks checkout.

The files are written in those projects' style (role variables, Jinja
values); what the role variables ask for is read back from the domains.
"""

import os
import shutil
import stat
import sys
import time
import xml.etree.ElementTree as ET

import yaml

from tests.functional import base
from tests import nshosts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable),
                                'ansible-playbook')
EMULATOR = '/usr/bin/qemu-system-x86_64'
# Console logs are owned by the nova user of Kolla's nova_libvirt.
NOVA_UID = 42436
# Management subnet index of the namespace hypervisor: clear of those
# tests/functional/test_multihost.py uses (0-2).
NS_INDEX = 12

KAYOBE_STYLE = '''
node_types:
  type0:
    memory_mb: 256
    vcpus: 1
    volumes:
      - capacity: 1GiB
    physical_networks:
      - physnet1
    console_log_enabled: true
    cpu_mode: maximum
specs:
  # No ironic_config: this test has no Ironic, and the original then
  # skips enrolment.
  - type: type0
    count: 1
physnet_mappings:
  physnet1: "{{ bridge_interface }}"
default_boot_mode: "bios"
libvirt_host_install_daemon: false
libvirt_vm_engine: "qemu"
libvirt_vm_emulator: "{% if ansible_facts.os_family == 'RedHat' %}\
/usr/libexec/qemu-kvm{% else %}/usr/bin/qemu-system-x86_64{% endif %}"
libvirt_vm_default_console_log_dir: "{{ kolla_logs }}/tenks"
libvirt_vm_log_owner: 42436
libvirt_vm_trust_guest_rx_filters: false
state_file_path: "{{ '/'.join([(playbook_dir | dirname), \
'state-storage.yml']) }}"
'''

KOLLA_STYLE = '''
node_types:
  type0:
    memory_mb: 256
    vcpus: 1
    volumes:
      - capacity: 1GiB
    physical_networks:
      - physnet1
    console_log_enabled: true
    cpu_mode: maximum
specs:
  - type: type0
    count: 2
physnet_mappings:
  physnet1: "{{ neutron_external_bridge_name }}"
default_boot_mode: "{{ tenks_default_boot_mode }}"
libvirt_host_install_daemon: false
libvirt_vm_engine: "qemu"
libvirt_vm_arch: "{{ tenks_libvirt_vm_arch }}"
libvirt_vm_emulator: "{{ tenks_libvirt_vm_emulator }}"
libvirt_vm_default_console_log_dir: "{{ kolla_logs }}/tenks"
libvirt_vm_log_owner: 42436
libvirt_vm_trust_guest_rx_filters: true
ansible_python_interpreter: "{{ ansible_playbook_python }}"
state_file_path: "{{ '/'.join([(playbook_dir | dirname), \
'state-storage.yml']) }}"
'''


class TestAnsibleEntryPoints(base.TenksTestCase):

    def setUp(self):
        super().setUp()
        # A Tenks checkout, as Kayobe and Kolla-Ansible have one.
        self.checkout = os.path.join(self.workdir, 'tenks')
        shutil.copytree(os.path.join(ROOT, 'ansible'),
                        os.path.join(self.checkout, 'ansible'))
        shutil.copy(os.path.join(ROOT, 'requirements.yml'), self.checkout)
        self.state_file = os.path.join(self.checkout, 'state-storage.yml')
        self.source = self.source_prefix + 'lb'
        self.linux_bridge(self.source)
        self.kolla_logs = os.path.join(self.workdir, 'kolla')
        # Each hypervisor's own /var/lib/libvirt (a namespace host's is
        # its own), as tests/functional/test_multihost.py has it.
        self.pool_path = '/var/lib/libvirt/%s' % self.pool
        self.addCleanup(base.run, ['rm', '-rf', self.pool_path],
                        check=False)

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, 'w') as stream:
            stream.write(text)
        return path

    def plumbing(self):
        """What only this test needs: its names, ports and tenks.conf."""
        return self.write('plumbing.yml', yaml.safe_dump({
            'node_name_prefix': self.node_prefix,
            'bridge_prefix': self.bridge_prefix,
            'libvirt_pool_name': self.pool,
            'libvirt_pool_path': self.pool_path,
            'log_directory': os.path.join(self.workdir, 'log'),
            'ipmi_port_range_start': self.ipmi_start,
            'ipmi_port_range_end': self.ipmi_start + 3,
            'redfish_port': base._tcp_free_port(),
            'kolla_logs': self.kolla_logs,
            'tenks_config_file': self.conf_file}))

    def playbook(self, name, *extra, inventory=None, path=None):
        tmp = os.path.join(self.workdir, 'ansible-tmp')
        env = dict(os.environ, ANSIBLE_LOCAL_TEMP=tmp,
                   ANSIBLE_REMOTE_TEMP=tmp, ANSIBLE_NOCOLOR='1')
        if path:
            env['PATH'] = path + os.pathsep + env['PATH']
        argv = [ANSIBLE_PLAYBOOK, '-vvv', '--inventory',
                inventory or os.path.join(self.checkout, 'ansible',
                                          'inventory')]
        for each in extra:
            argv.append('--extra-vars=' + each)
        argv.append(os.path.join(self.checkout, 'ansible', name))
        return base.run(argv, env=env, cwd=self.workdir, timeout=600)

    def galaxy_install(self):
        """The step Kayobe and Kolla-Ansible run before the playbook."""
        base.run([os.path.join(os.path.dirname(sys.executable),
                               'ansible-galaxy'), 'install',
                  '--role-file', os.path.join(self.checkout,
                                              'requirements.yml'),
                  '--roles-path', os.path.join(self.checkout, 'ansible',
                                               'roles')])

    def domain(self, name, uri='qemu:///system'):
        return ET.fromstring(base.run(['virsh', '-c', uri, 'dumpxml',
                                       name]).stdout)

    def assert_role_variables(self, root, trust):
        name = root.findtext('name')
        self.assertEqual(EMULATOR, root.findtext('devices/emulator'))
        self.assertEqual('x86_64', root.find('os/type').get('arch'))
        self.assertEqual('maximum', root.find('cpu').get('mode'))
        self.assertEqual(
            ['yes' if trust else None],
            [i.get('trustGuestRxFilters')
             for i in root.findall('devices/interface')])
        log = os.path.join(self.kolla_logs, 'tenks', '%s-console.log' % name)
        self.assertEqual(log, root.find('devices/serial/log').get('file'))
        info = os.stat(os.path.dirname(log))
        self.assertEqual((NOVA_UID, NOVA_UID, 0o770),
                         (info.st_uid, info.st_gid,
                          stat.S_IMODE(info.st_mode)))

    def ovs_vsctl_wrapper(self):
        """An ovs-vsctl on the PATH that stands for the real one.

        As Kayobe's dev/ovs-vsctl stands for a containerised Open vSwitch.
        """
        directory = os.path.join(self.workdir, 'wrapper')
        os.makedirs(directory)
        self.wrapped = os.path.join(self.workdir, 'ovs-vsctl-calls')
        with open(os.path.join(directory, 'ovs-vsctl'), 'w') as stream:
            stream.write('#!/bin/sh\nprintf "%%s\\n" "$*" >> %s\n'
                         'exec /usr/bin/ovs-vsctl "$@"\n' % self.wrapped)
        os.chmod(os.path.join(directory, 'ovs-vsctl'), 0o755)
        return directory

    def test_kayobe_style_deploy_and_cmd_teardown(self):
        self.galaxy_install()
        config = self.write('tenks-deploy-config-compute.yml', KAYOBE_STYLE)
        # The host's libvirt, reached through its socket directory as a
        # containerised one is.
        extra = ['@' + config, '@' + self.plumbing(),
                 'bridge_interface=' + self.source,
                 'libvirt_custom_socket_path=/run/libvirt']
        wrapper = self.ovs_vsctl_wrapper()
        self.playbook('deploy.yml', *extra, path=wrapper)
        with open(self.wrapped) as stream:
            self.assertIn('add-br %s0' % self.bridge_prefix, stream.read())
        # playbook_dir is the checkout's ansible/ directory.
        with open(self.state_file) as stream:
            state = yaml.safe_load(stream)
        (node,) = state['nodes'].values()
        self.assertEqual(
            'qemu+unix:///system?socket=/run/libvirt/libvirt-sock',
            state['hypervisors']['localhost']['libvirt_uri'])
        self.assert_role_variables(self.domain(node['name']), trust=False)
        # The original's BMC defaults: every address, its credentials.
        self.assertEqual(('0.0.0.0', 'username', 'password'),
                         (node['bmc']['address'],
                          state['credentials']['ipmi_username'],
                          state['credentials']['ipmi_password']))
        self.assertIn('Chassis Power Control: Up/On', base.run(
            ['ipmitool', '-I', 'lanplus', '-H', '127.0.0.1', '-p',
             str(node['bmc']['port']), '-U', 'username', '-P', 'password',
             'power', 'on']).stdout)
        # The running node's console is logged where the file said.
        log = os.path.join(self.kolla_logs, 'tenks',
                           '%s-console.log' % node['name'])
        deadline = time.monotonic() + 60
        while not os.path.exists(log) and time.monotonic() < deadline:
            time.sleep(1)
        self.assertTrue(os.path.exists(log), log)
        # Nothing to change the second time.
        second = self.playbook('deploy.yml', *extra, path=wrapper)
        self.assertIn('no changes', second.stdout)
        self.playbook('deploy.yml', *extra + ['cmd=teardown'], path=wrapper)
        self.assertEqual([], self.leftovers())

    def test_kolla_style_over_two_hypervisors(self):
        keys = nshosts.Keys(os.path.join(self.workdir, 'controller-ssh'))
        host = nshosts.NamespaceHost(self.source_prefix + 'h', NS_INDEX,
                                     self.workdir, keys)
        self.addCleanup(host.stop)
        host.start()
        # Kolla's file maps physnet1 for every host: each has its own.
        host.inside(['ip', 'link', 'add', self.source, 'type', 'bridge'])
        host.inside(['ip', 'link', 'set', self.source, 'up'])
        with open(self.conf_file, 'a') as stream:
            stream.write('[ssh]\nknown_hosts_file = %s\n' % keys.known_hosts)
        inventory = self.inventory(host, keys)
        config = self.write('tenks.yml', KOLLA_STYLE)
        extra = ['@' + config, '@' + self.plumbing(),
                 '{"neutron_external_bridge_name": "%s", '
                 '"tenks_default_boot_mode": "bios", '
                 '"tenks_libvirt_vm_arch": "x86_64", '
                 '"tenks_libvirt_vm_emulator": "%s"}' % (self.source,
                                                         EMULATOR)]
        self.playbook('deploy.yml', *extra, inventory=inventory)
        with open(self.state_file) as stream:
            nodes = yaml.safe_load(stream)['nodes']
        placed = {n['hypervisor']: n['name'] for n in nodes.values()}
        self.assertEqual({'localhost', host.name}, set(placed))
        self.assert_role_variables(self.domain(placed['localhost']),
                                   trust=True)
        self.assert_role_variables(
            self.domain(placed[host.name], host.libvirt_uri), trust=True)
        self.playbook('teardown.yml', *extra, inventory=inventory)
        self.assertEqual([], self.leftovers())
        self.assertEqual([], [d for d in base.run(
            ['virsh', '-c', host.libvirt_uri, 'list', '--all',
             '--name']).stdout.split() if d.startswith(self.node_prefix)])

    def inventory(self, host, keys):
        """The checkout's inventory, with a second hypervisor."""
        inventory = os.path.join(self.workdir, 'inventory')
        shutil.copytree(os.path.join(self.checkout, 'ansible', 'inventory'),
                        inventory)
        with open(os.path.join(inventory, 'hosts'), 'a') as stream:
            stream.write('%s ansible_host=%s ansible_user=root '
                         'ansible_ssh_private_key_file=%s\n' % (
                             host.name, host.address, keys.private))
        os.makedirs(os.path.join(inventory, 'host_vars'))
        # Room for one node on each, so that each gets one.
        for name, extra in (('localhost', {}),
                            (host.name, {'libvirt_uri': host.libvirt_uri})):
            with open(os.path.join(inventory, 'host_vars', name + '.yml'),
                      'w') as stream:
                yaml.safe_dump(dict(extra, capacity={'memory_mb': 256}),
                               stream)
        return inventory
