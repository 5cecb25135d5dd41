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

"""What Ironic should hold for each node and NIC, and how it differs.

Pure: the fields come from the state, the differences from comparing them
with what Ironic returned.
"""

import re

from tenks import arches
from tenks import config
from tenks import model
from tenks import units

MARK = 'tenks_cluster'
HYPERVISOR = 'tenks_hypervisor'
MASKED = '******'
INTERFACE_FIELDS = tuple('%s_interface' % name
                         for name in config.IRONIC_INTERFACES)
PLAIN_FIELDS = ('resource_class', 'conductor_group', 'shard', 'description',
                'owner', 'lessee')
COMPARED = (('driver', 'driver_info', 'properties', 'extra')
            + PLAIN_FIELDS + INTERFACE_FIELDS)
# Provision actions that bring a node from a state towards a target.
_MOVES = {
    ('enroll', 'manageable'): ['manage'],
    ('enroll', 'available'): ['manage', 'provide'],
    ('manageable', 'available'): ['provide'],
}
# Where each move leads.
REACHES = {'manage': 'manageable', 'provide': 'available'}


def node_fields(node, ironic_settings, credentials, cluster_id, images,
                redfish_ca=None):
    """The Ironic node fields of a Tenks node with ironic_config.

    redfish_ca is the certificate Ironic must trust when the node's
    Redfish BMC speaks HTTPS, None when it speaks HTTP.
    """
    wanted = node.ironic_config
    fields = dict(ironic_settings['default_interfaces'].get(
        node.ironic_driver, {}))
    fields.update({key: wanted[key] for key in PLAIN_FIELDS + INTERFACE_FIELDS
                   if wanted.get(key) is not None})
    fields.update(
        name=node.name,
        driver=node.ironic_driver,
        driver_info=_driver_info(node, ironic_settings, credentials, images,
                                 redfish_ca),
        properties=_properties(node, wanted),
        extra=dict(wanted.get('extra') or {},
                   **marks(node, cluster_id)),
    )
    fields.pop('hardware_type', None)
    return fields


def marks(node, cluster_id):
    """The entries of an Ironic node's extra saying Tenks made it."""
    return {MARK: cluster_id, HYPERVISOR: node.hypervisor,
            'tenks_node': node.uuid}


def owns_node(extra, cluster_id, hypervisor):
    """Whether an Ironic node's extra marks it as the cluster's there."""
    extra = extra or {}
    return (extra.get(MARK) == cluster_id
            and extra.get(HYPERVISOR) == hypervisor)


def owns_port(extra, cluster_id):
    """Whether an Ironic port's extra marks it as the cluster's."""
    return (extra or {}).get(MARK) == cluster_id


def _driver_info(node, settings, credentials, images, redfish_ca):
    info = bmc_info(node, credentials, redfish_ca)
    for key in ('deploy_kernel', 'deploy_ramdisk'):
        if settings.get(key):
            info[key] = images.get(settings[key], settings[key])
    return info


def bmc_info(node, credentials, redfish_ca):
    """The driver_info saying how Ironic reaches the node's BMC."""
    bmc = node.bmc
    if bmc.driver == 'ipmi':
        return {'ipmi_address': bmc.address, 'ipmi_port': bmc.port,
                'ipmi_username': credentials['ipmi_username'],
                'ipmi_password': credentials['ipmi_password']}
    info = {'redfish_address': bmc.redfish_root(bool(redfish_ca)),
            'redfish_system_id': node.redfish_system_path,
            'redfish_username': credentials['redfish_username'],
            'redfish_password': credentials['redfish_password']}
    if redfish_ca:
        info['redfish_verify_ca'] = redfish_ca
    return info


def _properties(node, wanted):
    user = dict(wanted.get('properties') or {})
    capabilities = config.parse_capabilities(user.pop('capabilities', {}))
    capabilities['boot_mode'] = node.boot_mode
    volumes = node.volumes
    properties = {
        'cpus': node.vcpus,
        'memory_mb': node.memory_mb,
        'local_gb': units.to_gib(volumes[0].capacity) if volumes else 0,
        'cpu_arch': arches.of(node.arch).name,
        'capabilities': ','.join('%s:%s' % item
                                 for item in sorted(capabilities.items())),
    }
    properties.update(user)
    return properties


def placement_class(resource_class):
    """The Placement resource class Nova reports an Ironic class as."""
    return 'CUSTOM_' + re.sub(r'[^A-Z0-9_]', '_', resource_class.upper())


def traits(node):
    return sorted((node.ironic_config or {}).get('traits') or [])


def node_changes(want, have):
    """Names of the fields in which the node Ironic has differs."""
    changed = [key for key in COMPARED if key in want
               and not _same(key, want[key], have.get(key))]
    return changed


def _same(key, wanted, actual):
    if key == 'driver_info' and isinstance(actual, dict):
        # Ironic masks secrets; a masked value cannot be compared.
        actual = dict(actual)
        for name, value in actual.items():
            if value == MASKED:
                actual[name] = wanted.get(name)
        return {k: str(v) for k, v in wanted.items()} == \
            {k: str(actual.get(k)) for k in wanted}
    if key == 'properties' and isinstance(actual, dict):
        return {k: str(v) for k, v in wanted.items()} == \
            {k: str(actual.get(k)) for k in wanted}
    if key == 'extra' and isinstance(actual, dict):
        return all(actual.get(k) == v for k, v in wanted.items())
    return wanted == actual


# States Tenks' own moves pass through, which Ironic leaves by itself: a
# run killed while a node was in one finds it there.
SETTLING = ('verifying', 'cleaning')


def moves(current, target):
    """Provision actions taking a node from current towards target.

    Nodes past the target (deployed, say) are left where Ironic users put
    them.
    """
    return _MOVES.get((current, target), [])


def port_fields(nic, bridge_mac, hypervisor, cluster_id):
    return {
        'address': nic.mac,
        'physical_network': nic.physnet,
        'local_link_connection': {
            'switch_id': bridge_mac,
            'switch_info': switch_info(hypervisor, nic.bridge),
            'port_id': nic.veth_bridge,
        },
        'is_pxe_enabled': True,
        'extra': {MARK: cluster_id},
    }


def switch_info(hypervisor, bridge):
    """What names a hypervisor's bridge, as a switch, to Ironic and NGS."""
    if hypervisor == model.LOCALHOST:
        return bridge
    return '%s/%s' % (hypervisor, bridge)


def port_changes(want, have):
    changed = [key for key in ('physical_network', 'local_link_connection',
                               'is_pxe_enabled')
               if want[key] != have.get(key)]
    if want.get('node_id') and want['node_id'] != have.get('node_id'):
        changed.append('node')
    return changed
