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

"""Images a Redfish BMC uploaded into the cluster's pool."""

import copy
import os

import testtools

from tenks.providers import domain_xml
from tenks.providers import libvirt as libvirt_provider
from tenks.providers import libvirt_storage
from tests.unit import fakes


class FakeVolume:

    def info(self):
        return [0, 4096, 4096]


class FakePool:

    def __init__(self, names):
        self.names = names

    def isActive(self):
        return True

    def refresh(self):
        pass

    def listVolumes(self):
        return list(self.names)

    def storageVolLookupByName(self, name):
        return FakeVolume()


class FakeDomain:

    def __init__(self, xml):
        self.xml = xml

    def XMLDesc(self, flags=0):
        return self.xml


class FakeConnection:

    def __init__(self, pool_name, pool, domains):
        self.pools = {pool_name: pool}
        self.domains = domains

    def listStoragePools(self):
        return list(self.pools)

    def listDefinedStoragePools(self):
        return []

    def storagePoolLookupByName(self, name):
        return self.pools[name]

    def listAllDomains(self, flags=0):
        return self.domains

    def getCapabilities(self):
        return fakes.capabilities()

    getDomainCapabilities = staticmethod(fakes.domain_capabilities)


class TestMediaVolumes(testtools.TestCase):

    def context(self, inserted, teardown=False, foreign_upload=False):
        cluster, state = fakes.scheduled(fakes.cluster_data(count=1))
        node = list(state.nodes.values())[0]
        pool_path = cluster.libvirt.pool_path
        upload = 'boot-iso-%s.img' % node.uuid
        disks = [os.path.join(pool_path, v.name) for v in node.volumes]
        xml = domain_xml.render(node, disks, 'qemu',
                                cluster_id=state.cluster_id)
        if inserted:
            xml = xml.replace('</devices>', (
                "<disk type='file' device='cdrom'><source file='%s'/>"
                "</disk></devices>") % os.path.join(pool_path, upload))
        names = [v.name for v in node.volumes] + [
            upload, '.tenks-%s' % state.cluster_id]
        if foreign_upload:
            names.append('boot-iso-11111111-2222-4333-8444-555555555555.img')
        conn = FakeConnection(cluster.libvirt.pool_name, FakePool(names),
                              [FakeDomain(xml)])
        hypervisors = fakes.FakeHypervisors(cluster, connection=conn)
        ctx = fakes.FakeContext(cluster, state, hypervisors=hypervisors,
                                teardown=teardown)
        return ctx, cluster.hypervisors[0], upload

    def observe(self, ctx, hypervisor):
        kind = libvirt_storage.Volumes()
        return kind.observe(ctx, hypervisor, kind.want(ctx, hypervisor))

    def test_inserted_media_left_alone(self):
        ctx, hypervisor, upload = self.context(inserted=True)
        self.assertNotIn(upload, self.observe(ctx, hypervisor))

    def test_ejected_upload_is_tenks_to_delete(self):
        ctx, hypervisor, upload = self.context(inserted=False)
        have = self.observe(ctx, hypervisor)
        self.assertTrue(have[upload].owned)

    def test_teardown_deletes_inserted_media_and_frees_the_pool(self):
        ctx, hypervisor, upload = self.context(inserted=True, teardown=True)
        self.assertTrue(self.observe(ctx, hypervisor)[upload].owned)
        pool = libvirt_storage.Pool().observe(ctx, hypervisor, {})
        self.assertTrue(pool[ctx.cluster.libvirt.pool_name].owned)

    def test_uploads_of_other_domains_not_ours(self):
        ctx, hypervisor, upload = self.context(
            inserted=False, teardown=True, foreign_upload=True)
        self.assertNotIn(
            'boot-iso-11111111-2222-4333-8444-555555555555.img',
            self.observe(ctx, hypervisor))
        pool = libvirt_storage.Pool().observe(ctx, hypervisor, {})
        self.assertFalse(pool[ctx.cluster.libvirt.pool_name].owned)

    def test_media_not_counted_as_disks(self):
        ctx, hypervisor, upload = self.context(inserted=True)
        facts = domain_xml.parse(ctx.hypervisors.connection(
            hypervisor).domains[0].XMLDesc())
        self.assertEqual([os.path.join(ctx.cluster.libvirt.pool_path,
                                       upload)], facts['media'])
        self.assertNotIn(facts['media'][0], facts['disks'])

    def test_planning_leaves_the_state_alone(self):
        for teardown in (False, True):
            ctx, hypervisor, _ = self.context(inserted=True,
                                              teardown=teardown)
            ctx.facts.cached(('engine', hypervisor.name), lambda: 'qemu',
                             keep=True)
            before = copy.deepcopy(ctx.state.to_dict())
            for kind in libvirt_provider.LibvirtProvider.kinds():
                kind.plan(ctx, hypervisor)
            self.assertEqual(before, ctx.state.to_dict())
