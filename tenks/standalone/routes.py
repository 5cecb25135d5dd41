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

"""Whether a URL given to the throwaway Ironic keeps its traffic here.

The throwaway Ironic's own traffic must never leave the host: its
provisioning network's addresses (203.0.113.0/24) exist only inside a
namespace, and from the host they route out of the default route's
device, where something else may answer (a 404 from outside, once).
What it may reach: loopback, and the provisioning image server through
the forwarder its environment names as HTTP proxy. The decision is pure
(refusal, on the output of ``ip -j route get``); check runs ip.
"""

import ipaddress
import json
import socket
import subprocess
import urllib.parse

from tenks.standalone import exception

DEFAULT_PORTS = {'http': 80, 'https': 443}


def endpoint(url):
    """(host, port) of url, the port its scheme's default if unsaid."""
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme)


def refusal(url, address, route, proxied=()):
    """Where url's traffic would go if not to loopback or proxied, or None.

    address: its host's address; route: `ip -j route get address`'s
    entry; proxied: the (host, port) pairs Ironic reaches through its
    forwarder (plain HTTP only: a proxy sees no https URL's host).
    """
    host, port = endpoint(url)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == 'http' and (host, port) in proxied:
        return None
    if ipaddress.ip_address(address).is_loopback:
        return None
    if route.get('type') == 'local':
        return 'an address of this host, not its loopback'
    return 'reached out of %s%s' % (
        route.get('dev', 'no device'),
        ' via %s' % route['gateway'] if route.get('gateway') else '')


def resolve(host):
    """The address host names (itself if it is one)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return socket.gethostbyname(host)


def route_get(address):
    """`ip -j route get address`'s entry."""
    result = subprocess.run(['ip', '-j', 'route', 'get', address],
                            capture_output=True, text=True)
    if result.returncode:
        return {'dev': 'no route (%s)' % result.stderr.strip()}
    return json.loads(result.stdout)[0]


def check(urls, proxied=()):
    """Raise UrlLeavesHost for the first of {option: url} that would."""
    for option, url in sorted(urls.items()):
        host, _ = endpoint(url)
        address = resolve(host)
        where = refusal(url, address, route_get(address), proxied)
        if where:
            allowed = ['loopback'] + ['http://%s:%d' % pair
                                      for pair in sorted(proxied)]
            raise exception.UrlLeavesHost(
                option=option, url=url, address=address, where=where,
                allowed=', '.join(allowed))
