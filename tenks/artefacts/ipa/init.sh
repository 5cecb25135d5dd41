#!/bin/sh
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
#
# /init of the Tenks agent ramdisk: devices through udev, a DHCP lease on
# every Ethernet NIC, then ironic-python-agent, restarted if it exits. The
# agent reads its settings (ipa-api-url, BOOTIF, ...) from /proc/cmdline
# itself, as Ironic's boot interfaces pass them. No systemd: a shell is
# all the supervision one agent needs, and boots faster under TCG.

MODULES="@MODULES@"

/bin/busybox mkdir -p /proc /sys /dev /run /tmp /var/log /var/lib /var/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
exec </dev/console >/dev/console 2>&1
[ -d /sys/firmware/efi ] && mount -t efivarfs efivarfs \
    /sys/firmware/efi/efivars
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
busybox hostname tenks-agent

say() { echo "TENKS-AGENT: $*"; }

say "booted $(uname -r) after $(cut -d' ' -f1 /proc/uptime) s"
for module in $MODULES; do
    insmod "$module" 2>/dev/null || say "cannot load $module"
done

/lib/systemd/systemd-udevd --daemon
udevadm trigger --action=add --type=subsystems
udevadm trigger --action=add --type=devices
udevadm settle --timeout=60

ip link set lo up
for dev in /sys/class/net/*; do
    # Type 1 is ARPHRD_ETHER; loopback and tunnels are not NICs.
    if [ "$(cat "$dev/type")" != 1 ] || [ ! -e "$dev/device" ]; then
        continue
    fi
    nic=${dev##*/}
    ip link set "$nic" up
    say "nic $nic $(cat "$dev/address")"
    busybox udhcpc -b -i "$nic" -s /etc/udhcpc.sh -t 10 -T 3 \
        >/dev/null 2>&1
done
for _ in $(seq 60); do
    [ -e /run/lease ] && break
    sleep 1
done
say "lease $(cat /run/lease 2>/dev/null || echo none)" \
    "after $(cut -d' ' -f1 /proc/uptime) s"

while :; do
    say "starting ironic-python-agent after $(cut -d' ' -f1 /proc/uptime) s"
    python3 -c 'from ironic_python_agent.cmd import agent; agent.run()'
    say "ironic-python-agent exited ($?); restarting"
    sleep 5
done
