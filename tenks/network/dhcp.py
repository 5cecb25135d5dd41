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

"""Watching a node's DHCP exchange from the node's side of the wiring.

A raw packet socket on the node's own veth end sees what the node sends
(its DISCOVERs) and what reaches it (the server's OFFER and ACK) as the
node's NIC gets them, with no capture tool to install. Watching there,
not on the bridge, is what shows a reply damaged on the way. The frame
parser is pure.
"""

import dataclasses
import select
import socket
import struct
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_8021Q = 0x8100
DHCP_SERVER_PORT = 67
DHCP_CLIENT_PORT = 68
MAGIC_COOKIE = b'\x63\x82\x53\x63'
BOOTREQUEST, BOOTREPLY = 1, 2
DHCPDISCOVER, DHCPOFFER, DHCPREQUEST, DHCPACK = 1, 2, 3, 5
NAMES = {DHCPDISCOVER: 'DISCOVER', DHCPOFFER: 'OFFER',
         DHCPREQUEST: 'REQUEST', DHCPACK: 'ACK'}
# Linux <linux/if_packet.h>: ask for, and read, a packet's tpacket_auxdata.
SOL_PACKET = 263
PACKET_AUXDATA = 8
# The checksum is left to the device (a veth, a macvtap) that delivers
# the packet: it is completed (or trusted) on the way to the node.
TP_STATUS_CSUMNOTREADY = 1 << 3
AUXDATA = struct.Struct('=IIIHHHH')


@dataclasses.dataclass
class Message:
    mac: str            # the client's hardware address
    type: int           # DHCP message type (DHCPDISCOVER, ...)
    reply: bool         # sent by a server
    intact: bool        # IP and UDP checksums right (or still to be done)


def parse(frame, checksum_pending=False):
    """The DHCP message an Ethernet frame holds, or None.

    checksum_pending: the kernel says the UDP checksum is still to be
    filled in by the device, so it cannot be judged from the bytes.
    """
    ip = _ip_packet(frame)
    if ip is None or len(ip) < 20 or ip[0] >> 4 != 4 or \
            ip[9] != socket.IPPROTO_UDP:
        return None
    ip = ip[:struct.unpack_from('!H', ip, 2)[0]]
    header_length = (ip[0] & 0x0f) * 4
    udp = ip[header_length:]
    if len(udp) < 8 or (struct.unpack_from('!HH', udp) not in (
            (DHCP_CLIENT_PORT, DHCP_SERVER_PORT),
            (DHCP_SERVER_PORT, DHCP_CLIENT_PORT))):
        return None
    udp = udp[:struct.unpack_from('!H', udp, 4)[0]]
    bootp = udp[8:]
    if len(bootp) < 240 or bootp[0] not in (BOOTREQUEST, BOOTREPLY) or \
            bootp[1:3] != b'\x01\x06' or bootp[236:240] != MAGIC_COOKIE:
        return None
    message_type = _message_type(bootp[240:])
    if message_type is None:
        return None
    intact = _sum16(ip[:header_length]) == 0xffff and (
        checksum_pending or _udp_checksum_ok(ip, udp))
    return Message(':'.join('%02x' % byte for byte in bootp[28:34]),
                   message_type, bootp[0] == BOOTREPLY, intact)


def _ip_packet(frame):
    offset = 12
    if len(frame) < 14:
        return None
    ethertype = struct.unpack_from('!H', frame, offset)[0]
    if ethertype == ETH_P_8021Q and len(frame) >= 18:
        offset += 4
        ethertype = struct.unpack_from('!H', frame, offset)[0]
    return frame[offset + 2:] if ethertype == ETH_P_IP else None


def _udp_checksum_ok(ip, udp):
    if udp[6:8] == b'\x00\x00':     # IPv4 lets a sender leave it out
        return True
    pseudo = ip[12:20] + struct.pack('!BBH', 0, socket.IPPROTO_UDP,
                                     len(udp))
    return _sum16(pseudo + udp) == 0xffff


def _sum16(data):
    """The ones' complement sum of data (0xffff when a checksum holds)."""
    if len(data) % 2:
        data += b'\x00'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return total


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


@dataclasses.dataclass
class Exchange:
    """What of a node's DHCP exchange crossed its veth end."""
    discovers: int = 0
    replies: list = dataclasses.field(default_factory=list)  # Messages
    first_discover: float = None

    @property
    def answered(self):
        """The first intact OFFER or ACK to the node, or None."""
        return next((reply for reply in self.replies if reply.intact), None)

    def add(self, message, now):
        if message.reply and message.type in (DHCPOFFER, DHCPACK):
            self.replies.append(message)
        elif not message.reply and message.type == DHCPDISCOVER:
            self.discovers += 1
            if self.first_discover is None:
                self.first_discover = now


class Watch:
    """A capture on a node's veth end, opened before it is powered on."""

    def __init__(self, interface):
        self.interface = interface
        # All protocols: a socket for IP alone would see neither what the
        # node sends nor, with the node's macvtap taking the frames it
        # receives, what reaches it.
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        try:
            self.sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            self.sock.bind((interface, 0))
        except OSError:
            self.sock.close()
            raise

    def exchange(self, mac, timeout, reply_timeout):
        """mac's exchange, until a reply arrives intact or time is up.

        Waits timeout in all, and at most reply_timeout after the first
        DISCOVER: a server answers in well under a second, and the
        firmware keeps asking while it waits.
        """
        mac = mac.lower()
        seen = Exchange()
        deadline = time.monotonic() + timeout
        while seen.answered is None:
            now = time.monotonic()
            end = deadline if seen.first_discover is None else min(
                deadline, seen.first_discover + reply_timeout)
            if now >= end:
                break
            wait = min(end - now, 1)
            ready, _, _ = select.select([self.sock], [], [], wait)
            if ready:
                message = parse(*self._receive())
                if message and message.mac == mac:
                    seen.add(message, time.monotonic())
        return seen

    def _receive(self):
        frame, ancillary, _, _ = self.sock.recvmsg(
            65535, socket.CMSG_SPACE(AUXDATA.size))
        pending = any(
            level == SOL_PACKET and kind == PACKET_AUXDATA
            and len(data) >= AUXDATA.size
            and AUXDATA.unpack_from(data)[0] & TP_STATUS_CSUMNOTREADY
            for level, kind, data in ancillary)
        return frame, pending

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
