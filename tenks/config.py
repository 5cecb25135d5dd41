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

"""Read and validate a cluster file into a tenks.model.Cluster.

The file keeps the variables of the original, Ansible-based Tenks so an
existing Kayobe override works unchanged. Site defaults come from
tenks.conf; a value in the cluster file wins (tenks.overrides).
"""

import collections
import difflib
import logging
import os

from oslo_config import types
import yaml

from tenks import exception
from tenks import model
from tenks import naming
from tenks import overrides
from tenks import plugins
from tenks import reader
from tenks import units

LOG = logging.getLogger(__name__)

# Used only by the playbooks of the Ansible Tenks; accepted and ignored.
ANSIBLE_ONLY = frozenset([
    'allocations_file_path', 'cmd', 'ironic_python',
    'ironic_virtualenv_path', 'libvirt_pool_capacity', 'libvirt_pool_group',
    'libvirt_pool_mode', 'libvirt_pool_owner', 'libvirt_pool_type',
    'libvirt_require_vt', 'python_upper_constraints_url',
    'system_requirements', 'tenks_src_path', 'veth_bridge_ovs_suffix',
    'veth_bridge_source_suffix', 'veth_node_ovs_suffix',
    'veth_node_source_suffix', 'veth_prefix', 'virtualenv_path',
    'wait_for_ironic_resources', 'wait_for_ironic_resources_timeout',
])
TOP_LEVEL = frozenset([
    'bmc_emulators', 'bridge_prefix', 'bridge_type', 'console_log_enabled',
    'cpu_mode', 'default_boot_mode', 'default_interfaces',
    'default_ironic_driver', 'deploy_kernel', 'deploy_kernel_uuid',
    'deploy_ramdisk', 'deploy_ramdisk_uuid', 'hypervisors',
    'ipmi_address', 'ipmi_password', 'ipmi_port_range_end',
    'ipmi_port_range_start', 'ipmi_username', 'ironic_target_state',
    'redfish_address', 'redfish_port', 'redfish_username',
    'redfish_password', 'redfish_tls',
    'libvirt_local_uri', 'libvirt_pool_name', 'libvirt_pool_path',
    'libvirt_vm_emulator', 'libvirt_vm_engine', 'log_directory',
    'node_name_prefix', 'node_types', 'nova_flavors',
    'ovs_datapath_type', 'physnet_mappings', 'specs', 'state_file_path',
    'vol_name_prefix', 'wait_for_placement',
])
NODE_TYPE_KEYS = frozenset([
    'memory_mb', 'vcpus', 'volumes', 'physical_networks', 'ironic_driver',
    'console_log_enabled', 'cpu_mode'])
SPEC_KEYS = frozenset([
    'type', 'count', 'node_name_prefix', 'vol_name_prefix',
    'ironic_config'])
IRONIC_INTERFACES = ('bios', 'boot', 'console', 'deploy', 'firmware',
                     'inspect', 'management', 'network', 'power', 'raid',
                     'rescue', 'storage', 'vendor')
INTERFACE_FIELDS = tuple('%s_interface' % name
                         for name in IRONIC_INTERFACES)
IRONIC_STRING_FIELDS = ('conductor_group', 'shard', 'description', 'owner',
                        'lessee') + INTERFACE_FIELDS
IRONIC_CONFIG_KEYS = frozenset(
    ['resource_class', 'traits', 'properties', 'extra']
    + list(IRONIC_STRING_FIELDS))
HYPERVISOR_KEYS = frozenset([
    'address', 'ssh_user', 'ssh_port', 'ssh_key', 'libvirt_uri',
    'physnet_mappings', 'bmc_address', 'capacity'])
CAPACITY_KEYS = frozenset(['memory_mb', 'vcpus', 'disk'])
BOOT_MODES = ('bios', 'uefi')
DRIVERS = ('ipmi', 'redfish')
# Node names name domains, BMCs, Ironic nodes and files: keep them short.
MAX_PREFIX = 63
MAX_PORT = 65535
_HOST_ADDRESS = types.HostAddress()


class _Loader(yaml.SafeLoader):
    """Safe YAML that rejects a key given twice in one mapping.

    Plain YAML keeps the last value silently, so a second ``specs:`` would
    quietly replace the first.
    """

    def construct_mapping(self, node, deep=False):
        keys = set()
        for key_node, _ in (node.value if isinstance(node, yaml.MappingNode)
                            else ()):
            if key_node.tag == 'tag:yaml.org,2002:merge':
                continue    # keys merged in (<<) may be overridden
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in keys
                keys.add(key)
            except TypeError:
                continue    # the base class reports an unhashable key
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, 'found duplicate key %r' % (key,),
                    key_node.start_mark)
        return super().construct_mapping(node, deep)


