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

"""The cluster as typed, validated objects; built by tenks.config."""

import dataclasses
import typing

LOCALHOST = 'localhost'
LOCAL_ADDRESSES = (LOCALHOST, '127.0.0.1', '::1')
# The BMC emulator serving each Ironic driver unless the cluster file's
# bmc_emulators says otherwise.
DEFAULT_BMC_EMULATORS = {'ipmi': 'virtualbmc', 'redfish': 'sushy-tools'}


@dataclasses.dataclass(frozen=True)
class NodeType:
    name: str
    memory_mb: int
    vcpus: int
    volumes: tuple          # capacities in bytes
    physical_networks: tuple
    ironic_driver: str
    console_log_enabled: bool
    cpu_mode: typing.Optional[str]
    # A name of tenks.arches: per node type, or libvirt_vm_arch's.
    arch: str = 'x86_64'


@dataclasses.dataclass(frozen=True)
class Spec:
    """A group of identical nodes.

    ``key`` identifies the spec across edits of the file: its type and name
    prefix, plus an ordinal among specs sharing both.
    """
    key: str
    type: str
    count: int
    node_name_prefix: str
    vol_name_prefix: str
    ironic_config: typing.Optional[dict]
    boot_mode: str


@dataclasses.dataclass(frozen=True)
class Capacity:
    """What Tenks may use of a hypervisor; None is no limit of its own.

    These cap Tenks' nodes only: the capacity scheduler also keeps within
    what the host has left (see tenks.schedulers).
    """
    memory_mb: typing.Optional[int] = None
    vcpus: typing.Optional[int] = None
    disk: typing.Optional[int] = None       # bytes


@dataclasses.dataclass(frozen=True)
class Hypervisor:
    name: str
    address: str
    libvirt_uri: str
    physnet_mappings: dict      # physnet -> device
    bmc_address: str
    # physnet -> VLAN its uplink to its device tags (none: untagged).
    physnet_vlans: dict = dataclasses.field(default_factory=dict)
    capacity: Capacity = dataclasses.field(default_factory=Capacity)
    ssh_user: typing.Optional[str] = None
    ssh_port: typing.Optional[int] = None
    ssh_key: typing.Optional[str] = None

    @property
    def is_local(self):
        return self.address in LOCAL_ADDRESSES

    @property
    def bmc_libvirt_uri(self):
        """How BMCs, which run on the hypervisor, reach its libvirt."""
        return self.libvirt_uri if self.is_local else 'qemu:///system'


@dataclasses.dataclass(frozen=True)
class IPMISettings:
    address: str
    port_range_start: int
    port_range_end: int
    username: typing.Optional[str]
    password: typing.Optional[str]

    @property
    def ports(self):
        return range(self.port_range_start, self.port_range_end + 1)


@dataclasses.dataclass(frozen=True)
class RedfishSettings:
    address: str
    port: int
    username: typing.Optional[str]
    password: typing.Optional[str]
    tls: bool


@dataclasses.dataclass(frozen=True)
class LibvirtSettings:
    engine: str
    emulator: typing.Optional[str]
    pool_name: str
    pool_path: str
    # The pool directory's mode ('0755'), owner and group (names or ids),
    # as libvirt_pool_mode/owner/group give them; libvirt's if None.
    pool_mode: typing.Optional[str] = None
    pool_owner: typing.Optional[str] = None
    pool_group: typing.Optional[str] = None
    # Where console logs go (libvirt_vm_default_console_log_dir) and who
    # owns that directory (libvirt_vm_log_owner); Tenks' own if None.
    console_log_dir: typing.Optional[str] = None
    log_owner: typing.Optional[str] = None
    trust_guest_rx_filters: bool = False
    # UEFI firmware and variable store template; libvirt picks if None.
    efi_loader: typing.Optional[str] = None
    efi_vars_template: typing.Optional[str] = None
    efi_vars_format: str = 'raw'


@dataclasses.dataclass(frozen=True)
class NetworkSettings:
    bridge_type: str
    ovs_datapath_type: str
    bridge_prefix: str


@dataclasses.dataclass(frozen=True)
class Cluster:
    source: str
    node_types: dict
    specs: tuple
    hypervisors: tuple
    network: NetworkSettings
    libvirt: LibvirtSettings
    ipmi: IPMISettings
    redfish: RedfishSettings
    state_file_path: str
    log_dir: str
    ironic: dict = dataclasses.field(default_factory=dict)
    nova_flavors: tuple = ()
    # The emulator plugin serving each Ironic driver's BMCs.
    bmc_emulators: dict = dataclasses.field(
        default_factory=lambda: dict(DEFAULT_BMC_EMULATORS))

    @property
    def physnets(self):
        """Every physnet any node type uses, sorted, as index order."""
        names = set()
        for node_type in self.node_types.values():
            names.update(node_type.physical_networks)
        return sorted(names)
