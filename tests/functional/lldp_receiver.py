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

"""A node's side of its wire: the LLDP it hears, read as Ironic reads it.

    python tests/functional/lldp_receiver.py TIMEOUT IFNAME...

prints {ifname: local_link_connection} as JSON: run inside a namespace
hypervisor's network namespace, it hears that hypervisor's links. The
frames are captured with a raw socket on the node's end of each veth and
decoded with Ironic's own LLDP TLV parsers, those its
local_link_connection inspection hook uses.
"""

import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_LLDP = 0x88cc


def command(timeout, ifnames):
    """The receiver's command line, to run here or in a namespace.

    By path: nsenter into a mount namespace starts it in that root.
    """
    return [sys.executable, os.path.abspath(__file__),
            str(timeout)] + list(ifnames)


def _tlvs(frame):
    body = frame[14:]
    while len(body) >= 2:
        header, = struct.unpack('!H', body[:2])
        kind, length = header >> 9, header & 0x1ff
        if kind == 0:
            return
        yield kind, bytes(body[2:2 + length])
        body = body[2 + length:]


def decode(frame):
    """The local_link_connection Ironic's hook derives from frame."""
    # Imported here: Ironic is only in the functional environment.
    from ironic.drivers.modules.inspector import lldp_tlvs as tlv
    link = {}
    for kind, value in _tlvs(frame):
        if kind == tlv.LLDP_TLV_CHASSIS_ID:
            chassis = tlv.ChassisId.parse(value)
            if 'mac_address' in chassis.subtype:
                link['switch_id'] = chassis.value.value
        elif kind == tlv.LLDP_TLV_PORT_ID:
            link['port_id'] = tlv.PortId.parse(value).value.value
        elif kind == tlv.LLDP_TLV_SYS_NAME:
            link['switch_info'] = tlv.SysName.parse(value).value
    return link


def receive(ifnames, timeout):
    """{ifname: the first LLDP frame heard there} within timeout seconds."""
    sockets = {}
    for name in ifnames:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                             socket.htons(ETH_P_LLDP))
        sock.bind((name, ETH_P_LLDP))
        sockets[sock] = name
    heard = {}
    deadline = time.monotonic() + timeout
    try:
        while len(heard) < len(ifnames) and time.monotonic() < deadline:
            ready, _, _ = select.select(
                [s for s, n in sockets.items() if n not in heard], [], [],
                max(0, deadline - time.monotonic()))
            for sock in ready:
                data, address = sock.recvfrom(2048)
                # Only what arrives from the wire, not what this end sent.
                if address[2] != socket.PACKET_OUTGOING:
                    heard[sockets[sock]] = data
    finally:
        for sock in sockets:
            sock.close()
    return heard


def main():
    timeout, ifnames = float(sys.argv[1]), sys.argv[2:]
    heard = receive(ifnames, timeout)
    print(json.dumps({name: decode(frame) for name, frame in heard.items()}))


if __name__ == '__main__':
    main()
