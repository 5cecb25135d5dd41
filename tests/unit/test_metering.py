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

import libvirt
import testtools

from tenks import metering


class FakeDomain(libvirt.virDomain):
    """A libvirt domain without a connection behind it."""

    def __init__(self):
        self._o = None    # no C object: libvirt's __del__ then frees none

    def XMLDesc(self, flags=0):
        return '<domain/>'


class FakeConnection:

    uri = 'test:///'

    def listAllDomains(self):
        return [FakeDomain(), FakeDomain()]


class TestCounted(testtools.TestCase):

    def test_calls_counted_through_returned_objects(self):
        counter = metering.Counter()
        conn = metering.Counted(FakeConnection(), counter)
        self.assertEqual('test:///', conn.uri)
        self.assertEqual(0, counter.value)
        domains = conn.listAllDomains()
        self.assertEqual(['<domain/>', '<domain/>'],
                         [domain.XMLDesc() for domain in domains])
        self.assertEqual(3, counter.value)
