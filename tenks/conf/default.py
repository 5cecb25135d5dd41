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

opts = [
    cfg.StrOpt('state_dir', default='/var/lib/tenks',
               help='Directory for Tenks state: the state file, generated '
                    'credentials and BMC daemon files.'),
    cfg.StrOpt('state_file_path',
               help='Path of the state file. Defaults to state.json in '
                    'state_dir. The cluster file\'s state_file_path wins.'),
    cfg.StrOpt('log_dir', default='/var/log/tenks',
               help='Directory for logs of daemons Tenks runs and for node '
                    'console logs.'),
    cfg.StrOpt('scheduler', default='capacity',
               help='Scheduler plugin (entry point in tenks.schedulers) '
                    'placing new nodes on hypervisors: capacity (the '
                    'hypervisor with the most memory left that fits the '
                    'node) or round_robin (hypervisors in turn, ignoring '
                    'their resources).'),
    cfg.FloatOpt('memory_overcommit_ratio', default=1.0, min=0.1,
                 help='The capacity scheduler places nodes on a hypervisor '
                      'only while the memory of all its domains stays '
                      'within this ratio times its physical memory. Above '
                      '1.0, domains may be given more memory than the '
                      'host has.'),
    cfg.FloatOpt('disk_overcommit_ratio', default=2.0, min=0.1,
                 help='The capacity scheduler places volumes in a pool only '
                      'while their sizes add up to at most this ratio '
                      'times the space the pool has free. Volumes are thin '
                      '(qcow2) and an Ironic deploy writes an image, not '
                      'the whole disk (its default cleaning erases only '
                      'metadata), so volumes rarely fill; 1.0 never '
                      'overcommits, for clusters that erase or fill their '
                      'disks.'),
    cfg.StrOpt('daemon_supervisor', default='none',
               choices=['none', 'systemd'],
               help='What runs the BMC daemons Tenks starts on a '
                    'hypervisor: none (detached processes, their output '
                    'in log_dir) or systemd (transient tenks-<name> units, '
                    'their output in the journal), as DevStack runs '
                    'its services.'),
    cfg.IntOpt('workers', default=8, min=1, max=64,
               help='Upper bound on nodes worked on concurrently.'),
]


def register(conf):
    conf.register_opts(opts)
