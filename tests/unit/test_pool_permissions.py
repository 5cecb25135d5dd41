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

"""libvirt_pool_mode, _owner and _group: the pool directory's permissions."""

import xml.etree.ElementTree as ET

import testtools

from tenks import conf as tenks_conf
from tenks import config
from tenks import exception
from tenks import plan
from tenks.providers import libvirt_storage
from tests.unit import fakes

# virsh pool-dumpxml of an active directory pool on libvirt 9: the
# directory's actual mode and ids.
ACTIVE_POOL = '''<pool type='dir'>
  <name>tenks</name>
  <uuid>4b1bd4c8-2c3a-4d0e-9a0e-1f3e5b7c9d11</uuid>
  <capacity unit='bytes'>105089261568</capacity>
  <allocation unit='bytes'>2202009600</allocation>
  <available unit='bytes'>102887251968</available>
  <source>
  </source>
  <target>
    <path>/var/lib/libvirt/tenks_pool</path>
    <permissions>
      <mode>0711</mode>
      <owner>0</owner>
      <group>0</group>
    </permissions>
  </target>
</pool>
'''
PASSWD = 'nova:x:42434:42434::/var/lib/nova:/usr/sbin/nologin\n'


class TestClusterFile(testtools.TestCase):

    def libvirt(self, **given):
        data = fakes.cluster_data(**given)
        return config.parse(data, tenks_conf.load(),
                            source='c.yaml').libvirt

    def test_the_originals_values(self):
        settings = self.libvirt(libvirt_pool_mode=755,
                                libvirt_pool_owner='nova',
                                libvirt_pool_group=42434)
        self.assertEqual(('0755', 'nova', '42434'),
                         (settings.pool_mode, settings.pool_owner,
                          settings.pool_group))
        self.assertEqual('2770', self.libvirt(
            libvirt_pool_mode='2770').pool_mode)

    def test_unset_is_libvirts(self):
        settings = self.libvirt()
        self.assertEqual((None, None, None),
                         (settings.pool_mode, settings.pool_owner,
                          settings.pool_group))

    def test_not_octal(self):
        # YAML 1.1 reads an unquoted 0750 as the number 488.
        err = self.assertRaises(exception.ConfigError, self.libvirt,
                                libvirt_pool_mode=488)
        self.assertEqual('c.yaml: libvirt_pool_mode: 488 is not an octal '
                         'mode such as 755 or "0750"', str(err))


class TestPlan(testtools.TestCase):

    def context(self, answers=None, **given):
        ctx = fakes.make_context(fakes.cluster_data(**given))
        ctx.hypervisors = fakes.FakeHypervisors(
            ctx.cluster, host=fakes.FakeHost(answers or {}))
        return ctx, ctx.cluster.hypervisors[0]

    def test_names_become_ids_of_the_hypervisor(self):
        ctx, hypervisor = self.context(
            {'getent': (0, PASSWD)}, libvirt_pool_mode=750,
            libvirt_pool_owner='nova', libvirt_pool_group=0)
        want = libvirt_storage.Pool().want(ctx, hypervisor)
        self.assertEqual({'mode': '0750', 'owner': '42434', 'group': '0'},
                         want[ctx.cluster.libvirt.pool_name]['permissions'])
        self.assertEqual([(['getent', 'passwd', 'nova'], None)],
                         ctx.hypervisors.fake_host.seen)

    def test_unknown_name_is_an_error(self):
        ctx, hypervisor = self.context({'getent': (2, '')},
                                       libvirt_pool_group='nova')
        err = self.assertRaises(exception.AccountUnknown,
                                libvirt_storage.Pool().want, ctx, hypervisor)
        self.assertEqual("libvirt_pool_group: no group 'nova' on hypervisor "
                         "localhost; name one that exists there, or its "
                         "numeric id.", str(err))

    def test_drift_is_an_update(self):
        have = {'active': True, 'permissions': libvirt_storage.
                parse_permissions(ACTIVE_POOL)}
        self.assertEqual({'mode': '0711', 'owner': '0', 'group': '0'},
                         have['permissions'])
        want = {'path': '/p', 'permissions': {'mode': '0750',
                                              'group': '108'}}
        self.assertEqual(
            'permissions: group 0, wanted 108; mode 0711, wanted 0750',
            libvirt_storage.Pool.compare(want, have))
        self.assertIsNone(libvirt_storage.Pool.compare(
            {'path': '/p', 'permissions': {'owner': '0'}}, have))
        self.assertEqual('inactive', libvirt_storage.Pool.compare(
            want, {'active': False, 'permissions': {}}))

    def test_pool_xml(self):
        root = ET.fromstring(libvirt_storage.pool_xml(
            'tenks', '/p', {'mode': '0750', 'group': '108'}, 'u-1'))
        self.assertEqual(('dir', 'tenks', 'u-1', '/p'),
                         (root.get('type'), root.findtext('name'),
                          root.findtext('uuid'),
                          root.findtext('target/path')))
        self.assertEqual([('mode', '0750'), ('group', '108')],
                         [(e.tag, e.text) for e in
                          root.find('target/permissions')])
        plain = ET.fromstring(libvirt_storage.pool_xml('tenks', '/p', {}))
        self.assertIsNone(plain.find('target/permissions'))
        self.assertIsNone(plain.find('uuid'))


class FakePool:

    def __init__(self):
        self.defined = []

    def name(self):
        return 'tenks'

    def UUIDString(self):
        return 'u-1'

    def connect(self):
        return self

    def storagePoolDefineXML(self, xml):
        self.defined.append(xml)


class TestUpdate(testtools.TestCase):

    def test_directory_changed_in_place_and_kept_in_the_definition(self):
        host, pool = fakes.FakeHost(), FakePool()
        action = plan.Action(
            'pool', plan.UPDATE, 'tenks', 'localhost', want={
                'path': '/p', 'permissions': {'mode': '0750',
                                              'group': '108'}},
            have={'active': True, 'permissions': {}})
        libvirt_storage._update_pool(host, pool, action)
        self.assertEqual([['chown', ':108', '/p'], ['chmod', '0750', '/p']],
                         [argv for argv, _ in host.seen])
        self.assertEqual('0750', ET.fromstring(pool.defined[0]).findtext(
            'target/permissions/mode'))
