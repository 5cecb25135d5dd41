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

group = cfg.OptGroup('ssh', title='Reaching remote hypervisors (OpenSSH)')

opts = [
    cfg.StrOpt('user', default='root',
               help='User on remote hypervisors, unless a hypervisor sets '
                    'ssh_user. Tenks needs root there (or sudo-free rights '
                    'to ip, ovs-vsctl and libvirt).'),
    cfg.PortOpt('port', default=22, min=1,
                help='SSH port of remote hypervisors, unless a hypervisor '
                     'sets ssh_port.'),
    cfg.StrOpt('key_file',
               help='Private key for remote hypervisors, unless a '
                    'hypervisor sets ssh_key; unset uses the SSH agent and '
                    "ssh's own defaults."),
    cfg.StrOpt('known_hosts_file',
               help="Known hosts file to check hypervisors' host keys "
                    "against; unset uses ssh's own. Host keys are always "
                    'checked.'),
    cfg.IntOpt('connect_timeout', default=10, min=1,
               help='Seconds to wait for a hypervisor to answer.'),
]


def register(conf):
    conf.register_group(group)
    conf.register_opts(opts, group=group)
