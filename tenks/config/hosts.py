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

"""The hypervisors of a cluster file: how each is reached, what it maps."""

from oslo_config import types

from tenks import exception
from tenks import model
from tenks import units

HYPERVISOR_KEYS = frozenset([
    'address', 'ssh_user', 'ssh_port', 'ssh_key', 'libvirt_uri',
    'physnet_mappings', 'bmc_address', 'capacity'])
# What says how a hypervisor is reached: rendered before its facts are.
REACH_KEYS = frozenset(['address', 'ssh_user', 'ssh_port', 'ssh_key'])
CAPACITY_KEYS = frozenset(['memory_mb', 'vcpus', 'disk'])
# A physnet_mappings value that is a mapping: its device and VLAN.
MAPPING_KEYS = frozenset(['device', 'vlan'])
VLAN_RANGE = (1, 4094)
_HOST_ADDRESS = types.HostAddress()


def hypervisors(top, site):
    mappings, vlans = physnet_mappings(top)
    uri = local_uri(top, site)
    bmc_address = site.value('ipmi_address', top)
    if not top.data.get('hypervisors'):
        return (model.Hypervisor(
            name=model.LOCALHOST, address=model.LOCALHOST, libvirt_uri=uri,
            physnet_mappings=mappings, physnet_vlans=vlans,
            bmc_address=bmc_address),)
    hypervisors = top.child('hypervisors')
    result = []
    for name in hypervisors.data:
        entry = hypervisors.child(name, {})
        entry.check_keys(HYPERVISOR_KEYS)
        address = entry.get('address', str, str(name))
        local = address in model.LOCAL_ADDRESSES
        # A remote hypervisor's BMCs listen there, not on loopback here.
        default_bmc = bmc_address if local else address
        ssh = _ssh(entry, site)
        own = physnet_mappings(entry)
        result.append(model.Hypervisor(
            name=str(name),
            address=address,
            libvirt_uri=entry.get('libvirt_uri', str,
                                  uri if local else _remote_uri(address,
                                                                *ssh)),
            physnet_mappings=own[0] or mappings,
            physnet_vlans=own[1] if own[0] else vlans,
            bmc_address=_address(entry, 'bmc_address', default_bmc),
            capacity=_capacity(entry),
            ssh_user=ssh[0], ssh_port=ssh[1], ssh_key=ssh[2]))
    return tuple(result)


def physnet_mappings(entry):
    """Devices of the physnets, and the VLAN of those that have one.

    A physnet maps to a device name, as in the Ansible Tenks, or to
    {device, vlan}: several physnets then share the device, each on its
    own VLAN. A dotted name (eth1.101) stays a plain device, as it always
    was: it may be a VLAN interface the user made.
    """
    mappings = entry.child('physnet_mappings', {})
    devices, vlans, taken = {}, {}, {}
    for physnet, value in mappings.data.items():
        if isinstance(value, dict):
            item = mappings.child(physnet)
            item.check_keys(MAPPING_KEYS)
            device = item.get('device', str, required=True)
            vlan = item.integer('vlan', minimum=VLAN_RANGE[0],
                                maximum=VLAN_RANGE[1])
        else:
            device, vlan = value, None
        if not isinstance(device, str) or not device:
            mappings.fail('%r is not a device name' % (device,), physnet)
        if vlan is not None:
            other = taken.setdefault((device, vlan), physnet)
            if other != physnet:
                mappings.fail('VLAN %d on %s is already %s\'s' % (
                    vlan, device, other), physnet)
            vlans[physnet] = vlan
        devices[physnet] = device
    return devices, vlans


def check_physnets(source, specs, node_types, hypervisors):
    """Refuse, as placing nodes would, a spec no hypervisor can take.

    A node needs every physnet of its type mapped on its hypervisor.
    """
    for spec in specs:
        physnets = set(node_types[spec.type].physical_networks)
        if spec.count and not any(physnets <= set(h.physnet_mappings)
                                  for h in hypervisors):
            raise exception.PhysnetsUnmapped(
                source=source, node_type=spec.type, physnets=sorted(
                    physnets - set(hypervisors[0].physnet_mappings)))


def local_uri(top, site):
    """The local libvirt's URI: given, or through a socket directory.

    As in the Ansible Tenks, libvirt_custom_socket_path reaches a libvirt
    listening there (Kolla's nova_libvirt container, say); an empty
    libvirt_local_uri, the original's default, means the usual one.
    """
    uri = site.given('libvirt_local_uri', top)
    socket_dir = top.get('libvirt_custom_socket_path', str)
    if not uri and socket_dir:
        if not socket_dir.startswith('/'):
            top.fail('%r is not an absolute path' % socket_dir,
                     'libvirt_custom_socket_path')
        return 'qemu+unix:///system?socket=%s/libvirt-sock' % (
            socket_dir.rstrip('/'))
    return uri or site.option('libvirt_local_uri')


def _ssh(entry, site):
    return tuple(site.value(key, entry)
                 for key in ('ssh_user', 'ssh_port', 'ssh_key'))


def _remote_uri(address, user, port, key):
    """libvirt over SSH to the hypervisor, as Tenks' own commands go."""
    uri = 'qemu+ssh://%s@%s:%d/system' % (user, address, port)
    return uri + ('?keyfile=%s' % key if key else '')


def _capacity(entry):
    """A hypervisor's optional limits on what Tenks' nodes may use."""
    limits = entry.child('capacity', {})
    limits.check_keys(CAPACITY_KEYS)
    disk = limits.get('disk', object)
    if disk is not None:
        try:
            disk = units.parse_capacity(disk)
        except ValueError as err:
            limits.fail('%r %s' % (disk, err), 'disk')
    return model.Capacity(
        memory_mb=limits.integer('memory_mb', minimum=1),
        vcpus=limits.integer('vcpus', minimum=1),
        disk=disk)


def _address(entry, key, default):
    address = entry.get(key, str, default)
    if key not in entry.data:
        return address      # derived from a name
    try:
        _HOST_ADDRESS(address)
    except ValueError:
        entry.fail('%r is not an IP address or host name' % address, key)
    return address
