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

"""VLANs of physnets that share an Open vSwitch bridge as their device.

Tenks tags a physnet's VLAN on its own port in the source bridge, the
end of its uplink there (a patch port, or a veth from a Linux bridge).
The node ports of a physnet bridge stay untagged access ports, which
networking-generic-switch may give tenant VLANs; the uplink port pushes
the physnet's VLAN outside such a tag (802.1Q in 802.1Q) rather than
dropping the frame, as a plain access port would. Open vSwitch tags in
userspace, so this works where the kernel has no 802.1Q module (as
here); tagging in a Linux bridge or on an interface would need it.
"""


def needs_ovs(item, hypervisor, kind):
    """Why a physnet's VLAN cannot be set on its device of kind."""
    return ('VLAN %d needs an Open vSwitch bridge as device, and %r on %s '
            'is %s' % (item['vlan'], item['source'], hypervisor.name,
                       'an interface' if kind == 'interface'
                       else 'a Linux bridge'))


def tag_of(facts, port):
    """The VLAN Tenks tags on its port in a source bridge, as compared.

    None if untagged; a VLAN tagged any other way (an access port that
    would drop tenant tags) is a description, never equal to a VLAN.
    """
    bridge = facts.ovs.get(facts.port_bridge.get(port))
    found = bridge and bridge.ports[port]
    if not found or (found.tag is None and not found.vlan_mode):
        return None
    if found.vlan_mode == 'dot1q-tunnel' and found.qinq_ethtype == '802.1q':
        return found.tag
    return 'tag %s, vlan_mode %s' % (found.tag, found.vlan_mode or 'access')


def words(vlan):
    if vlan is None:
        return 'untagged'
    return 'on VLAN %d' % vlan if isinstance(vlan, int) else vlan


def set_on(bridges, batch, facts, port, vid):
    """Tag vid on Tenks' port in a source bridge, or untag it."""
    if vid:
        bridges.tag(batch, port, vid)
    elif tag_of(facts, port) is not None:
        bridges.untag(batch, port)
