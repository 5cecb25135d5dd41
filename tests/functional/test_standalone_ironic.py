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

"""Functional test of tenks.standalone: a real Ironic process."""

import os
import uuid

import fixtures
import openstack
import testtools
from testtools import content

from tenks.standalone import ironic
from tenks.standalone import loopback


class TestStandaloneIronic(testtools.TestCase):

    def setUp(self):
        super().setUp()
        workdir = self.useFixture(fixtures.TempDir()).path
        self.ironic = ironic.StandaloneIronic(workdir,
                                              loopback.find_free_port())
        # Registered before start() so a half-started Ironic is stopped too.
        self.addCleanup(self.ironic.stop)
        self.pid = self.ironic.start()
        # Read now: by the time results are reported, the dir is gone.
        self.addOnException(lambda exc_info: self.addDetail(
            'ironic-log', content.content_from_file(
                str(self.ironic.log_file), buffer_now=True)))
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', str(self.ironic.clouds_yaml)))
        self.conn = openstack.connect(cloud=self.ironic.cloud_name)
        self.addCleanup(self.conn.close)

    def test_fake_node_to_available_and_delete(self):
        baremetal = self.conn.baremetal
        name = 'tenks-test-%s' % uuid.uuid4().hex[:8]
        node = baremetal.create_node(name=name, driver='fake-hardware')
        self.addCleanup(baremetal.delete_node, node, ignore_missing=True)
        self.assertEqual('enroll', node.provision_state)

        node = baremetal.set_node_provision_state(
            node, 'manage', wait=True, timeout=60)
        self.assertEqual('manageable', node.provision_state)
        node = baremetal.set_node_provision_state(
            node, 'provide', wait=True, timeout=60)
        self.assertEqual('available', node.provision_state)
        self.assertIsNone(node.last_error)

        baremetal.delete_node(node)
        self.assertIsNone(baremetal.find_node(name))

    def test_stop_leaves_no_process(self):
        self.assertTrue(os.path.exists('/proc/%d' % self.pid))
        self.assertTrue(self.ironic.stop())
        self.assertIsNone(self.ironic.pid())
        self.assertFalse(self.ironic.pid_file.exists())
        self.assertFalse(self.ironic.api_answers())
        self.assertFalse(os.path.exists('/proc/%d' % self.pid))
