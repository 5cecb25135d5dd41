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

"""The cluster-wide settings of a cluster file: network, libvirt, BMCs,
Ironic and the state file, each over its tenks.conf default."""

import logging
import os

from tenks.config import filters
from tenks import model
from tenks import naming
from tenks import plugins

LOG = logging.getLogger(__name__)
DRIVERS = ('ipmi', 'redfish')
# The classic drivers of the original's default bmc_emulators, gone from
# Ironic: a file copying that default keeps them.
LEGACY_DRIVERS = frozenset(['agent_ipmitool', 'agent_ipmitool_socat',
                            'pxe_ipmitool', 'pxe_ipmitool_socat'])
MAX_PORT = 65535
IRONIC_INTERFACES = ('bios', 'boot', 'console', 'deploy', 'firmware',
                     'inspect', 'management', 'network', 'power', 'raid',
                     'rescue', 'storage', 'vendor')
INTERFACE_FIELDS = tuple('%s_interface' % name
                         for name in IRONIC_INTERFACES)


def network(top, site, node_types):
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


def libvirt(top, site):
    pool_name, pool_path = _pool(top, site)
    install = top.get('libvirt_host_install_daemon', (bool, str), False)
    if filters.to_bool(install):
        LOG.warning('%s: libvirt_host_install_daemon: Tenks installs no '
                    'libvirt daemon; it uses the one running (see '
                    'tools/setup-host.sh)', top.source)
    return model.LibvirtSettings(
        engine=site.value('libvirt_vm_engine', top),
        emulator=site.value('libvirt_vm_emulator', top) or None,
        pool_name=pool_name, pool_path=pool_path,
        pool_mode=_mode(top, 'libvirt_pool_mode'),
        pool_owner=_owner(top, 'libvirt_pool_owner'),
        pool_group=_owner(top, 'libvirt_pool_group'),
        console_log_dir=_path(top, 'libvirt_vm_default_console_log_dir'),
        log_owner=_owner(top, 'libvirt_vm_log_owner'),
        trust_guest_rx_filters=filters.to_bool(top.get(
            'libvirt_vm_trust_guest_rx_filters', (bool, str), False)),
        efi_loader=_path(top, 'libvirt_vm_ovmf_efi_firmware_path'),
        efi_vars_template=_path(top,
                                'libvirt_vm_ovmf_efi_variable_store_path'),
        efi_vars_format=top.choice('libvirt_vm_ovmf_efi_variable_store_format',
                                   ('raw', 'qcow2'), 'raw'))


def _pool(top, site):
    name = site.value('libvirt_pool_name', top)
    if not name or '/' in name:
        top.fail('%r is not a pool name: it must not be empty or hold /'
                 % name, 'libvirt_pool_name')
    path = site.value('libvirt_pool_path', top)
    if not os.path.isabs(path):
        top.fail('%r is not an absolute path' % path, 'libvirt_pool_path')
    pool_type = top.get('libvirt_pool_type', str, 'dir')
    if pool_type != 'dir':
        top.fail('%r: Tenks makes directory pools only (dir)' % pool_type,
                 'libvirt_pool_type')
    return name, path


def _path(top, key):
    path = top.get(key, str)
    if path and not os.path.isabs(path):
        top.fail('%r is not an absolute path' % path, key)
    return path or None


def _mode(top, key):
    """An octal mode as '0755'; the original's 755 is octal digits too.

    Ansible rendered the value to text and read it in base 8 (the
    libvirt-host role's int(base=8)), so a number's digits are octal.
    """
    mode = top.get(key, (str, int))
    if mode is None or mode == '':
        return None
    text = str(mode)
    if not (text.isdigit() and set(text) <= set('01234567')
            and int(text, 8) <= 0o7777):
        top.fail('%r is not an octal mode such as 755 or "0750"' % (mode,),
                 key)
    return '%04o' % int(text, 8)


def _owner(top, key):
    """A user name or uid, as chown takes it."""
    owner = top.get(key, (str, int))
    if owner is None or owner == '':
        return None
    owner = str(owner)
    if not all(c.isalnum() or c in '-_.' for c in owner):
        top.fail('%r is not a user name or id' % owner, key)
    return owner


def ipmi(top, site):
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


def bmc_emulators(top):
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
        if key in LEGACY_DRIVERS:
            continue    # no node can use them: DRIVERS refuses them
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


def redfish(top, site):
    return model.RedfishSettings(
        address=site.value('redfish_address', top),
        port=site.value('redfish_port', top),
        username=site.value('redfish_username', top),
        password=site.value('redfish_password', top),
        tls=site.value('redfish_tls', top))


def ironic(top, site):
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


def state_file_path(top, site):
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
