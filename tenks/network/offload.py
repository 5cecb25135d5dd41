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

"""Checksum offload on veth ends whose traffic a userspace datapath reads.

A kernel stack sending through a veth leaves TCP and UDP checksums for
the "hardware" to fill in, and TCP segments of up to 64 KiB for it to
cut: the veth hands the packet on as it is. Open vSwitch's userspace
(netdev) datapath reads its ports through packet sockets, which give it
the bytes without saying the checksum is still to be done, so it forwards
frames with a wrong checksum (receivers drop them) and cannot take the
large segments at all. A veth end with TX checksumming off makes the
kernel finish both, in software, before the frame leaves it; TCP
segmentation offload goes off with it, as it needs checksumming.

Read with one ethtool call per hypervisor; the parser is pure.
"""

# Reads `ethtool -k` of each name given on stdin.
QUERY = ['xargs', '-r', '-n', '1', 'ethtool', '-k']
FEATURE = 'tx-checksumming'


def parse(output):
    """{device: whether it offloads TX checksums} from `ethtool -k`."""
    found = {}
    device = None
    for line in output.splitlines():
        if line.startswith('Features for ') and line.endswith(':'):
            device = line[len('Features for '):-1]
        elif device and line.startswith(FEATURE + ':'):
            found[device] = line.split(':', 1)[1].split()[0] == 'on'
    return found


def read(host, names):
    """Offload state of the devices named, in one call."""
    if not names:
        return {}
    return parse(host.run(QUERY, input=''.join(
        name + '\n' for name in names), repeatable=True))


def turn_off(batch, device):
    batch.ethtool(device, 'tx', 'off')
