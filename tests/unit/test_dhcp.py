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

import struct

import testtools

from tenks.network import dhcp

MAC = '52:54:00:12:34:56'

# Captured on this machine with a packet socket on the node-side veth end
# of a node NIC plugged to an Open vSwitch netdev bridge, dnsmasq serving
# from a namespace behind a veth that was the physnet's source interface.
# Before the fix: the server's partial UDP checksum was never completed
# (tcpdump on that veth: "bad udp cksum"); after it, the same OFFER
# arrived whole.
OFFER_DAMAGED = bytes.fromhex(
    'ffffffffffffa67eb78e9473080045c001486e3100004011ceb2cb007101ffff'
    'ffff0043004401343d4702010600123456780000800000000000cb007186cb00'
    '710100000000525400aabb010000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000000000'
    '00000000000000000000000000000000000000000000638253633501023604cb'
    '0071013304000002583a040000012c3b040000020d0104ffffff001c04cb0071'
    'ff0304cb007101ff0000000000000000000000000000')
OFFER_INTACT = bytes.fromhex(
    'ffffffffffffa67eb78e9473080045c00148734700004011c99ccb007101ffff'
    'ffff004300440134a72602010600123456780000800000000000cb007187cb00'
    '710100000000525400aabb020000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000000000'
    '00000000000000000000000000000000000000000000638253633501023604cb'
    '0071013304000002583a040000012c3b040000020d0104ffffff001c04cb0071'
    'ff0304cb007101ff0000000000000000000000000000')


def frame(message_type=1, op=1, dst_port=67, proto=17, vlan=False,
          options=None, udp_checksum=True):
    """A broadcast DHCP frame from MAC, as PXE firmware sends one."""
    mac = bytes.fromhex(MAC.replace(':', ''))
    bootp = struct.pack('!BBBB', op, 1, 6, 0) + b'\x00' * 24 + mac
    bootp += b'\x00' * (236 - len(bootp)) + dhcp.MAGIC_COOKIE
    bootp += options if options is not None else (
        b'\x00' + bytes([53, 1, message_type, 255]))
    src_port = 68 if dst_port == 67 else 67
    udp = struct.pack('!HHHH', src_port, dst_port, 8 + len(bootp),
                      0) + bootp
    addresses = b'\x00' * 4 + b'\xff' * 4
    if udp_checksum:
        pseudo = addresses + struct.pack('!BBH', 0, 17, len(udp))
        udp = udp[:6] + struct.pack('!H', checksum(pseudo + udp)) + udp[8:]
    header = struct.pack('!BBHHHBBH', 0x45, 0, 20 + len(udp), 0, 0, 64,
                         proto, 0) + addresses
    header = header[:10] + struct.pack('!H', checksum(header)) + header[12:]
    ether = b'\xff' * 6 + mac
    if vlan:
        ether += struct.pack('!HH', 0x8100, 10)
    return ether + struct.pack('!H', 0x0800) + header + udp


def checksum(data):
    return 0xffff - dhcp._sum16(data)


class TestParse(testtools.TestCase):

    def test_discover(self):
        self.assertEqual(dhcp.Message(MAC, dhcp.DHCPDISCOVER, False, True),
                         dhcp.parse(frame()))

    def test_tagged_discover(self):
        self.assertEqual(MAC, dhcp.parse(frame(vlan=True)).mac)

    def test_not_dhcp(self):
        for wrong in (frame(dst_port=69), frame(proto=6),
                      frame(options=b'\xff'), frame(options=b'\x35'),
                      frame()[:100], b'', b'\x00' * 13):
            self.assertIsNone(dhcp.parse(wrong))

    def test_reply(self):
        message = dhcp.parse(frame(dhcp.DHCPACK, op=2, dst_port=68))
        self.assertEqual((dhcp.DHCPACK, True, True),
                         (message.type, message.reply, message.intact))

    def test_options_before_message_type(self):
        options = bytes([12, 3]) + b'pxe' + bytes([53, 1, 1, 255])
        self.assertEqual(dhcp.DHCPDISCOVER,
                         dhcp.parse(frame(options=options)).type)

    def test_not_ip(self):
        arp = frame()[:12] + struct.pack('!H', 0x0806) + frame()[14:]
        self.assertIsNone(dhcp.parse(arp))

    def test_captured_offers(self):
        self.assertEqual(
            dhcp.Message('52:54:00:aa:bb:01', dhcp.DHCPOFFER, True, False),
            dhcp.parse(OFFER_DAMAGED))
        self.assertEqual(
            dhcp.Message('52:54:00:aa:bb:02', dhcp.DHCPOFFER, True, True),
            dhcp.parse(OFFER_INTACT))

    def test_damaged_udp_payload(self):
        broken = bytearray(OFFER_INTACT)
        broken[-1] ^= 0xff
        self.assertFalse(dhcp.parse(bytes(broken)).intact)

    def test_damaged_ip_header(self):
        broken = bytearray(OFFER_INTACT)
        broken[14 + 8] -= 1     # TTL, covered by the header checksum only
        self.assertFalse(dhcp.parse(bytes(broken)).intact)

    def test_checksum_left_to_the_device(self):
        # The kernel marks such a frame; its bytes cannot be judged.
        self.assertTrue(dhcp.parse(OFFER_DAMAGED, True).intact)

    def test_no_udp_checksum(self):
        self.assertTrue(dhcp.parse(frame(udp_checksum=False)).intact)

    def test_ethernet_padding_ignored(self):
        self.assertTrue(dhcp.parse(OFFER_INTACT + b'\x00' * 6).intact)


class TestExchange(testtools.TestCase):

    def test_answered_by_first_intact_reply(self):
        exchange = dhcp.Exchange()
        exchange.add(dhcp.parse(frame()), 1.0)
        exchange.add(dhcp.parse(frame(dhcp.DHCPREQUEST)), 2.0)
        exchange.add(dhcp.parse(OFFER_DAMAGED), 3.0)
        self.assertEqual((1, 1.0, None), (exchange.discovers,
                                          exchange.first_discover,
                                          exchange.answered))
        exchange.add(dhcp.parse(OFFER_INTACT), 4.0)
        self.assertEqual(dhcp.DHCPOFFER, exchange.answered.type)
