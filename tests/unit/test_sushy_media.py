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

import flask
import libvirt
from sushy_tools.emulator.controllers import virtual_media
import testtools

from tenks.bmc import sushy_media

UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f'
OTHER = '11111111-2222-4333-8444-555555555555'
MEDIA_PATH = '/redfish/v1/Systems/%s/VirtualMedia/Cd'


class TestStaleVolumes(testtools.TestCase):

    def test_only_the_domains_detached_uploads(self):
        names = ['boot-iso-%s.img' % UUID, 'old-iso-%s.img' % UUID,
                 'boot-iso-%s.img' % OTHER, 'tk0-vol0.qcow2']
        self.assertEqual(['old-iso-%s.img' % UUID], sushy_media.stale_volumes(
            names, UUID, {'boot-iso-%s.img' % UUID}))


class TestRefuseForeign(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.app = flask.Flask(__name__)
        self.app.register_blueprint(virtual_media.virtual_media)
        self.app.config['SUSHY_EMULATOR_ALLOWED_INSTANCES'] = [UUID]

    def refused(self, path, method='GET'):
        with self.app.test_request_context(path, method=method):
            return sushy_media.refuse_foreign()

    def test_foreign_domain_media_refused(self):
        self.assertEqual(404, self.refused(MEDIA_PATH % OTHER)[1])
        self.assertEqual(404, self.refused(
            MEDIA_PATH % OTHER + '/Actions/VirtualMedia.InsertMedia',
            'POST')[1])

    def test_served_domain_and_other_endpoints_pass(self):
        self.assertIsNone(self.refused(MEDIA_PATH % UUID))
        self.assertIsNone(self.refused('/redfish/v1/Systems/%s' % OTHER))


class TestPrune(testtools.TestCase):
    """prune() against libvirt's test driver.

    The driver's state lives as long as a connection to it is open.
    """

    URI = 'test:///default'

    def setUp(self):
        super().setUp()
        self.conn = libvirt.open(self.URI)
        self.addCleanup(self.conn.close)
        self.pool = self.conn.storagePoolLookupByName('default-pool')
        self.uuid = self.conn.lookupByName('test').UUIDString()
        for name in ('new-iso-%s.img' % self.uuid,
                     'old-iso-%s.img' % self.uuid, 'disk.img'):
            self.pool.createXML('<volume><name>%s</name><capacity>1'
                                '</capacity></volume>' % name)
        self.addCleanup(self._delete_volumes)

    def _delete_volumes(self):
        for volume in self.pool.listAllVolumes():
            volume.delete()

    def _insert(self, name):
        domain = self.conn.lookupByName('test')
        xml = domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE).replace(
            '</devices>', "<disk type='file' device='cdrom'><source file="
            "'/default-pool/%s'/><target dev='sdx' bus='sata'/></disk>"
            '</devices>' % name)
        self.conn.defineXML(xml)

    def names(self):
        return sorted(volume.name() for volume in self.pool.listAllVolumes())

    def test_detached_upload_deleted_attached_kept(self):
        self._insert('new-iso-%s.img' % self.uuid)
        sushy_media.prune(self.URI, 'default-pool', self.uuid)
        self.assertEqual(['disk.img', 'new-iso-%s.img' % self.uuid],
                         self.names())

    def test_ejected_upload_deleted(self):
        sushy_media.prune(self.URI, 'default-pool', self.uuid)
        self.assertEqual(['disk.img'], self.names())
