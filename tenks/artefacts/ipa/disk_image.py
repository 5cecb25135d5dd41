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


"""A small whole-disk image that boots BIOS and UEFI, for Ironic to deploy.

One GPT partition, an ESP that is also legacy-BIOS bootable: syslinux's
gptmbr.bin in the MBR chains to syslinux on it (BIOS), EFI/BOOT/BOOTX64.EFI
is a GRUB with its configuration inside (UEFI). Both boot the Tenks kernel
and busybox ramdisk with DISK_APPEND, so the console of a node that booted
from its own disk shows DISK_MARKER on the kernel's command line. Made
with sfdisk, mtools and syslinux on a plain file: no loop device, no
mount, nothing of the host's touched.
"""

import os

from tenks.artefacts import iso

DISK_MARKER = 'tenks_booted_from=disk'
DISK_APPEND = 'console=ttyS0 ' + DISK_MARKER
MIB = 2 ** 20
# The partition starts at 1 MiB; kernel (~14 MiB) and ramdisk fit.
OFFSET_MIB, PARTITION_MIB = 1, 30
ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'
GPTMBR = 'usr/lib/syslinux/mbr/gptmbr.bin'
GRUB_MODULES = tuple(name for name in iso.GRUB_MODULES if name != 'iso9660')


def sfdisk_script():
    """The partition table: one legacy-BIOS-bootable ESP, 1 MiB aligned."""
    return ('label: gpt\n'
            'start=%d, size=%d, type=%s, name="tenks-esp", '
            'attrs="LegacyBIOSBootable"\n' % (
                OFFSET_MIB * MIB // 512, PARTITION_MIB * MIB // 512,
                ESP_TYPE))


def build(host, root, kernel, initrd, scratch, output):
    """Write the image booting kernel and initrd to output.

    root holds the unpacked syslinux-common and grub-efi-amd64-bin.
    """
    size = (OFFSET_MIB + PARTITION_MIB + 1) * MIB
    with open(output, 'wb') as stream:
        stream.truncate(size)
    host.run(['sfdisk', '-q', output], input=sfdisk_script())
    with open(os.path.join(root, GPTMBR), 'rb') as stream:
        boot_code = stream.read()
    with open(output, 'r+b') as stream:
        stream.write(boot_code[:440])
    fat = '%s@@%dM' % (output, OFFSET_MIB)
    host.run(['mformat', '-i', fat, '-T', str(PARTITION_MIB * MIB // 512),
              '-h', '64', '-s', '32', '-v', 'TENKS', '::'])
    host.run(['syslinux', '--offset', str(OFFSET_MIB * MIB), '--install',
              output])
    config = os.path.join(scratch, 'disk-syslinux.cfg')
    with open(config, 'w') as stream:
        stream.write(iso.isolinux_cfg(DISK_APPEND))
    efi = _grub(host, root, scratch)
    host.run(['mmd', '-i', fat, '::/boot', '::/EFI', '::/EFI/BOOT'])
    for source, target in ((kernel, iso.KERNEL), (initrd, iso.INITRD),
                           (config, '/syslinux.cfg'),
                           (efi, '/EFI/BOOT/BOOTX64.EFI')):
        host.run(['mcopy', '-i', fat, source, '::' + target])


def _grub(host, root, scratch):
    config = os.path.join(scratch, 'disk-grub.cfg')
    with open(config, 'w') as stream:
        stream.write(iso.grub_cfg(DISK_APPEND))
    efi = os.path.join(scratch, 'disk-bootx64.efi')
    host.run(['grub-mkimage', '-d',
              os.path.join(root, 'usr/lib/grub/x86_64-efi'),
              '-O', 'x86_64-efi', '-p', '/boot/grub', '-c', config,
              '-o', efi] + list(GRUB_MODULES))
    return efi
