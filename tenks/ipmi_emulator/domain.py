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

"""What the tenks-ipmi emulator does to libvirt domains.

One connection per libvirt URI serves every BMC of the emulator; it is
opened again when libvirtd dropped it. Boot devices are read from and
written to the domain's persistent definition, where the next boot takes
them from.
"""

import logging
import threading
import xml.etree.ElementTree as ET

LOG = logging.getLogger(__name__)

# libvirt's names of the boot devices IPMI can select.
BOOT_DEVICES = ('network', 'hd', 'cdrom')


class Connections:
    """Shared libvirt connections, by URI; libvirt_module for tests.

    Worker threads share them: libvirt's connections are thread-safe, and
    a lock keeps two threads from opening one twice.
    """

    def __init__(self, libvirt_module=None):
        if libvirt_module is None:
            import libvirt as libvirt_module
        self.libvirt = libvirt_module
        self._open = {}
        self._lock = threading.Lock()

    def call(self, uri, function):
        """function(connection); again on a new one if that one died."""
        with self._lock:
            conn = self._connection(uri)
        try:
            return function(conn)
        except self.libvirt.libvirtError:
            if self._alive(conn):
                raise
            LOG.warning('Connection to %s lost; reconnecting', uri)
            with self._lock:
                if self._open.get(uri) is conn:
                    self._drop(uri)
                conn = self._connection(uri)
            return function(conn)

    def _connection(self, uri):
        conn = self._open.get(uri)
        if conn is not None and not self._alive(conn):
            self._drop(uri)
            conn = None
        if conn is None:
            conn = self._open[uri] = self.libvirt.open(uri)
        return conn

    def _alive(self, conn):
        try:
            return conn.isAlive() == 1
        except self.libvirt.libvirtError:
            return False

    def _drop(self, uri):
        conn = self._open.pop(uri, None)
        try:
            conn.close()
        except self.libvirt.libvirtError:
            pass    # already gone with the daemon it talked to

    def close(self):
        with self._lock:
            for uri in list(self._open):
                self._drop(uri)


class Domain:
    """One domain, by name, reached through shared connections."""

    def __init__(self, connections, uri, name):
        self.connections = connections
        self.uri = uri
        self.name = name

    def _do(self, action):
        return self.connections.call(
            self.uri, lambda conn: action(conn.lookupByName(self.name)))

    def is_on(self):
        return bool(self._do(lambda dom: dom.isActive()))

    def uuid(self):
        return self._do(lambda dom: dom.UUIDString())

    def power_on(self):
        self._do(lambda dom: dom.isActive() or dom.create())

    def _if_on(self, method):
        self._do(lambda dom: dom.isActive() and getattr(dom, method)())

    def power_off(self):
        self._if_on('destroy')

    def shutdown(self):
        self._if_on('shutdown')

    def reset(self):
        self._if_on('reset')

    def inject_nmi(self):
        self._if_on('injectNMI')

    def definition(self):
        flags = (self.connections.libvirt.VIR_DOMAIN_XML_INACTIVE
                 | self.connections.libvirt.VIR_DOMAIN_XML_SECURE)
        return self._do(lambda dom: dom.XMLDesc(flags))

    def boot_device(self):
        """(first boot device or None, whether the firmware is UEFI)."""
        return boot_facts(self.definition())

    def set_boot_device(self, device):
        xml = with_boot_device(self.definition(), device)
        self.connections.call(self.uri, lambda conn: conn.defineXML(xml))


def boot_facts(xml):
    os_element = ET.fromstring(xml).find('os')
    boot = os_element.find('boot')
    uefi = (os_element.get('firmware') == 'efi'
            or os_element.find('loader') is not None)
    return (None if boot is None else boot.get('dev')), uefi


def with_boot_device(xml, device):
    """The domain XML booting device alone, as VirtualBMC sets it.

    Per-device <boot order> excludes <os><boot>, so both kinds go.
    """
    if device not in BOOT_DEVICES:
        raise ValueError('unknown boot device %r' % device)
    root = ET.fromstring(xml)
    for parent in root.findall('devices/*') + root.findall('os'):
        for boot in parent.findall('boot'):
            parent.remove(boot)
    os_element = root.find('os')
    boot = ET.Element('boot', dev=device)
    # The schema wants <boot> after <type>, <loader> and <nvram>.
    later = [i for i, child in enumerate(os_element)
             if child.tag not in ('type', 'loader', 'nvram', 'kernel',
                                  'initrd', 'cmdline')]
    os_element.insert(later[0] if later else len(os_element), boot)
    return ET.tostring(root, encoding='unicode')
