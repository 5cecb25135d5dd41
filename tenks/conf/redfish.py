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

group = cfg.OptGroup('redfish', title='Redfish BMCs (sushy-tools)')

opts = [
    cfg.HostAddressOpt('address', default='127.0.0.1',
                       help='Address the Redfish emulator listens on and '
                            'that Ironic is given.'),
    cfg.PortOpt('port', default=8000, min=1,
                help='Port of the Redfish emulator of each hypervisor.'),
    cfg.StrOpt('username',
               help='Redfish user name; generated per cluster if unset.'),
    cfg.StrOpt('password', secret=True,
               help='Redfish password; generated per cluster if unset.'),
    cfg.BoolOpt('tls', default=False,
                help='Serve Redfish over HTTPS with a generated '
                     'self-signed certificate that Ironic is told to '
                     'trust.'),
]


def register(conf):
    conf.register_group(group)
    conf.register_opts(opts, group=group)