def load_file(path):
    """Return the parsed YAML mapping in path, or raise ConfigError."""
    try:
        with open(path) as stream:
            data = yaml.load(stream, Loader=_Loader)
    except OSError as err:
        raise exception.ConfigError(source=path, path='(file)',
                                    problem=err.strerror)
    except UnicodeDecodeError:
        raise exception.ConfigError(source=path, path='(file)',
                                    problem='not UTF-8 text')
    except yaml.YAMLError as err:
        mark = getattr(err, 'problem_mark', None)
        where = 'line %d' % (mark.line + 1) if mark else '(file)'
        raise exception.ConfigError(source=path, path=where,
                                    problem='not valid YAML: %s' % (
                                        getattr(err, 'problem', err)))
    return {} if data is None else data


def load(path, conf):
    """Read, validate and return the Cluster described by path."""
    return parse(load_file(path), conf, source=path)


def parse(data, conf, source='<cluster>'):
    top = reader.Reader(source, '', data)
    site = overrides.Overrides(conf)
    top.check_keys(TOP_LEVEL, ANSIBLE_ONLY)
    ignored = sorted(key for key in data if key in ANSIBLE_ONLY)
    if ignored:
        LOG.warning('%s: ignoring variables only the Ansible Tenks used: %s',
                    source, ', '.join(ignored))
    node_types = _node_types(top, top.choice('default_ironic_driver',
                                             DRIVERS, 'ipmi'), site)
    return model.Cluster(
        source=source,
        node_types=node_types,
        specs=_specs(top, node_types),
        hypervisors=_hypervisors(top, site),
        network=_network(top, site, node_types),
        libvirt=_libvirt(top, site),
        ipmi=_ipmi(top, site),
        redfish=_redfish(top, site),
        bmc_emulators=_bmc_emulators(top),
        state_file_path=_state_file_path(top, site),
        log_dir=site.value('log_directory', top),
        ironic=_ironic(top, site),
        nova_flavors=_nova_flavors(top, node_types),
    )


def _node_types(top, default_driver, site):
    types = top.child('node_types', {})
    result = {}
    for name in types.data:
        if not isinstance(name, str):
            types.fail('%r is not a string; quote the node type name'
                       % (name,), name)
        entry = types.child(name)
        entry.check_keys(NODE_TYPE_KEYS)
        driver = entry.get('ironic_driver', str, default_driver)
        if driver not in DRIVERS:
            entry.fail('%r is not a supported driver (%s)' % (
                driver, ', '.join(DRIVERS)), 'ironic_driver')
        result[name] = model.NodeType(
            name=name,
            memory_mb=entry.integer('memory_mb', minimum=1, required=True),
            vcpus=entry.integer('vcpus', minimum=1, required=True),
            volumes=_volumes(entry),
            physical_networks=entry.string_list('physical_networks'),
            ironic_driver=driver,
            console_log_enabled=site.value('console_log_enabled', entry,
                                           top),
            cpu_mode=site.value('cpu_mode', entry, top),
        )
    return result


def _volumes(entry):
    capacities = []
    for index, volume in enumerate(entry.get('volumes', list, [])):
        item = reader.Reader(entry.source,
                             '%s.volumes[%d]' % (entry.path, index), volume)
        item.check_keys({'capacity'})
        raw = item.get('capacity', object, required=True)
        try:
            capacities.append(units.parse_capacity(raw))
        except ValueError as err:
            item.fail('%r %s' % (raw, err), 'capacity')
    return tuple(capacities)


def _specs(top, node_types):
    prefix = top.get('node_name_prefix', str, 'tk')
    _check_name(top, 'node_name_prefix', prefix)
    vol_prefix = top.get('vol_name_prefix', str, 'vol')
    _check_name(top, 'vol_name_prefix', vol_prefix)
    default_boot = top.choice('default_boot_mode', BOOT_MODES, 'uefi')
    seen = collections.Counter()
    specs = []
    for index, raw in enumerate(top.get('specs', list, [])):
        entry = reader.Reader(top.source, 'specs[%d]' % index, raw)
        entry.check_keys(SPEC_KEYS)
        type_name = entry.get('type', str, required=True)
        if type_name not in node_types:
            hint = difflib.get_close_matches(type_name, list(node_types), 1)
            entry.fail('%r is not a node type in node_types%s' % (
                type_name, '; did you mean %r?' % hint[0] if hint else ''),
                'type')
        node_prefix = entry.get('node_name_prefix', str, prefix)
        _check_name(entry, 'node_name_prefix', node_prefix)
        spec_vol_prefix = entry.get('vol_name_prefix', str, vol_prefix)
        _check_name(entry, 'vol_name_prefix', spec_vol_prefix)
        ironic_config = _ironic_config(entry)
        seen[(type_name, node_prefix)] += 1
        specs.append(model.Spec(
            key='%s/%s/%d' % (type_name, node_prefix,
                              seen[(type_name, node_prefix)]),
            type=type_name,
            count=entry.integer('count', required=True),
            node_name_prefix=node_prefix,
            vol_name_prefix=spec_vol_prefix,
            ironic_config=ironic_config,
            boot_mode=_boot_mode(entry, ironic_config, default_boot),
        ))
    return tuple(specs)


