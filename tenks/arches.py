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

"""The CPU architectures Tenks builds nodes of, and what each implies.

The one home of what follows from a node's architecture: the machine
type, the features, the boot modes its firmware offers and the CPU mode a
node gets when neither its type nor the file gives one; the name is also
Ironic's ``cpu_arch``.
"""

import dataclasses
import typing


@dataclasses.dataclass(frozen=True)
class Arch:
    name: str
    machine: str
    features: tuple
    boot_modes: tuple
    # The Debian package of the UEFI firmware libvirt finds for it.
    uefi_package: str
    # Per domain type, the CPU mode of a node that names none; None
    # leaves libvirt's default.
    cpu_modes: dict = dataclasses.field(default_factory=dict)

    def cpu_mode(self, engine):
        return self.cpu_modes.get(engine)


_ARCHES = (
    Arch('x86_64', machine='q35', features=('acpi', 'apic'),
         boot_modes=('bios', 'uefi'), uefi_package='ovmf'),
    # As the libvirt-vm role builds them: machine virt, UEFI (AAVMF) only,
    # the host's CPU under KVM and QEMU's most capable one under TCG,
    # whose default (cortex-a15) is 32-bit and cannot run AAVMF.
    Arch('aarch64', machine='virt', features=('acpi',),
         boot_modes=('uefi',), uefi_package='qemu-efi-aarch64',
         cpu_modes={'kvm': 'host-passthrough', 'qemu': 'maximum'}),
)
ARCHES = {arch.name: arch for arch in _ARCHES}
NAMES = tuple(ARCHES)
DEFAULT = 'x86_64'


def of(name: typing.Optional[str]) -> Arch:
    """The Arch of name; a node recorded before arches were is x86_64."""
    return ARCHES[name or DEFAULT]
