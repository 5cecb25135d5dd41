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

"""The configuration files of the throwaway Ironic and Keystone.

Pure but for write and read: what ironic.conf and keystone.conf hold,
every path in them under the service's work directory.
"""

import configparser
import copy
import os

from tenks.artefacts import iso
from tenks.standalone import loopback

# Where tools/build-boot-artefacts caches by default (its parent).
ARTEFACTS_CACHE = '/var/cache/tenks'

# ironic.conf apart from paths, port and authentication (see ironic()).
IRONIC_SETTINGS = {
    'DEFAULT': {
        'auth_strategy': 'noauth',
        # The all-in-one process calls its conductor directly.
        'rpc_transport': 'none',
        # Default is the address of the default route (eth0 here).
        'my_ip': loopback.HOST,
        # stderr is appended to the same log: avoid every line twice.
        'use_stderr': 'false',
        'enabled_hardware_types': 'ipmi,redfish,fake-hardware',
        # A type's default interface is its first supported one enabled:
        # fake-hardware gets fake boot/deploy, ipmi/redfish ipxe/direct.
        'enabled_boot_interfaces': 'fake,ipxe,pxe,redfish-virtual-media',
        'enabled_deploy_interfaces': 'fake,direct,ramdisk',
        'enabled_power_interfaces': 'fake,ipmitool,redfish',
        'enabled_management_interfaces': 'fake,ipmitool,redfish,noop',
        'enabled_inspect_interfaces': 'fake,no-inspect,redfish',
        'enabled_vendor_interfaces': 'fake,ipmitool,redfish,no-vendor',
        # No Neutron: ports are just records.
        'enabled_network_interfaces': 'noop',
    },
    'dhcp': {'dhcp_provider': 'none'},
    'conductor': {
        # Cleaning needs a deploy ramdisk: go straight to available.
        'automated_clean': 'false',
        # Notice out-of-band power changes (e.g. virsh) quickly, and record
        # them rather than force the node back (Ironic's default): tests
        # drive VMs through their BMCs directly too.
        'sync_power_state_interval': '5',
        'force_power_state_during_sync': 'false',
        # Stop in seconds: there is no work to hand over.
        'graceful_shutdown_timeout': '5',
    },
    'ipmi': {
        # VirtualBMC copes with back-to-back commands; the default 5 s gap
        # makes every power action take ~15 s.
        'min_command_interval': '1',
        # Give up on an unreachable BMC after 10 s rather than 60 s.
        'command_retry_timeout': '10',
    },
    # No Swift here: virtual media images are published from http_root.
    'redfish': {'use_swift': 'false'},
    # No Nova here: never try to reach it on power state changes.
    'nova': {'send_power_notifications': 'false'},
}


def ironic(workdir, port, log_file, authtoken=None, extra=None):
    """ironic.conf as {section: {option: value}}.

    authtoken is the [keystone_authtoken] of a Keystone to validate
    tokens with; without it, Ironic takes requests unauthenticated.
    extra ({section: {option: value}}) is laid over the rest.
    """
    work = str(workdir)
    conf = copy.deepcopy(IRONIC_SETTINGS)
    conf['DEFAULT'].update(state_path=work, log_file=str(log_file))
    conf['api'] = {'host_ip': loopback.HOST, 'port': str(port)}
    conf['database'] = {
        # SQLite serialises writers; wait for the lock rather than fail
        # a client's request (the default waits 5 s).
        'connection': 'sqlite:///%s/ironic.sqlite?timeout=60' % work}
    # PXE/iPXE boot interfaces write files here when they are loaded.
    conf['pxe'] = {'tftp_root': work + '/tftpboot'}
    # iPXE nodes validate only with an HTTP URL; nothing serves it here.
    conf['deploy'] = {'http_root': work + '/httpboot',
                      'http_url': 'http://%s:8080' % loopback.HOST}
    conf['oslo_concurrency'] = {'lock_path': work + '/locks'}
    # Kernels and ramdisks given as file:// URLs: the boot artefacts' cache.
    conf['conductor']['file_url_allowed_paths'] = ','.join(
        (work, ARTEFACTS_CACHE))
    if authtoken:
        conf['DEFAULT']['auth_strategy'] = 'keystone'
        conf['keystone_authtoken'] = authtoken
    for section, options in (extra or {}).items():
        conf.setdefault(section, {}).update(options)
    return conf


def iso_building(workdir, artefacts):
    """What ironic.conf needs to build ISOs with the boot artefacts' files.

    Ironic builds a virtual media ISO of a node's kernel and ramdisk with
    mkisofs: for UEFI around an EFI system partition image whose GRUB
    reads the grub.cfg Ironic writes at grub_config_path; for BIOS with
    isolinux. The artefacts' own kernel and ramdisk may be file:// URLs
    wherever their cache is.
    """
    return {
        'DEFAULT': {'esp_image': artefacts.esp,
                    'grub_config_path': iso.IRONIC_GRUB_CFG.lstrip('/'),
                    'isolinux_bin': artefacts.isolinux,
                    'ldlinux_c32': artefacts.ldlinux},
        'conductor': {'file_url_allowed_paths': ','.join(
            (str(workdir), ARTEFACTS_CACHE, artefacts.directory))},
    }


def keystone(workdir, log_file):
    """keystone.conf as {section: {option: value}}."""
    work = str(workdir)
    return {
        'DEFAULT': {'log_file': str(log_file), 'use_stderr': 'false'},
        'database': {'connection': 'sqlite:///%s/keystone.sqlite' % work},
        'token': {'provider': 'fernet'},
        # Defaults are under /etc/keystone: keep every key in workdir.
        'fernet_tokens': {'key_repository': work + '/fernet-keys'},
        'fernet_receipts': {'key_repository': work + '/fernet-keys'},
        'credential': {'key_repository': work + '/credential-keys'},
    }


def open_private(path):
    """Open path for writing, readable by us alone: it may hold passwords."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, 'w')


def write(path, sections, private=False):
    """Write {section: {option: value}} as an INI file."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_dict(sections)
    with (open_private(path) if private else open(path, 'w')) as stream:
        parser.write(stream)


def read(path):
    """The INI file at path (nothing if it is missing), as a parser."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser
