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
# /init of the Tenks ramdisk: take a DHCP lease on the first Ethernet NIC
# and report it, on the console and to tenks_callback=URL, then stay up.
# Settings come from the kernel command line only, the way Ironic's ramdisk
# deploy passes them:
#   tenks_callback=URL   GET URL?mac=MAC&ip=IP once the lease is taken
#   tenks_dhcp_tries=N   DHCP attempts before giving up (default 5)
#   tenks_shell=1        a shell on the console once done (else sleep)

MODULES="@MODULES@"

/bin/busybox mkdir -p /proc /sys /dev /run /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

say() { echo "TENKS-RAMDISK: $*"; }

cmdline_value() {
    read -r cmdline < /proc/cmdline
    for word in $cmdline; do
        case $word in
            "$1"=*) echo "${word#*=}"; return ;;
        esac
    done
}

first_ethernet() {
    for dev in /sys/class/net/*; do
        # Type 1 is ARPHRD_ETHER; loopback and tunnels are not NICs.
        [ "$(cat "$dev/type")" = 1 ] && [ -e "$dev/device" ] \
            && { echo "${dev##*/}"; return; }
    done
}

stay_up() {
    say "ready"
    if [ "$(cmdline_value tenks_shell)" = 1 ]; then
        while :; do setsid cttyhack sh; done
    fi
    while :; do sleep 3600; done
}

say "booted $(uname -r)"
for module in $MODULES; do
    insmod "$module" || say "cannot load $module"
done

nic=
for _ in 1 2 3 4 5 6 7 8 9 10; do
    nic=$(first_ethernet)
    [ -n "$nic" ] && break
    sleep 1
done
[ -n "$nic" ] || { say "no Ethernet NIC found"; stay_up; }
mac=$(cat "/sys/class/net/$nic/address")
ip link set lo up
ip link set "$nic" up
say "nic $nic $mac"

tries=$(cmdline_value tenks_dhcp_tries)
if ! udhcpc -i "$nic" -s /etc/udhcpc.sh -t "${tries:-5}" -T 3 -n -q; then
    say "no DHCP lease on $nic $mac"
    stay_up
fi
address=$(cat /run/lease)
say "lease $address on $mac"

# The listener may come up after the node does: a few tries, then give up.
call_back() {
    case $1 in *\?*) query="$1&" ;; *) query="$1?" ;; esac
    for _ in 1 2 3 4 5; do
        # Not wget -T: busybox 1.35's static wget crashes with it.
        timeout 15 wget -q -O /dev/null "${query}mac=$mac&ip=$address" \
            && return
        sleep 3
    done
    return 1
}

callback=$(cmdline_value tenks_callback)
if [ -z "$callback" ]; then
    say "no tenks_callback given"
elif call_back "$callback"; then
    say "callback $callback done"
else
    say "callback $callback failed"
fi
stay_up
