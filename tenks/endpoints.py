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

"""Where a node's BMC answers, as Ironic, verify and list name it."""


def redfish_root(bmc, tls):
    """The Redfish service's root URL, without a path."""
    return '%s://%s:%d' % ('https' if tls else 'http', bmc['address'],
                           bmc['port'])


def redfish_system_path(node):
    """The path of the node's Redfish system under the service."""
    return '/redfish/v1/Systems/%s' % node['uuid']


def bmc_endpoint(node, tls):
    """Where a node's BMC answers: host:port, or the Redfish system URL."""
    bmc = node['bmc']
    if bmc['driver'] == 'redfish':
        return redfish_root(bmc, tls) + redfish_system_path(node)
    return '%s:%s' % (bmc['address'], bmc['port'])
