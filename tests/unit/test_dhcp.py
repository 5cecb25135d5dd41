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


def frame(message_type=1, op=1, dst_port=67, proto=17, vlan=False,
          options=None):
    """A broadcast DHCP frame from MAC, as PXE firmware sends one."""
    mac = bytes.fromhex(MAC.replace(':', ''))
    bootp = struct.pack('!BBBB', op, 1, 6, 0) + b'\x00' * 24 + mac
    bootp += b'\x00' * (236 - len(bootp)) + dhcp.MAGIC_COOKIE
    bootp += options if options is not None else (
        b'\x00' + bytes([53, 1, message_type, 255]))
    udp = struct.pack('!HHHH', 68, dst_port, 8 + len(bootp), 0) + bootp
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64,
                     proto, 0, b'\x00' * 4, b'\xff' * 4) + udp
    ether = b'\xff' * 6 + mac
    if vlan:
        ether += struct.pack('!HH', 0x8100, 10)
    return ether + struct.pack('!H', 0x0800) + ip


class TestDiscoverMac(testtools.TestCase):

    def test_discover(self):
        self.assertEqual(MAC, dhcp.discover_mac(frame()))

    def test_tagged_discover(self):
        self.assertEqual(MAC, dhcp.discover_mac(frame(vlan=True)))

    def test_not_a_discover(self):
        for wrong in (frame(message_type=3), frame(op=2),
                      frame(dst_port=68), frame(proto=6),
                      frame(options=b'\xff'), frame(options=b'\x35'),
                      frame()[:100], b'', b'\x00' * 13):
            self.assertIsNone(dhcp.discover_mac(wrong))

    def test_options_before_message_type(self):
        options = bytes([12, 3]) + b'pxe' + bytes([53, 1, 1, 255])
        self.assertEqual(MAC, dhcp.discover_mac(frame(options=options)))

    def test_not_ip(self):
        arp = frame()[:12] + struct.pack('!H', 0x0806) + frame()[14:]
        self.assertIsNone(dhcp.discover_mac(arp))
