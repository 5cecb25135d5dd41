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

"""Linux bridge physnet bridges."""

from tenks import naming
from tenks.network import facts as net_facts


class LinuxBridges:
    type = 'linuxbridge'
    # A kernel bridge forwards a packet with its checksum still to do,
    # and the macvtap of a node hands that on to the guest's virtio NIC.
    userspace = False

    def __init__(self, cluster_id, datapath_type=None):
        self.mark = cluster_id

    def create_bridge(self, batch, name):
        batch.ip('link', 'add', 'name', name, 'address',
                 naming.bridge_mac(self.mark, name), 'type', 'bridge')
        batch.ip('link', 'set', 'dev', name, 'alias',
                 net_facts.ALIAS_PREFIX + self.mark)
        batch.ip('link', 'set', 'dev', name, 'up')

    def delete_bridge(self, batch, name):
        batch.ip('link', 'del', 'dev', name)

    def add_port(self, batch, bridge, port):
        batch.ip('link', 'set', 'dev', port, 'master', bridge)

    def remove_port(self, batch, bridge, port):
        batch.ip('link', 'set', 'dev', port, 'nomaster')

    def owns(self, facts, name):
        return facts.device_kind(name) == 'linuxbridge' and \
            facts.owns_link(name)
