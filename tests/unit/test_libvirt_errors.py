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


def _connection_lost(*args):
    # As libvirt-python raises it once libvirtd went away: an error of
    # its RPC layer (code, domain, message, level, ...).
    err = libvirt.libvirtError('internal error: client socket is closed')
    err.err = (libvirt.VIR_ERR_INTERNAL_ERROR, libvirt.VIR_FROM_RPC,
               'internal error: client socket is closed',
               libvirt.VIR_ERR_ERROR, '', None, None, -1, -1)
    raise err


class _Kind:
    name = 'domain'
    apply = libvirt_facts.translated(_failing)


class _LostKind:
    name = 'volume'
    apply = libvirt_facts.translated(_connection_lost)


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

    def test_a_lost_connection_says_what_to_do(self):
        err = self.assertRaises(exception.LibvirtConnectionLost,
                                _LostKind().apply, None, _Hypervisor(), [])
        self.assertEqual(
            'Lost the connection to libvirt (volume _connection_lost on '
            'hv2): internal error: client socket is closed. libvirtd '
            'stopped or restarted during the run: check that it runs '
            '(tools/setup-host.sh starts one; one in a container, that '
            'container), then run the same command again to finish.',
            str(err))

    def test_a_lookup_on_a_lost_connection_too(self):
        class Conn:
            def lookupByName(self, name):
                _connection_lost()

        self.assertRaises(exception.LibvirtConnectionLost,
                          provider.LibvirtProvider.machine, Conn(), 'tk0')
