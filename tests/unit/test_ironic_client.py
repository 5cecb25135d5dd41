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

import threading
import time
from unittest import mock

from openstack import exceptions as sdk_exceptions
import testtools

from tenks import exception
from tenks.ironic import client


def _http_error(status):
    return sdk_exceptions.HttpException(
        message='database is locked', http_status=status)


class WriteRetryTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.ironic = client.Ironic(mock.Mock(ironic=mock.Mock(
            cloud='x', wait_timeout=1, concurrent_writes=1)))
        self.baremetal = mock.Mock()
        self.ironic._conn = mock.Mock(baremetal=self.baremetal)
        self.patch(client.time, 'sleep', lambda delay: None)

    def test_idempotent_write_retried_after_server_error(self):
        self.baremetal.set_node_traits.side_effect = [
            _http_error(500), _http_error(503), 'done']
        self.assertEqual('done', self.ironic.write(
            'set_node_traits', 'node', ['CUSTOM_A']))
        self.assertEqual(3, self.baremetal.set_node_traits.call_count)
        self.assertEqual(3, self.ironic.writes)

    def test_gives_up_after_the_last_delay(self):
        self.baremetal.update_port.side_effect = _http_error(500)
        self.assertRaises(exception.IronicError, self.ironic.write,
                          'update_port', 'port', address='x')
        self.assertEqual(len(client.RETRY_DELAYS) + 1,
                         self.baremetal.update_port.call_count)

    def test_client_error_not_retried(self):
        self.baremetal.patch_node.side_effect = _http_error(409)
        err = self.assertRaises(exception.IronicCallFailed, self.ironic.write,
                                'patch_node', 'node', [])
        self.assertEqual(1, self.baremetal.patch_node.call_count)
        self.assertNotIsInstance(err, exception.IronicUnavailable)

    def test_server_error_says_run_again(self):
        self.baremetal.create_node.side_effect = _http_error(503)
        err = self.assertRaises(exception.IronicUnavailable,
                                self.ironic.write, 'create_node', name='x')
        self.assertIn('run the same command again', str(err))

    def test_unreachable_not_retried_and_says_run_again(self):
        from keystoneauth1 import exceptions as ks_exceptions
        self.baremetal.patch_node.side_effect = ks_exceptions.ConnectFailure(
            'Connection refused')
        self.assertRaises(exception.IronicUnavailable, self.ironic.write,
                          'patch_node', 'node', [])
        self.assertEqual(1, self.baremetal.patch_node.call_count)

    def test_create_not_retried(self):
        self.baremetal.create_node.side_effect = _http_error(500)
        self.assertRaises(exception.IronicError, self.ironic.write,
                          'create_node', name='x')
        self.assertEqual(1, self.baremetal.create_node.call_count)

    def test_flavor_writes_go_to_compute_counted_and_translated(self):
        compute = self.ironic._conn.compute
        compute.delete_flavor.side_effect = [_http_error(500), None]
        compute.create_flavor.side_effect = _http_error(500)
        self.ironic.write('delete_flavor', 'f1', ignore_missing=True,
                          service='compute')
        self.assertEqual(2, compute.delete_flavor.call_count)
        err = self.assertRaises(exception.IronicError, self.ironic.write,
                                'create_flavor', name='rc', service='compute')
        self.assertIn('database is locked', str(err))
        self.assertEqual(1, compute.create_flavor.call_count)
        self.assertEqual(3, self.ironic.writes)
        self.baremetal.assert_not_called()


class WriteLimitTest(testtools.TestCase):

    def most_at_once(self, methods, limit):
        """Most calls in Ironic at once: each method 3 times, by map()."""
        ironic = client.Ironic(mock.Mock(ironic=mock.Mock(
            cloud='x', wait_timeout=1, concurrent_writes=limit)))
        inside = []
        most = [0]
        lock = threading.Lock()

        def call(*args, **kwargs):
            with lock:
                inside.append(1)
                most[0] = max(most[0], len(inside))
            time.sleep(0.1)
            with lock:
                inside.pop()

        ironic._conn = mock.Mock(baremetal=mock.Mock(
            **{method: call for method in methods}))
        try:
            ironic.map(lambda method: ironic.write(method),
                       [method for method in methods for _ in range(3)])
        finally:
            ironic.close()
        return most[0]

    def test_record_writes_up_to_the_limit(self):
        self.assertEqual(2, self.most_at_once(
            ['create_node', 'create_port', 'patch_node'], 2))

    def test_deletes_one_at_a_time(self):
        self.assertEqual(1, self.most_at_once(
            ['delete_node', 'delete_port'], 4))