FLAVOR_KEYS = frozenset(['resource_class', 'node_type', 'name',
                         'required_traits', 'forbidden_traits',
                         'custom_specs'])


def _nova_flavors(top, node_types):
    flavors = []
    for index, raw in enumerate(top.get('nova_flavors', list, [])):
        entry = reader.Reader(top.source, 'nova_flavors[%d]' % index, raw)
        entry.check_keys(FLAVOR_KEYS)
        entry.get('resource_class', str, required=True)
        node_type = entry.get('node_type', str, required=True)
        if node_type not in node_types:
            entry.fail('%r is not a node type in node_types' % node_type,
                       'node_type')
        entry.get('name', str)
        entry.string_list('required_traits')
        entry.string_list('forbidden_traits')
        entry.get('custom_specs', dict, {})
        flavors.append(dict(raw))
    return tuple(flavors)


def _check_name(entry, key, value):
    if not value or not all(c.isascii() and c.isalnum() or c in '-_'
                            for c in value):
        entry.fail('%r may hold only ASCII letters, digits, - and _'
                   % value, key)
    if len(value) > MAX_PREFIX:
        entry.fail('%r is longer than %d characters' % (value, MAX_PREFIX),
                   key)


def _ironic_config(spec):
    if spec.data.get('ironic_config') is None:
        return None
    entry = spec.child('ironic_config')
    entry.check_keys(IRONIC_CONFIG_KEYS)
    entry.get('resource_class', str, required=True)
    entry.string_list('traits')
    for key in IRONIC_STRING_FIELDS:
        entry.get(key, str)
    entry.get('extra', dict)
    capabilities = entry.get('properties', dict, {}).get('capabilities')
    if capabilities is not None and not isinstance(capabilities,
                                                   (str, dict)):
        entry.fail('%r is not a string such as boot_mode:uefi or a mapping'
                   % (capabilities,), 'properties.capabilities')
    return dict(entry.data)


def _boot_mode(spec, ironic_config, default):
    properties = (ironic_config or {}).get('properties') or {}
    capabilities = properties.get('capabilities') or {}
    mode = parse_capabilities(capabilities).get('boot_mode', default)
    if mode not in BOOT_MODES:
        spec.fail('boot_mode %r is not one of %s' % (
            mode, ', '.join(BOOT_MODES)),
            'ironic_config.properties.capabilities')
    return mode


def parse_capabilities(capabilities):
    """Ironic capabilities as a dict, from 'k:v,k2:v2' or a mapping."""
    if isinstance(capabilities, dict):
        return {str(k): str(v) for k, v in capabilities.items()}
    pairs = (item.split(':', 1) for item in str(capabilities).split(',')
             if ':' in item)
    return {key.strip(): value.strip() for key, value in pairs}


def _hypervisors(top, site):
    mappings = top.string_map('physnet_mappings')
    uri = site.value('libvirt_local_uri', top)
    bmc_address = site.value('ipmi_address', top)
    if not top.data.get('hypervisors'):
        return (model.Hypervisor(
            name=model.LOCALHOST, address=model.LOCALHOST, libvirt_uri=uri,
            physnet_mappings=mappings, bmc_address=bmc_address),)
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
        result.append(model.Hypervisor(
            name=str(name),
            address=address,
            libvirt_uri=entry.get('libvirt_uri', str,
                                  uri if local else _remote_uri(address,
                                                                *ssh)),
            physnet_mappings=(entry.string_map('physnet_mappings')
                              or mappings),
            bmc_address=_address(entry, 'bmc_address', default_bmc),
            capacity=_capacity(entry),
            ssh_user=ssh[0], ssh_port=ssh[1], ssh_key=ssh[2]))
    return tuple(result)


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


def _network(top, site, node_types):
    return model.NetworkSettings(
        bridge_type=site.value('bridge_type', top),
        ovs_datapath_type=site.value('ovs_datapath_type', top),
        bridge_prefix=_bridge_prefix(top, site, node_types))


def _bridge_prefix(top, site, node_types):
    prefix = site.value('bridge_prefix', top)
    physnets = {physnet for node_type in node_types.values()
                for physnet in node_type.physical_networks}
    try:
        # The longest names made of it: a bridge's uplink, index 9 or more.
        last = max(len(physnets), 10) - 1
        naming.uplink(naming.bridge(prefix, last), naming.BRIDGE_SIDE)
    except ValueError as err:
        top.fail('%r cannot start a bridge name: %s' % (prefix, err),
                 'bridge_prefix')
    return prefix


def _libvirt(top, site):
    pool_name = site.value('libvirt_pool_name', top)
    if not pool_name or '/' in pool_name:
        top.fail('%r is not a pool name: it must not be empty or hold /'
                 % pool_name, 'libvirt_pool_name')
    pool_path = site.value('libvirt_pool_path', top)
    if not os.path.isabs(pool_path):
        top.fail('%r is not an absolute path' % pool_path,
                 'libvirt_pool_path')
    return model.LibvirtSettings(
        engine=site.value('libvirt_vm_engine', top),
        emulator=site.value('libvirt_vm_emulator', top),
        pool_name=pool_name, pool_path=pool_path)


def _ipmi(top, site):
    start = site.value('ipmi_port_range_start', top)
    # An end past the last port is told the range, as one before its
    # start is, rather than the option's bound.
    end = top.get('ipmi_port_range_end', int)
    if end is None or end <= MAX_PORT:
        end = site.value('ipmi_port_range_end', top)
    if end < start or end > MAX_PORT:
        top.fail('%d must be between ipmi_port_range_start (%d) and %d'
                 % (end, start, MAX_PORT), 'ipmi_port_range_end')
    return model.IPMISettings(
        address=site.value('ipmi_address', top),
        port_range_start=start, port_range_end=end,
        username=site.value('ipmi_username', top),
        password=site.value('ipmi_password', top))


def _bmc_emulators(top):
    """{driver: emulator name}, defaults filled in.

    bmc_emulators maps emulator to driver, as the original Tenks did
    (``virtualbmc: ipmi``), or driver to emulator (``ipmi: tenks-ipmi``).
    """
    given = top.child('bmc_emulators', {}).data
    plugins = emulator_drivers()
    chosen = {}
    for key, value in given.items():
        if not isinstance(key, str) or not isinstance(value, str):
            top.fail('%r: %r does not name an emulator and a driver' % (
                key, value), 'bmc_emulators')
        driver, emulator = (key, value) if key in DRIVERS else (value, key)
        if emulator not in plugins:
            top.fail('%r is not a BMC emulator (%s)' % (
                emulator, ', '.join(sorted(plugins))), 'bmc_emulators')
        if driver not in plugins[emulator]:
            top.fail('%s serves %s, not %r' % (
                emulator, ', '.join(plugins[emulator]), driver),
                'bmc_emulators')
        if driver in chosen:
            top.fail('%s has two emulators: %s and %s' % (
                driver, chosen[driver], emulator), 'bmc_emulators')
        chosen[driver] = emulator
    return dict(model.DEFAULT_BMC_EMULATORS, **chosen)


def emulator_drivers():
    """{emulator plugin name: the Ironic drivers it serves}."""
    return {name: tuple(plugin.drivers)
            for name, plugin in plugins.load_all(plugins.BMC_EMULATORS)}


def _redfish(top, site):
    return model.RedfishSettings(
        address=site.value('redfish_address', top),
        port=site.value('redfish_port', top),
        username=site.value('redfish_username', top),
        password=site.value('redfish_password', top),
        tls=site.value('redfish_tls', top))


def _ironic(top, site):
    return {
        'target_state': site.value('ironic_target_state', top),
        'deploy_kernel': (top.get('deploy_kernel', str)
                          or top.get('deploy_kernel_uuid', str)),
        'deploy_ramdisk': (top.get('deploy_ramdisk', str)
                           or top.get('deploy_ramdisk_uuid', str)),
        'wait_for_placement': top.get('wait_for_placement', bool, False),
        'default_interfaces': _default_interfaces(top),
    }


def _default_interfaces(top):
    """Per driver, the node fields (interfaces) its nodes get first."""
    drivers = top.child('default_interfaces', {})
    drivers.check_keys(DRIVERS)
    result = {}
    for driver in drivers.data:
        fields = drivers.child(driver, {})
        fields.check_keys(INTERFACE_FIELDS + ('hardware_type',))
        for key in fields.data:
            fields.get(key, str)
        result[driver] = dict(fields.data)
    return result


def _state_file_path(top, site):
    path = site.given('state_file_path', top)
    if not path:
        return default_state_file(site.conf)
    path = os.path.abspath(path)
    if os.path.isdir(path):
        top.fail('%r is a directory; name a file in it, such as %s' % (
            path, os.path.join(path, 'state.json')), 'state_file_path')
    parent = os.path.dirname(path)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        top.fail('%r cannot be created: %s is not a directory' % (
            path, parent), 'state_file_path')
    return path


def default_state_file(conf):
    return os.path.abspath(conf.state_file_path
                           or os.path.join(conf.state_dir, 'state.json'))
