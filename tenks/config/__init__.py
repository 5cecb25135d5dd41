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
existing Kayobe override works unchanged (tenks.config.variables lists
them; tenks.config.render renders their Jinja first). Site defaults come
from tenks.conf; a value in the cluster file wins (tenks.overrides). Here:
node types, specs and flavors; tenks.config.hosts reads the hypervisors,
tenks.config.settings the cluster-wide settings.
"""

import collections
import difflib
import logging
import os

from tenks import arches
from tenks.config import hosts
from tenks.config import render
from tenks.config import settings
from tenks.config import variables
from tenks.config import yaml_file
from tenks import exception
from tenks import host_facts
from tenks import model
from tenks import overrides
from tenks import reader
from tenks import units

LOG = logging.getLogger(__name__)

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
]) | variables.ROLE_VARIABLES
NODE_TYPE_KEYS = frozenset([
    'memory_mb', 'vcpus', 'volumes', 'physical_networks', 'ironic_driver',
    'console_log_enabled', 'cpu_mode', 'arch'])
SPEC_KEYS = frozenset([
    'type', 'count', 'node_name_prefix', 'vol_name_prefix',
    'ironic_config'])
IRONIC_INTERFACES = settings.IRONIC_INTERFACES
INTERFACE_FIELDS = settings.INTERFACE_FIELDS
IRONIC_STRING_FIELDS = ('conductor_group', 'shard', 'description', 'owner',
                        'lessee') + INTERFACE_FIELDS
IRONIC_CONFIG_KEYS = frozenset(
    ['resource_class', 'traits', 'properties', 'extra']
    + list(IRONIC_STRING_FIELDS))
HYPERVISOR_KEYS = hosts.HYPERVISOR_KEYS
BOOT_MODES = ('bios', 'uefi')
DRIVERS = settings.DRIVERS
# Node names name domains, BMCs, Ironic nodes and files: keep them short.
MAX_PREFIX = 63


def load(path, conf, playbook_dir=None):
    """Read, validate and return the Cluster described by path.

    Values holding Jinja are rendered first, on the facts of the
    hypervisors they concern, which this gathers if they use them.
    """
    return parse(yaml_file.load_file(path), conf, source=path,
                 facts=lambda hypervisor: host_facts.of(conf, hypervisor),
                 playbook_dir=playbook_dir or default_playbook_dir(path))


def default_playbook_dir(path):
    """What Ansible's playbook_dir was: the checkout's ansible/ directory.

    Installed without its checkout, Tenks has none: the cluster file's own
    directory stands in.
    """
    checkout = os.path.join(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))), 'ansible')
    if os.path.isfile(os.path.join(checkout, 'deploy.yml')):
        return checkout
    return os.path.dirname(os.path.abspath(path))


def parse(data, conf, source='<cluster>', facts=None, playbook_dir=None):
    """The Cluster data describes; facts(hypervisor) gives a host's facts.

    Without facts, a value using them is an error.
    """
    site = overrides.Overrides(conf)
    data, helpers = render.render_cluster(
        source, data, _facts_for(source, data, site, facts),
        playbook_dir or os.getcwd(), lambda key: key in TOP_LEVEL)
    top = reader.Reader(source, '', data)
    ignored = sorted((key for key in data
                      if variables.ansible_only(key) is not None), key=str)
    # The user's own variables, which others refer to, are theirs.
    top.check_keys(TOP_LEVEL | helpers, ignored + list(
        variables.ANSIBLE_ONLY))
    if ignored:
        LOG.warning('%s: ignoring variables only the Ansible Tenks used: %s',
                    source, ', '.join(ignored))
    node_types = _node_types(top, top.choice('default_ironic_driver',
                                             DRIVERS, 'ipmi'), site)
    specs = _specs(top, node_types)
    hypervisors = hosts.hypervisors(top, site)
    hosts.check_physnets(source, specs, node_types, hypervisors)
    return model.Cluster(
        source=source,
        node_types=node_types,
        specs=specs,
        hypervisors=hypervisors,
        network=settings.network(top, site, node_types),
        libvirt=settings.libvirt(top, site),
        ipmi=settings.ipmi(top, site),
        redfish=settings.redfish(top, site),
        bmc_emulators=settings.bmc_emulators(top),
        state_file_path=settings.state_file_path(top, site),
        log_dir=site.value('log_directory', top),
        ironic=settings.ironic(top, site),
        nova_flavors=_nova_flavors(top, node_types),
    )


def _facts_for(source, data, site, facts):
    """facts_for(name) of render.render_cluster: a hypervisor's facts."""
    def facts_for(name):
        if facts is None:
            raise exception.ConfigError(
                source=source, path='(file)',
                problem='uses ansible_facts, which only a cluster file '
                        'read from a path can (tenks.config.load)')
        entries = data.get('hypervisors') or {}
        entry = next((value for key, value in entries.items()
                      if str(key) == name), None)
        raw = {}
        if isinstance(entry, dict):
            reach = {key: value for key, value in entry.items()
                     if key in hosts.REACH_KEYS}
            raw = {'hypervisors': {name: render.without_facts(
                source, data, 'hypervisors.%s' % name, reach)}}
        top = reader.Reader(source, '', raw)
        return facts(hosts.hypervisors(top, site)[0])
    return facts_for


def _node_types(top, default_driver, site):
    types = top.child('node_types', {})
    # The libvirt-vm role's one architecture, the default of each type's.
    default_arch = top.choice('libvirt_vm_arch', arches.NAMES,
                              arches.DEFAULT)
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
            cpu_mode=_cpu_mode(entry, top, site),
            arch=entry.choice('arch', arches.NAMES, default_arch),
        )
    return result


def _cpu_mode(entry, top, site):
    """The node type's CPU mode, else the file's, else the default."""
    given = [site.given('cpu_mode', each) for each in (entry, top)]
    return next((mode for mode in given if mode is not None),
                site.value('libvirt_cpu_mode_default', top))


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
            boot_mode=_boot_mode(entry, ironic_config, default_boot,
                                 node_types[type_name].arch),
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


def _boot_mode(spec, ironic_config, default, arch):
    properties = (ironic_config or {}).get('properties') or {}
    capabilities = properties.get('capabilities') or {}
    mode = parse_capabilities(capabilities).get('boot_mode', default)
    if mode not in BOOT_MODES:
        spec.fail('boot_mode %r is not one of %s' % (
            mode, ', '.join(BOOT_MODES)),
            'ironic_config.properties.capabilities')
    if mode not in arches.of(arch).boot_modes:
        # No BIOS exists for it: such a node would never boot.
        spec.fail('node type %r is %s, whose nodes boot %s only, not %s; '
                  'set default_boot_mode or ironic_config\'s capabilities '
                  'boot_mode' % (spec.data['type'], arch, ', '.join(
                      arches.of(arch).boot_modes), mode), 'type')
    return mode


def parse_capabilities(capabilities):
    """Ironic capabilities as a dict, from 'k:v,k2:v2' or a mapping."""
    if isinstance(capabilities, dict):
        return {str(k): str(v) for k, v in capabilities.items()}
    pairs = (item.split(':', 1) for item in str(capabilities).split(',')
             if ':' in item)
    return {key.strip(): value.strip() for key, value in pairs}
