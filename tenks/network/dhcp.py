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

"""Watching a bridge for a node's DHCP DISCOVER, as PXE firmware sends it.

A raw packet socket on the bridge's own interface sees the broadcasts
crossing the bridge, with no capture tool to install. The frame parser is
pure.
"""

import select
import socket
import struct
import time

ETH_P_IP = 0x0800
ETH_P_8021Q = 0x8100
DHCP_SERVER_PORT = 67
MAGIC_COOKIE = b'\x63\x82\x53\x63'
DHCPDISCOVER = 1


def discover_mac(frame):
    """The client MAC of a DHCP DISCOVER in an Ethernet frame, else None."""
    offset = 12
    ethertype = struct.unpack_from('!H', frame, offset)[0] \
        if len(frame) >= 14 else None
    if ethertype == ETH_P_8021Q and len(frame) >= 18:
        offset += 4
        ethertype = struct.unpack_from('!H', frame, offset)[0]
    if ethertype != ETH_P_IP:
        return None
    ip = frame[offset + 2:]
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_UDP:
        return None
    udp = ip[(ip[0] & 0x0f) * 4:]
    if len(udp) < 8 or struct.unpack_from('!H', udp, 2)[0] != \
            DHCP_SERVER_PORT:
        return None
    return _bootp_discover(udp[8:])


def _bootp_discover(bootp):
    # op 1 (request), htype 1 (Ethernet), hlen 6; options after the cookie.
    if len(bootp) < 240 or bootp[0:3] != b'\x01\x01\x06' or \
            bootp[236:240] != MAGIC_COOKIE:
        return None
    if _message_type(bootp[240:]) != DHCPDISCOVER:
        return None
    return ':'.join('%02x' % byte for byte in bootp[28:34])


def _message_type(options):
    index = 0
    while index < len(options):
        code = options[index]
        if code == 255:
            return None
        if code == 0:
            index += 1
            continue
        if index + 1 >= len(options):
            return None
        length = options[index + 1]
        if code == 53 and length == 1 and index + 2 < len(options):
            return options[index + 2]
        index += 2 + length
    return None


class Watch:
    """A capture on interface, opened before the node is powered on."""

    def __init__(self, interface):
        self.interface = interface
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_IP))
        try:
            self.sock.bind((interface, 0))
        except OSError:
            self.sock.close()
            raise

    def wait_for(self, mac, timeout):
        """Whether a DISCOVER from mac crossed the interface in time."""
        mac = mac.lower()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.sock], [], [], min(left, 1))
            if ready and discover_mac(self.sock.recv(65535)) == mac:
                return True

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
