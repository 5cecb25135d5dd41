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

"""Ironic's VM MACs file from `tenks list -f json` on stdin.

Usage: macs_csv.py BRIDGE_MAC BRIDGE < tenks-list.json > ironic_macs.csv

One line a node, in the form Ironic's create_bridge_and_vms writes for its
own VMs: "mac,port;mac,port <BMC port> <bridge MAC> <bridge>", the port
being the bridge-side veth each NIC is plugged into.
"""

import json
import sys
from urllib import parse


def lines(rows, bridge_mac, bridge):
    for row in sorted(rows, key=lambda row: row['Node']):
        ports = [port.split(':', 1)[-1] for port in row['Bridge ports']]
        nics = ';'.join('%s,%s' % pair for pair in zip(row['MACs'], ports))
        bmc_port = _port(row['BMC'])
        yield '%s %s %s %s' % (nics, bmc_port, bridge_mac, bridge)


def _port(bmc):
    # host:port for IPMI, the system's URL for Redfish.
    if '://' in bmc:
        return str(parse.urlsplit(bmc).port or '')
    return bmc.rsplit(':', 1)[-1]


def main():
    bridge_mac, bridge = sys.argv[1:3]
    text = sys.stdin.read()
    for line in lines(json.loads(text) if text.strip() else [],
                      bridge_mac, bridge):
        print(line)


if __name__ == '__main__':
    main()
