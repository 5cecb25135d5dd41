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

from tenks import exception
from tenks.providers import libvirt as provider
from tenks.providers import libvirt_facts


def _failing(*args):
    raise libvirt.libvirtError('Requested operation is not valid')


class _Kind:
    name = 'domain'
    apply = libvirt_facts.translated(_failing)


class _Hypervisor:
    name = 'hv2'


class _Domain:

    def __init__(self, name):
        self._name = name

    def name(self):
        if self._name is None:
            raise libvirt.libvirtError('no domain')
        return self._name


class _Machine:

    def __init__(self, name):
        self.domain = _Domain(name)

    start = libvirt_facts.translated(_failing)


class TestTranslated(testtools.TestCase):
    """A libvirt error says what was being done, to what, and where."""

    def test_kind_operation_and_hypervisor(self):
        err = self.assertRaises(exception.ProviderError, _Kind().apply,
                                None, _Hypervisor(), [])
        self.assertEqual('libvirt (domain _failing on hv2): Requested '
                         'operation is not valid', str(err))

    def test_machine_names_its_domain(self):
        err = self.assertRaises(exception.ProviderError,
                                _Machine('tk0').start)
        self.assertEqual('libvirt (_failing of domain tk0): Requested '
                         'operation is not valid', str(err))

    def test_domain_gone_too(self):
        err = self.assertRaises(exception.ProviderError,
                                _Machine(None).start)
        self.assertIn('(_failing of a domain)', str(err))

    def test_a_failed_lookup_names_the_domain(self):
        class Conn:
            def lookupByName(self, name):
                _failing()

        err = self.assertRaises(exception.ProviderError,
                                provider.LibvirtProvider.machine,
                                Conn(), 'tk0')
        self.assertEqual('libvirt (lookup of domain tk0): Requested '
                         'operation is not valid', str(err))
