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

"""BMC credentials: chosen once per cluster, and judged when a user sets
them.

A password nobody chose is generated; one the user sets is theirs to
keep, with a warning when it is weak, naming the addresses beyond
loopback where a BMC would answer to it.
"""

import ipaddress
import secrets

# Generated passwords have 16 URL-safe characters (96 bits).
GENERATED_BYTES = 12
# Shorter than a generated one, or a well-known default: weak. Length is
# the measure NIST SP 800-63B keeps; the list holds the defaults of BMCs
# and of the original Tenks that a scanner tries first.
MIN_LENGTH = 12
WELL_KNOWN = frozenset([
    'password', 'admin', 'root', 'calvin', 'changeme', 'ADMIN', 'secret',
    'default', 'passw0rd', 'p@ssw0rd', 'tenks', 'ipmi', 'redfish'])
DRIVERS = ('ipmi', 'redfish')


def ensure(cluster, credentials):
    """Fill in credentials: the file's, else those chosen before, else new."""
    for driver in DRIVERS:
        settings = getattr(cluster, driver)
        for key, make in (('username', lambda: 'tenks'),
                          ('password', lambda: secrets.token_urlsafe(
                              GENERATED_BYTES))):
            name = '%s_%s' % (driver, key)
            credentials[name] = (getattr(settings, key)
                                 or credentials.get(name) or make())


def warnings(cluster, nodes):
    """A line per weak password the cluster file (or tenks.conf) sets."""
    lines = []
    for driver in DRIVERS:
        password = getattr(cluster, driver).password
        if not password or not is_weak(password):
            continue
        exposed = exposed_addresses(nodes, driver)
        where = (('; its BMCs answer on %s, beyond loopback'
                  % ', '.join(exposed)) if exposed else '')
        lines.append('%s_password is weak (under %d characters or a '
                     'well-known default)%s: set a stronger one, or unset '
                     'it to have Tenks generate one' % (
                         driver, MIN_LENGTH, where))
    return lines


def is_weak(password):
    return len(password) < MIN_LENGTH or password in WELL_KNOWN or (
        password.lower() in WELL_KNOWN)


def exposed_addresses(nodes, driver):
    """The addresses other than loopback where the driver's BMCs listen."""
    found = set()
    for node in nodes:
        address = node.bmc.address
        if node.bmc.driver == driver and not is_loopback(address):
            found.add(address)
    return sorted(found)


def is_loopback(address):
    if address == 'localhost':
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        # A host name: only its resolver knows, so it counts as exposed.
        return False
