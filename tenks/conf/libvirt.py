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

group = cfg.OptGroup('libvirt', title='libvirt node provider')

opts = [
    cfg.StrOpt('uri', default='qemu:///system',
               help='libvirt URI of the local hypervisor.'),
    cfg.StrOpt('engine', default='auto', choices=['auto', 'kvm', 'qemu'],
               help='Domain type. auto uses kvm only when KVM can really '
                    'run a guest on this host, else qemu (emulation).'),
    cfg.StrOpt('emulator',
               help='Path of the QEMU binary; libvirt\'s default if unset.'),
    cfg.StrOpt('pool_name', default='tenks',
               help='Storage pool holding node volumes.'),
    cfg.StrOpt('pool_path', default='/var/lib/libvirt/tenks_pool',
               help='Directory of the storage pool.'),
    cfg.StrOpt('cpu_mode',
               choices=['custom', 'host-model', 'host-passthrough',
                        'maximum'],
               help='Default CPU mode of domains; libvirt\'s default if '
                    'unset.'),
    cfg.BoolOpt('console_log_enabled', default=False,
                help='Log each node\'s serial console to a file in '
                     'log_dir/console.'),
]


def register(conf):
    conf.register_group(group)
    conf.register_opts(opts, group=group)
