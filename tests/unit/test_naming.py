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

import hashlib

import testtools

from tenks import naming


class TestBridge(testtools.TestCase):

    def test_bridge(self):
        self.assertEqual('brtenks0', naming.bridge('brtenks', 0))
        self.assertEqual('brtenks12', naming.bridge('brtenks', 12))

    def test_bridge_longest(self):
        self.assertEqual('b' * 14 + '7', naming.bridge('b' * 14, 7))

    def test_bridge_too_long(self):
        err = self.assertRaises(ValueError, naming.bridge, 'b' * 14, 10)
        self.assertEqual(
            "'%s10' is not a valid interface name (at most 15 letters, "
            "digits, \".\", \"_\" or \"-\")" % ('b' * 14), str(err))

    def test_bridge_invalid_characters(self):
        for prefix in ('br tenks', 'br/x', '-br', '.br', 'br:'):
            self.assertRaises(ValueError, naming.bridge, prefix, 0)

    def test_uplink(self):
        self.assertEqual('brtenks0-up',
                         naming.uplink('brtenks0', naming.BRIDGE_SIDE))
        self.assertEqual('brtenks0-ph',
                         naming.uplink('brtenks0', naming.NODE_SIDE))

    def test_uplink_too_long(self):
        self.assertEqual('brtenks1234-up',
                         naming.uplink('brtenks1234', naming.BRIDGE_SIDE))
        self.assertEqual('brtenks12345-ph',
                         naming.uplink('brtenks12345', naming.NODE_SIDE))
        self.assertRaises(ValueError, naming.uplink, 'brtenks123456',
                          naming.BRIDGE_SIDE)


class TestVeth(testtools.TestCase):

    def test_short(self):
        self.assertEqual('tk0-0b', naming.veth('tk0', 0, naming.BRIDGE_SIDE))
        self.assertEqual('tk0-3n', naming.veth('tk0', 3, naming.NODE_SIDE))

    def test_exactly_fifteen_not_hashed(self):
        self.assertEqual('node-name-1-10b',
                         naming.veth('node-name-1', 10, naming.BRIDGE_SIDE))
        self.assertEqual(15, len(naming.veth('abcdefghijkl', 0, 'b')))
        self.assertEqual('abcdefghijkl-0b',
                         naming.veth('abcdefghijkl', 0, 'b'))

    def test_long_hashed(self):
        node = 'abcdefghijklm'
        digest = hashlib.sha1(b'abcdefghijklm/0').hexdigest()
        self.assertEqual('tk%s-0b' % digest[:10],
                         naming.veth(node, 0, naming.BRIDGE_SIDE))
        self.assertEqual('tk%s-0n' % digest[:10],
                         naming.veth(node, 0, naming.NODE_SIDE))
        self.assertEqual('tk%s-12b' % digest[:9],
                         naming.veth(node, 12, naming.BRIDGE_SIDE))
        self.assertEqual(15, len(naming.veth(node, 0, naming.BRIDGE_SIDE)))

    def test_long_names_sharing_prefix_differ(self):
        first = naming.veth('averylongnodename1', 0, 'b')
        second = naming.veth('averylongnodename2', 0, 'b')
        self.assertNotEqual(first, second)

    def test_stable(self):
        self.assertEqual(naming.veth('averylongnodename1', 1, 'n'),
                         naming.veth('averylongnodename1', 1, 'n'))

    def test_salt_forces_hash(self):
        digest = hashlib.sha1(b'tk0/1').hexdigest()
        self.assertEqual('tk%s-0b' % digest[:10],
                         naming.veth('tk0', 0, naming.BRIDGE_SIDE, salt=1))
        self.assertNotEqual(naming.veth('tk0', 0, 'b', salt=1),
                            naming.veth('tk0', 0, 'b', salt=2))

    def test_invalid_node_name(self):
        self.assertRaises(ValueError, naming.veth, 'tk 0', 0, 'b')
        self.assertRaises(ValueError, naming.veth, '-tk0', 0, 'b')

    def test_is_veth_bridge_end(self):
        self.assertTrue(naming.is_veth_bridge_end('tk0-0b'))
        self.assertTrue(naming.is_veth_bridge_end('tk0123456789-12b'))
        self.assertFalse(naming.is_veth_bridge_end('tk0-0n'))
        self.assertFalse(naming.is_veth_bridge_end('brtenks0-up'))
        self.assertFalse(naming.is_veth_bridge_end('tk0b'))
        self.assertFalse(naming.is_veth_bridge_end('tk0-b'))
        self.assertFalse(naming.is_veth_bridge_end('tk0-0bx'))


class TestNodeIndex(testtools.TestCase):

    def test_index(self):
        self.assertEqual(0, naming.node_index('tk0', 'tk'))
        self.assertEqual(12, naming.node_index('tk12', 'tk'))
        self.assertEqual(10, naming.node_index('tk10', 'tk'))

    def test_not_of_form(self):
        self.assertIsNone(naming.node_index('tk', 'tk'))
        self.assertIsNone(naming.node_index('tkx1', 'tk'))
        self.assertIsNone(naming.node_index('node1', 'tk'))
        self.assertIsNone(naming.node_index('tk-1', 'tk'))
        self.assertIsNone(naming.node_index('tk1a', 'tk'))

    def test_longer_prefix(self):
        self.assertEqual(0, naming.node_index('tk10', 'tk1'))
        self.assertIsNone(naming.node_index('tk1', 'tk10'))
