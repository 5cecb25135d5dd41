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

"""What the throwaway Ironic may be given to call: pure decisions."""

import json
from unittest import mock

import testtools

from tenks.standalone import exception
from tenks.standalone import provisioning
from tenks.standalone import routes
from tenks.standalone import serve_http

# `ip -j route get` on this machine: the provisioning server's address
# (only inside a namespace) goes out of eth0 to the default gateway.
OUT_OF_ETH0 = json.loads(
    '[{"dst":"203.0.113.1","gateway":"192.0.2.1","dev":"eth0",'
    '"prefsrc":"192.0.2.2","flags":[],"uid":0,"cache":[]}]')[0]
LOOPBACK = json.loads(
    '[{"type":"local","dst":"127.0.0.1","dev":"lo","prefsrc":"127.0.0.1",'
    '"flags":[],"uid":0,"cache":["local"]}]')[0]
ETH0_ADDRESS = json.loads(
    '[{"type":"local","dst":"192.0.2.2","dev":"lo","prefsrc":"192.0.2.2",'
    '"flags":[],"uid":0,"cache":["local"]}]')[0]
PROXIED = (('203.0.113.1', 8080),)


class TestRefusal(testtools.TestCase):

    def test_provisioning_server_unproxied_leaves_through_eth0(self):
        self.assertEqual(
            'reached out of eth0 via 192.0.2.1',
            routes.refusal('http://203.0.113.1:8080/agent_images/u',
                           '203.0.113.1', OUT_OF_ETH0))

    def test_provisioning_server_through_the_forwarder(self):
        self.assertIsNone(routes.refusal(
            'http://203.0.113.1:8080/agent_images/u', '203.0.113.1',
            OUT_OF_ETH0, PROXIED))

    def test_other_port_of_that_server_is_not_forwarded(self):
        self.assertEqual('reached out of eth0 via 192.0.2.1', routes.refusal(
            'http://203.0.113.1:6385/', '203.0.113.1', OUT_OF_ETH0, PROXIED))

    def test_https_is_never_proxied(self):
        self.assertIsNotNone(routes.refusal(
            'https://203.0.113.1:8080/', '203.0.113.1', OUT_OF_ETH0,
            (('203.0.113.1', 8080),)))

    def test_loopback(self):
        self.assertIsNone(routes.refusal('http://127.0.0.1:8080/x',
                                         '127.0.0.1', LOOPBACK))

    def test_eth0_own_address_is_not_loopback(self):
        self.assertEqual(
            'an address of this host, not its loopback',
            routes.refusal('http://192.0.2.2/x', '192.0.2.2', ETH0_ADDRESS))

    def test_default_ports(self):
        self.assertEqual(('h', 80), routes.endpoint('http://h/x'))
        self.assertEqual(('h', 443), routes.endpoint('https://h/x'))


class TestCheck(testtools.TestCase):

    @mock.patch.object(routes, 'route_get', return_value=OUT_OF_ETH0)
    def test_one_line_naming_option_and_route(self, _):
        err = self.assertRaises(
            exception.UrlLeavesHost, routes.check,
            {'[deploy] http_url': 'http://203.0.113.1:8080'})
        self.assertEqual(
            '[deploy] http_url http://203.0.113.1:8080: 203.0.113.1 is '
            'reached out of eth0 via 192.0.2.1; the throwaway Ironic may '
            'reach only loopback', str(err))
        self.assertNotIn('\n', str(err))

    @mock.patch.object(routes, 'route_get', return_value=OUT_OF_ETH0)
    def test_proxied_passes(self, route_get):
        routes.check({'[deploy] http_url': 'http://203.0.113.1:8080'},
                     PROXIED)


class TestConductorEnv(testtools.TestCase):

    def test_proxy_replaces_the_callers(self):
        env = provisioning.conductor_env(4321, {
            'PATH': '/bin', 'HTTPS_PROXY': 'http://corp:3128',
            'no_proxy': 'example.com'})
        self.assertEqual('/bin', env['PATH'])
        self.assertNotIn('HTTPS_PROXY', env)
        self.assertEqual('http://127.0.0.1:4321', env['http_proxy'])
        self.assertEqual('127.0.0.1,localhost,::1', env['no_proxy'])

    def test_http_url_is_the_proxied_server(self):
        self.assertEqual(('203.0.113.1', 8080),
                         routes.endpoint(provisioning.image_url()))


class TestOriginForm(testtools.TestCase):

    def test_absolute_form_served_as_its_path(self):
        self.assertEqual('/agent_images/u?x=1', serve_http.origin_form(
            'http://203.0.113.1:8080/agent_images/u?x=1'))

    def test_origin_form_unchanged(self):
        self.assertEqual('/tenks-callback?mac=m',
                         serve_http.origin_form('/tenks-callback?mac=m'))
