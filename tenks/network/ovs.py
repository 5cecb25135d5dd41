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

"""Open vSwitch physnet bridges."""

import os

from tenks import naming
from tenks.network import facts as net_facts


class OVSBridges:
    type = 'openvswitch'

    def __init__(self, cluster_id, datapath_type):
        self.mark = cluster_id
        self.datapath_type = datapath_type
        # The kernel datapath keeps a packet's checksum state as it
        # forwards; the userspace one loses it (tenks.network.offload).
        self.userspace = datapath_type == 'netdev'

    def create_bridge(self, batch, name):
        batch.ovs('--may-exist', 'add-br', name)
        batch.ovs('set', 'Bridge', name,
                  'datapath_type=%s' % self.datapath_type,
                  'other-config:hwaddr="%s"' % naming.bridge_mac(self.mark,
                                                                 name),
                  'external_ids:%s=%s' % (net_facts.OVS_MARK, self.mark))
        batch.ip('link', 'set', 'dev', name, 'up')

    def delete_bridge(self, batch, name):
        batch.ovs('--if-exists', 'del-br', name)

    def add_port(self, batch, bridge, port):
        batch.ovs('--may-exist', 'add-port', bridge, port)
        batch.ovs('set', 'Port', port,
                  'external_ids:%s=%s' % (net_facts.OVS_MARK, self.mark))

    def remove_port(self, batch, bridge, port):
        batch.ovs('--if-exists', 'del-port', bridge, port)

    def add_patch(self, batch, bridge, port, peer):
        self.add_port(batch, bridge, port)
        batch.ovs('set', 'Interface', port, 'type=patch',
                  'options:peer=%s' % peer)

    def tag(self, batch, port, vid):
        """Make port an access port of VLAN vid that keeps inner tags.

        dot1q-tunnel pushes vid outside any tag a frame already has (a
        tenant VLAN networking-generic-switch gave a node port) instead
        of dropping it, as a plain access port would; the outer tag is
        802.1Q, what a trunk carrying VLAN vid expects of an untagged
        node's frames.
        """
        batch.ovs('set', 'Port', port, 'tag=%d' % vid,
                  'vlan_mode=dot1q-tunnel', 'other_config:qinq-ethtype=802.1q')

    def untag(self, batch, port):
        batch.ovs('clear', 'Port', port, 'tag', 'vlan_mode')
        batch.ovs('remove', 'Port', port, 'other_config', 'qinq-ethtype')

    def owns(self, facts, name):
        bridge = facts.ovs.get(name)
        return bool(bridge and bridge.mark == self.mark)


def datapath_type(setting):
    """The datapath to use: the kernel's only when its module is loaded.

    Without the openvswitch kernel module (containers, many CI hosts) a
    system-datapath bridge cannot pass traffic; the userspace one can.
    """
    if setting != 'auto':
        return setting
    return 'system' if os.path.isdir('/sys/module/openvswitch') else 'netdev'
