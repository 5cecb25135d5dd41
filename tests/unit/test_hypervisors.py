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

"""A run's hypervisors, from the cluster file or from the state."""

import testtools

from tenks import exception
from tenks import hosts
from tenks import hypervisors
from tenks import records
from tests.unit import fakes

TWO = fakes.cluster_data(hypervisors={
    'hv0': {'address': 'localhost'},
    'hv1': {'address': '203.0.113.11', 'ssh_user': 'stack'}})


class TestPaths(testtools.TestCase):

    def setUp(self):
        super().setUp()
        cluster, _ = fakes.scheduled(TWO)
        self.hypervisors = hypervisors.Hypervisors.from_cluster(
            None, cluster, fakes.FakeProvider())
        self.local, self.remote = cluster.hypervisors

    def test_files_of_remote_hypervisors_apart(self):
        self.assertEqual('/srv/tenks/vbmc',
                         self.hypervisors.files(self.local, 'vbmc'))
        self.assertEqual('/srv/tenks/hosts/hv1/vbmc',
                         self.hypervisors.files(self.remote, 'vbmc'))

    def test_redfish_ca_kept_here(self):
        self.assertEqual('/srv/tenks/sushy/cert.pem',
                         self.hypervisors.redfish_ca(self.local))
        self.assertEqual('/srv/tenks/hosts/hv1/redfish-ca/cert.pem',
                         self.hypervisors.redfish_ca(self.remote))


class TestFromState(testtools.TestCase):

    def hypervisors(self, hypervisor_records, connect=None):
        data = records.State.from_dict({
            'schema_version': 1, 'cluster_id': 'c0ffee00',
            'hypervisors': hypervisor_records})
        return hypervisors.Hypervisors.from_state(
            None, data, '/srv/tenks/state.json', fakes.FakeProvider(connect))

    def test_way_in_as_the_deploy_recorded_it(self):
        cluster, state = fakes.scheduled(TWO)
        built = self.hypervisors(state.to_dict()['hypervisors'])

        def way_in(hypervisor):
            return (hypervisor.name, hypervisor.address, hypervisor.is_local,
                    hypervisor.libvirt_uri, None if hypervisor.is_local else
                    (hypervisor.ssh_user, hypervisor.ssh_port))

        self.assertEqual([way_in(h) for h in cluster.hypervisors],
                         [way_in(h) for h in built.members])
        self.assertIsInstance(built.host(built.named('hv0')),
                              hosts.LocalHost)

    def test_remote_without_ssh_record_cannot_be_reached(self):
        built = self.hypervisors({'hv1': {
            'libvirt_uri': 'qemu+ssh://root@hv1/system'}})
        hv1 = built.named('hv1')
        self.assertFalse(hv1.is_local)
        self.assertIsNone(built.host(hv1))

    def test_a_failed_connection_is_not_retried(self):
        calls = []

        def connect():
            calls.append(1)
            raise exception.LibvirtUnreachable(uri='qemu:///system',
                                               reason='no libvirtd')

        built = self.hypervisors({'hv0': {'libvirt_uri': 'qemu:///system'}},
                                 connect)
        for _ in range(2):
            self.assertRaises(exception.ProviderError, built.connection,
                              built.named('hv0'))
        self.assertEqual([1], calls)
