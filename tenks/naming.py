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

"""Names of the links and bridges Tenks creates.

Linux allows 15 characters in an interface name. Names that would be
longer get a short form derived from a hash of the node name, so they are
stable across runs; collisions are checked by the scheduler, never left to
silent truncation.
"""

import hashlib
import re

IFNAMSIZ = 15
_VALID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')

BRIDGE_SIDE = 'b'   # veth end plugged into the physnet bridge
NODE_SIDE = 'n'     # veth end given to the node


def bridge(prefix, index):
    return _checked('%s%d' % (prefix, index))


def uplink(bridge_name, side):
    """Ends of the link joining a Tenks bridge to its source device."""
    return _checked('%s-%s' % (bridge_name, 'up' if side == BRIDGE_SIDE
                                            else 'ph'))


def hop(bridge_name):
    """The kernel bridge between a Tenks bridge and a source interface."""
    return _checked('%s-hp' % bridge_name)


def is_hop(name):
    return name.endswith('-hp')


def veth(node, physnet_index, side, salt=0):
    """One end of the veth pair of a node on a physnet."""
    suffix = '-%d%s' % (physnet_index, side)
    name = node + suffix
    if len(name) > IFNAMSIZ or salt:
        digest = hashlib.sha1(('%s/%d' % (node, salt)).encode()).hexdigest()
        name = 'tk' + digest[:IFNAMSIZ - 2 - len(suffix)] + suffix
    return _checked(name)


def _checked(name):
    if len(name) > IFNAMSIZ or not _VALID.match(name):
        raise ValueError('%r is not a valid interface name (at most %d '
                         'letters, digits, ".", "_" or "-")'
                         % (name, IFNAMSIZ))
    return name


def node_index(name, prefix):
    """n in a node name <prefix><n>, or None if name is not of that form."""
    rest = name[len(prefix):] if name.startswith(prefix) else ''
    return int(rest) if rest.isdigit() else None


def is_veth_bridge_end(name):
    return re.search(r'-\d+%s$' % BRIDGE_SIDE, name) is not None


def bridge_mac(cluster_id, bridge_name):
    """A stable, locally administered MAC for a physnet bridge.

    Left alone, OVS and Linux bridges take the lowest MAC of their ports,
    so the switch_id Ironic ports record would change as nodes come and go.
    """
    digest = hashlib.sha1(('%s/%s' % (cluster_id, bridge_name)).encode())
    return ':'.join(['02'] + [digest.hexdigest()[i:i + 2]
                              for i in range(0, 10, 2)])
