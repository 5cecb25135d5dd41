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


"""An ISO of the kernel and ramdisk for virtual media, BIOS and UEFI.

BIOS boots it through isolinux (El Torito, and as a disk through its
hybrid MBR); UEFI through a FAT image holding a GRUB built with its
configuration inside, so nothing on the ISO needs finding but the kernel.

Also what Ironic needs to build ISOs of its own: an EFI system partition
image whose GRUB reads the configuration Ironic writes on the ISO, and
isolinux's files for BIOS.
"""

import os
import shutil

KERNEL = '/boot/vmlinuz'
INITRD = '/boot/initrd.img'
ESP = 'boot/efiboot.img'
# What the embedded grub.cfg uses: finding the ISO, serial, loading Linux.
GRUB_MODULES = ('iso9660', 'part_msdos', 'part_gpt', 'fat', 'search',
                'search_fs_file', 'serial', 'terminal', 'linux', 'gzio',
                'echo', 'test', 'boot', 'normal', 'configfile', 'efi_gop',
                'all_video')
ESP_KIB = 4096
# Where Ironic writes its grub.cfg on the ISOs it builds ([DEFAULT]
# grub_config_path, default EFI/BOOT/grub.cfg): the ESP's GRUB goes there.
IRONIC_GRUB_CFG = '/EFI/BOOT/grub.cfg'
# In the unpacked isolinux and syslinux-common.
ISOLINUX_BIN = 'usr/lib/ISOLINUX/isolinux.bin'
LDLINUX_C32 = 'usr/lib/syslinux/modules/bios/ldlinux.c32'


def isolinux_cfg(append):
    return ('SERIAL 0 115200\nCONSOLE 1\nPROMPT 0\nTIMEOUT 0\n'
            'DEFAULT tenks\nLABEL tenks\n  KERNEL %s\n  INITRD %s\n'
            '  APPEND %s\n' % (KERNEL, INITRD, append))


def grub_cfg(append):
    return ('serial --unit=0 --speed=115200\n'
            'terminal_input serial console\n'
            'terminal_output serial console\n'
            'search --no-floppy --file --set=root %s\n'
            'linux %s %s\ninitrd %s\nboot\n'
            % (KERNEL, KERNEL, append, INITRD))


def ironic_grub_cfg():
    """The ESP's embedded configuration: on to the one Ironic wrote."""
    directory = os.path.dirname(IRONIC_GRUB_CFG)
    return ('search --no-floppy --file --set=root %s\n'
            'set prefix=($root)%s\n'
            'configfile ($root)%s\n'
            % (IRONIC_GRUB_CFG, directory, IRONIC_GRUB_CFG))


def xorriso_argv(tree, output, volume_id, mbr):
    return ['xorriso', '-as', 'mkisofs', '-quiet', '-o', output,
            '-V', volume_id, '-J', '-R', '-isohybrid-mbr', mbr,
            '-c', 'isolinux/boot.cat', '-b', 'isolinux/isolinux.bin',
            '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
            '-eltorito-alt-boot', '-e', ESP, '-no-emul-boot',
            '-isohybrid-gpt-basdat', tree]


def build(host, root, kernel, initrd, append, scratch, output):
    """Write the ISO of kernel and initrd, booting with append, to output.

    root holds the unpacked isolinux, syslinux-common, grub-efi-amd64-bin.
    """
    tree = os.path.join(scratch, 'iso')
    _copy(kernel, tree + KERNEL)
    _copy(initrd, tree + INITRD)
    _copy(os.path.join(root, ISOLINUX_BIN),
          os.path.join(tree, 'isolinux', 'isolinux.bin'))
    _copy(os.path.join(root, LDLINUX_C32),
          os.path.join(tree, 'isolinux', 'ldlinux.c32'))
    with open(os.path.join(tree, 'isolinux', 'isolinux.cfg'), 'w') as cfg:
        cfg.write(isolinux_cfg(append))
    esp_image(host, root, grub_cfg(append), '/boot/grub',
              os.path.join(scratch, 'esp-iso'), os.path.join(tree, ESP))
    host.run(xorriso_argv(tree, output, 'TENKS_RAMDISK', os.path.join(
        root, 'usr/lib/ISOLINUX/isohdpfx.bin')))


def ironic_files(host, root, scratch, files):
    """Write what Ironic builds its ISOs with to files' paths.

    files: {'esp': path, 'isolinux': path, 'ldlinux': path}.
    """
    esp_image(host, root, ironic_grub_cfg(),
              os.path.dirname(IRONIC_GRUB_CFG),
              os.path.join(scratch, 'esp-ironic'), files['esp'])
    _copy(os.path.join(root, ISOLINUX_BIN), files['isolinux'])
    _copy(os.path.join(root, LDLINUX_C32), files['ldlinux'])


def esp_image(host, root, config_text, prefix, scratch, image):
    """A FAT image whose EFI/BOOT/BOOTX64.EFI is a GRUB with config_text.

    root holds the unpacked grub-efi-amd64-bin; prefix is where that GRUB
    looks for its modules and configuration at boot. The GRUB is not
    signed: a Secure Boot firmware would refuse it (OVMF here does not
    enforce Secure Boot), and shim would need a signed GRUB besides.
    """
    os.makedirs(scratch, exist_ok=True)
    config = os.path.join(scratch, 'grub.cfg')
    with open(config, 'w') as stream:
        stream.write(config_text)
    efi = os.path.join(scratch, 'bootx64.efi')
    host.run(['grub-mkimage', '-d',
              os.path.join(root, 'usr/lib/grub/x86_64-efi'),
              '-O', 'x86_64-efi', '-p', prefix, '-c', config,
              '-o', efi] + list(GRUB_MODULES))
    with open(image, 'wb') as stream:
        stream.truncate(ESP_KIB * 1024)
    host.run(['mformat', '-i', image, '-T', str(ESP_KIB * 2), '-h', '2',
              '-s', '32', '::'])
    host.run(['mmd', '-i', image, '::/EFI', '::/EFI/BOOT'])
    host.run(['mcopy', '-i', image, efi, '::/EFI/BOOT/BOOTX64.EFI'])


def _copy(source, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copy2(source, target)
