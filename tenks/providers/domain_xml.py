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

"""libvirt domain XML of a node, and the facts Tenks reads back from it.

Pure: rendering and parsing are tested against golden documents.
"""

import os
import xml.etree.ElementTree as ET

from tenks import arches

NAMESPACE = 'https://opendev.org/openstack/tenks/node/1'
ET.register_namespace('tenks', NAMESPACE)


def render(node, volume_paths, engine, emulator=None, console_log=None,
           cluster_id='', trust_rx_filters=False, efi=None):
    """The domain XML of node; volume_paths in the node's volume order.

    efi is (firmware, variable store template, its format) to use those
    files for UEFI rather than the ones libvirt finds. The devices are
    those every architecture's machine has (virtio, a serial port libvirt
    gives the machine's own model: pl011 on aarch64's virt).
    """
    arch = arches.of(node.arch)
    domain = ET.Element('domain', type=engine)
    _text(domain, 'name', node.name)
    _text(domain, 'uuid', node.uuid)
    _text(domain, 'memory', str(node.memory_mb), unit='MiB')
    _text(domain, 'vcpu', str(node.vcpus))
    metadata = ET.SubElement(domain, 'metadata')
    ET.SubElement(metadata, '{%s}node' % NAMESPACE, cluster=cluster_id,
                  spec=node.spec)
    _os(domain, node.boot_mode, arch, efi)
    features = ET.SubElement(domain, 'features')
    for feature in arch.features:
        ET.SubElement(features, feature)
    cpu_mode = node.cpu_mode or arch.cpu_mode(engine)
    if cpu_mode:
        ET.SubElement(domain, 'cpu', mode=cpu_mode)
    _text(domain, 'on_crash', 'destroy')
    devices = ET.SubElement(domain, 'devices')
    if emulator:
        _text(devices, 'emulator', emulator)
    for index, path in enumerate(volume_paths):
        _disk(devices, path, index)
    for nic in node.nics:
        _nic(devices, nic, trust_rx_filters)
    _console(devices, console_log)
    ET.SubElement(devices, 'rng', model='virtio').append(
        _element('backend', '/dev/urandom', model='random'))
    return ET.tostring(domain, encoding='unicode')


def console_log(settings, log_dir, node):
    """Where node's console is logged, or None; settings: LibvirtSettings.

    In libvirt_vm_default_console_log_dir as the libvirt-vm role names
    it, if the file gives one; else in Tenks' log directory.
    """
    if not node.console_log:
        return None
    if settings.console_log_dir:
        return os.path.join(settings.console_log_dir,
                            '%s-console.log' % node.name)
    return os.path.join(log_dir, 'console', '%s.log' % node.name)


def efi_files(settings):
    """render()'s efi from LibvirtSettings: None unless both are given."""
    if settings.efi_loader and settings.efi_vars_template:
        return (settings.efi_loader, settings.efi_vars_template,
                settings.efi_vars_format)
    return None


def _os(domain, boot_mode, arch, efi):
    os_element = ET.SubElement(domain, 'os')
    if boot_mode == 'uefi' and not efi:
        os_element.set('firmware', 'efi')
    _text(os_element, 'type', 'hvm', arch=arch.name, machine=arch.machine)
    if boot_mode == 'uefi' and efi:
        _text(os_element, 'loader', efi[0], readonly='yes', type='pflash')
        ET.SubElement(os_element, 'nvram', template=efi[1],
                      templateFormat=efi[2])
    elif boot_mode == 'uefi':
        firmware = ET.SubElement(os_element, 'firmware')
        ET.SubElement(firmware, 'feature', enabled='no', name='secure-boot')
    # Network first, as Ironic expects of a node waiting to be deployed.
    ET.SubElement(os_element, 'boot', dev='network')
    ET.SubElement(os_element, 'boot', dev='hd')
    ET.SubElement(os_element, 'bootmenu', enable='no')


def _disk(devices, path, index):
    disk = ET.SubElement(devices, 'disk', type='file', device='disk')
    ET.SubElement(disk, 'driver', name='qemu', type='qcow2')
    ET.SubElement(disk, 'source', file=path)
    ET.SubElement(disk, 'target', dev='vd%s' % chr(ord('a') + index),
                  bus='virtio')


def _nic(devices, nic, trust_rx_filters):
    interface = ET.SubElement(devices, 'interface', type='direct')
    if trust_rx_filters:
        interface.set('trustGuestRxFilters', 'yes')
    ET.SubElement(interface, 'mac', address=nic.mac)
    ET.SubElement(interface, 'source', dev=nic.veth_node,
                  mode='passthrough')
    ET.SubElement(interface, 'model', type='virtio')


def _console(devices, log_path):
    serial = ET.SubElement(devices, 'serial', type='pty')
    if log_path:
        ET.SubElement(serial, 'log', file=log_path, append='on')
    ET.SubElement(serial, 'target', port='0')
    console = ET.SubElement(devices, 'console', type='pty')
    ET.SubElement(console, 'target', type='serial', port='0')


def _text(parent, tag, text, **attrs):
    element = ET.SubElement(parent, tag, **attrs)
    element.text = text
    return element


def _element(tag, text, **attrs):
    element = ET.Element(tag, **attrs)
    element.text = text
    return element


def parse(xml):
    """Facts of a domain: owner mark, hardware, NICs, disks, firmware."""
    root = ET.fromstring(xml)
    mark = root.find('metadata/{%s}node' % NAMESPACE)
    memory = root.find('memory')
    os_element = root.find('os')
    loader = os_element.find('loader')
    return {
        'name': root.findtext('name'),
        'uuid': root.findtext('uuid'),
        'cluster': None if mark is None else mark.get('cluster'),
        'memory_mb': _to_mib(int(memory.text), memory.get('unit', 'KiB')),
        'vcpus': int(root.findtext('vcpu')),
        'boot_mode': 'uefi' if (os_element.get('firmware') == 'efi'
                                or loader is not None) else 'bios',
        'boot_devices': [b.get('dev') for b in os_element.findall('boot')],
        'nics': [(i.find('mac').get('address'), i.find('source').get('dev'))
                 for i in root.findall('devices/interface')
                 if i.find('source') is not None],
        'disks': _sources(root, 'disk'),
        # Virtual media a BMC inserted: not Tenks' disks.
        'media': _sources(root, 'cdrom') + _sources(root, 'floppy'),
        'console_log': _console_log(root),
        'arch': os_element.find('type').get('arch'),
        'trust_rx_filters': [i.get('trustGuestRxFilters') == 'yes'
                             for i in root.findall('devices/interface')],
    }


def _sources(root, device):
    return [d.find('source').get('file')
            for d in root.findall('devices/disk')
            if d.get('device', 'disk') == device
            and d.find('source') is not None]


def _console_log(root):
    log = root.find('devices/serial/log')
    return None if log is None else log.get('file')


def _to_mib(value, unit):
    factors = {'KiB': 1024, 'k': 1024, 'MiB': 1024 ** 2, 'M': 1024 ** 2,
               'GiB': 1024 ** 3, 'G': 1024 ** 3, 'b': 1, 'bytes': 1}
    return value * factors.get(unit, 1024) // 1024 ** 2
