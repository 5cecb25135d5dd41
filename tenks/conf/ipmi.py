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

group = cfg.OptGroup('ipmi', title='IPMI BMCs (VirtualBMC or tenks-ipmi)')

opts = [
    cfg.HostAddressOpt('address', default='127.0.0.1',
                       help='Address BMCs listen on, and that Ironic is '
                            'given. Must be reachable from Ironic.'),
    cfg.PortOpt('port_range_start', default=6230, min=1,
                help='First port of the BMC port range.'),
    cfg.PortOpt('port_range_end', default=6240, min=1,
                help='Last port of the BMC port range (inclusive).'),
    cfg.StrOpt('username',
               help='BMC user name; generated per cluster if unset.'),
    cfg.StrOpt('password', secret=True,
               help='BMC password; generated per cluster if unset.'),
    cfg.PortOpt('vbmcd_control_port',
                help='Loopback port of the control socket of the vbmcd '
                     'that Tenks runs. Unset, each cluster\'s vbmcd gets a '
                     'free port of its own on each hypervisor, recorded '
                     'with its files, so that clusters sharing a host (and '
                     'a vbmcd of the user) never reach each other\'s. '
                     'Whichever port, Tenks talks only to the vbmcd it '
                     'started there.'),
]


def register(conf):
    conf.register_group(group)
    conf.register_opts(opts, group=group)
