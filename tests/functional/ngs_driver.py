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

"""networking-generic-switch's own code, as its ML2 driver calls it.

Run as ``python -m tests.functional.ngs_driver CONFIG``: CONFIG is the
ini file Tenks wrote, read by NGS's own parser into NGS's own devices.
Each line on stdin is a JSON list of operations {local_link_connection,
vlan, action: plug|unplug}, each port found the way the ML2 driver finds
it (switch_id as ngs_mac_address first, then switch_info) and plugged or
unplugged by the device's methods; the answer, a line on stdout, lists
the device each operation went to, or says why none could. A process of
its own, kept for the whole test: NGS configures the global oslo.config
object, and importing it (Neutron's libraries) takes seconds.
"""

import json
import sys

from networking_generic_switch import config as ngs_config
from networking_generic_switch import devices
from networking_generic_switch.devices import utils as device_utils
from oslo_config import cfg


def main(config_file):
    cfg.CONF(['--config-file', config_file], project='tenks-test',
             default_config_files=[])
    switches = {name: devices.device_manager(options, name)
                for name, options in ngs_config.get_devices().items()}
    for line in sys.stdin:
        try:
            answer = [_carry_out(switches, operation)
                      for operation in json.loads(line)]
        except LookupError as err:
            answer = str(err)
        print(json.dumps(answer), flush=True)


def _carry_out(switches, operation):
    link = operation['local_link_connection']
    switch = device_utils.get_switch_device(
        switches, switch_info=link.get('switch_info'),
        ngs_mac_address=link.get('switch_id'))
    if switch is None:
        raise LookupError('no device for %s' % link)
    if not switch.is_allowed(link['port_id'], operation['vlan']):
        raise LookupError('%s: port %s not allowed' % (
            switch.device_name, link['port_id']))
    if operation['action'] == 'plug':
        switch.plug_port_to_network(link['port_id'], operation['vlan'])
    else:
        switch.delete_port(link['port_id'], operation['vlan'])
    return switch.device_name


if __name__ == '__main__':
    main(sys.argv[1])
