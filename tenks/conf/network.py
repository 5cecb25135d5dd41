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

from oslo_config import cfg

group = cfg.OptGroup('network', title='Physical network bridges')

opts = [
    cfg.StrOpt('bridge_type', default='openvswitch',
               choices=['openvswitch', 'linuxbridge'],
               help='Kind of bridge Tenks creates per physical network.'),
    cfg.StrOpt('ovs_datapath_type', default='auto',
               choices=['auto', 'system', 'netdev'],
               help='Open vSwitch datapath of Tenks bridges. auto uses the '
                    'kernel datapath when it works, else netdev '
                    '(userspace), as needed in containers.'),
    cfg.StrOpt('bridge_prefix', default='brtenks',
               help='Prefix of physnet bridge names; the physnet index '
                    'follows it.'),
]


def register(conf):
    conf.register_group(group)
    conf.register_opts(opts, group=group)
