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

"""tempest.conf options: service_available.tenks and the [tenks] cluster."""

from oslo_config import cfg

service_option = cfg.BoolOpt(
    'tenks', default=False,
    help='Whether a Tenks cluster is there to verify (the DevStack plugin '
         'sets it).')

group = cfg.OptGroup('tenks', title='Tenks virtual bare-metal cluster',
                     help='The Tenks cluster whose nodes the tenks tests '
                          'verify; without state_file or cluster_file '
                          'they are skipped.')

opts = [
    cfg.StrOpt('tenks_command', default='tenks',
               help='The tenks command that runs the checks, as words '
                    '(e.g. "sudo -n /opt/stack/data/venv/bin/tenks"). The '
                    'checks read libvirt, the BMCs and the state file, '
                    'which is root\'s: a user other than root needs a '
                    'sudoers rule for this command alone.'),
    cfg.StrOpt('config_file',
               help='tenks.conf the cluster was deployed with; '
                    'tenks\' own default when unset.'),
    cfg.StrOpt('state_file',
               help='State file of the cluster. Wins over cluster_file.'),
    cfg.StrOpt('cluster_file',
               help='Cluster file whose state_file_path (or tenks.conf\'s '
                    'default state file) names the state file.'),
    cfg.StrOpt('cloud',
               help='openstacksdk cloud (clouds.yaml) of the Ironic the '
                    'nodes are enrolled in; overrides [ironic] cloud of '
                    'tenks.conf, which (or OS_CLOUD) is used when unset.'),
    cfg.BoolOpt('power_cycle', default=False,
                help='Power every node on and off through its BMC and see '
                     'the domain follow (each node is given back its power '
                     'state).'),
    cfg.BoolOpt('pxe', default=False,
                help='Power every node on through its BMC and wait for '
                     'a DHCP reply to its PXE NIC to reach its veth '
                     'intact (needs a DHCP server on that physnet).'),
]
