#!/usr/bin/env bash
# Prepare a host to be a Tenks hypervisor.
#
# Installs libvirt/QEMU, Open vSwitch, ipmitool, OpenSSH (Tenks reaches remote
# hypervisors over SSH) and the build dependencies of
# libvirt-python, starts libvirtd, virtlogd and Open vSwitch (systemd units
# when systemd runs, plain daemons otherwise) and makes /dev/kvm usable by the
# kvm group. Idempotent: a second run changes nothing.
#
# Usage: setup-host.sh [--check] [--external-daemons] [--help]
#   --check   only report whether the host is ready (exit 1 if not)
#   --external-daemons  libvirt and Open vSwitch run elsewhere, as in
#             Kolla's nova_libvirt and openvswitch containers: install
#             neither daemon package, start no daemon, only wait for them
#             (libvirt at TENKS_SETUP_LIBVIRT_URI, Open vSwitch through
#             the ovs-vsctl first on the PATH, a wrapper such as Kayobe's)
#
# Environment:
#   TENKS_SETUP_TIMEOUT   seconds to wait for libvirt / OVS to answer (30)
#   TENKS_SETUP_NO_INSTALL=1  skip package installation
#   TENKS_SETUP_EXTERNAL_DAEMONS=1  as --external-daemons
#   TENKS_SETUP_LIBVIRT_URI  the libvirt to wait for (qemu:///system)

set -euo pipefail

PROG=${0##*/}
TIMEOUT=${TENKS_SETUP_TIMEOUT:-30}
CHECK_ONLY=0
EXTERNAL=${TENKS_SETUP_EXTERNAL_DAEMONS:-0}
LIBVIRT_URI=${TENKS_SETUP_LIBVIRT_URI:-qemu:///system}
OVS_SCRIPTS=/usr/share/openvswitch/scripts
OVS_RUNDIR=/var/run/openvswitch
OVS_LOGDIR=/var/log/openvswitch
APT_UPDATED=0
NOT_READY=0
POLICY_RC_CREATED=""

log() { printf '%s: %s\n' "$PROG" "$*"; }
die() { printf '%s: ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }
# In --check mode record a problem; otherwise it is fatal.
problem() {
    if [ "$CHECK_ONLY" = 1 ]; then
        printf '%s: NOT READY: %s\n' "$PROG" "$*"
        NOT_READY=1
    else
        die "$*"
    fi
}

usage() { sed -n '2,23s/^# \{0,1\}//p' "$0"; }

while [ $# -gt 0 ]; do
    case $1 in
        --check) CHECK_ONLY=1 ;;
        --external-daemons) EXTERNAL=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done

cleanup() {
    if [ -n "$POLICY_RC_CREATED" ]; then
        rm -f "$POLICY_RC_CREATED"
    fi
}
trap cleanup EXIT

have() { command -v "$1" >/dev/null 2>&1; }
systemd_running() { [ -d /run/systemd/system ]; }
running() { pgrep -x "$1" >/dev/null 2>&1; }

if [ "$(id -u)" != 0 ] && [ "$CHECK_ONLY" = 0 ]; then
    die "must run as root (try: sudo $0)"
fi

# --------------------------------------------------------------- packages --

APT_PACKAGES=(
    libvirt-daemon-system libvirt-clients libvirt-dev pkg-config
    qemu-system-x86 qemu-utils ovmf openvswitch-switch ipmitool iproute2
    procps python3-venv python3-dev gcc openssh-client openssh-server
    # tools/build-boot-artefacts; dnsmasq for the boot functional test
    cpio xorriso mtools grub-common dnsmasq-base
    # tools/build-agent-artefacts: the agent ramdisk, the whole-disk image
    zstd fdisk syslinux
    # the standalone Ironic's provisioning network: iPXE for TFTP clients;
    # mkisofs (in genisoimage), which Ironic builds virtual media ISOs with
    ipxe genisoimage
    # ethtool: offloads of veths into a userspace datapath
    ethtool
    # ping: which nodes networking-generic-switch's VLANs let meet
    iputils-ping
    # aarch64 nodes (libvirt_vm_arch: aarch64) under emulation: QEMU and
    # the AAVMF UEFI firmware
    qemu-system-arm qemu-efi-aarch64
)
# Best effort, not tested: Fedora/CentOS Stream/RHEL (openvswitch on RHEL
# needs the RDO/NFV SIG repository).
DNF_PACKAGES=(
    libvirt-daemon-kvm libvirt-daemon-driver-qemu libvirt-client
    libvirt-devel pkgconf-pkg-config qemu-kvm qemu-img edk2-ovmf openvswitch
    ipmitool iproute procps-ng python3 python3-devel gcc openssh-clients
    openssh-server ethtool dnsmasq iputils qemu-system-aarch64 edk2-aarch64
)

# What a host whose libvirt and Open vSwitch run in containers must not
# get: their packages start them (Kolla's precheck refuses a running host
# libvirtd). virsh comes in libvirt-clients; ovs-vsctl, in Debian's
# openvswitch-switch, is the deployment's (a wrapper on the PATH).
DAEMON_PACKAGES=(libvirt-daemon-system openvswitch-switch
                 libvirt-daemon-kvm libvirt-daemon-driver-qemu openvswitch)

# The packages of this host: without the daemons' when they run elsewhere.
wanted() {
    local pkg daemon
    for pkg in "$@"; do
        if [ "$EXTERNAL" = 1 ]; then
            for daemon in "${DAEMON_PACKAGES[@]}"; do
                [ "$pkg" = "$daemon" ] && continue 2
            done
        fi
        printf '%s\n' "$pkg"
    done
}

apt_missing() {
    local pkg status
    for pkg in $(wanted "${APT_PACKAGES[@]}"); do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [ "$status" = installed ] || printf '%s\n' "$pkg"
    done
}

dnf_missing() {
    local pkg
    for pkg in $(wanted "${DNF_PACKAGES[@]}"); do
        rpm -q "$pkg" >/dev/null 2>&1 || printf '%s\n' "$pkg"
    done
}

apt_update_once() {
    if [ "$APT_UPDATED" = 0 ]; then
        log "packages: apt-get update"
        apt-get update -q >/dev/null || die "apt-get update failed"
        APT_UPDATED=1
    fi
}

install_packages() {
    local -a missing
    if [ "${TENKS_SETUP_NO_INSTALL:-0}" = 1 ]; then
        log "packages: skipped (TENKS_SETUP_NO_INSTALL=1)"
        return
    fi
    if have dpkg-query && have apt-get; then
        mapfile -t missing < <(apt_missing)
        if [ "${#missing[@]}" = 0 ]; then
            log "packages: all present"
            return
        fi
        if [ "$CHECK_ONLY" = 1 ]; then
            problem "packages missing: ${missing[*]}"
            return
        fi
        # Without systemd, keep package scripts from starting daemons (OVS's
        # init script would try to load the kernel module); we start them.
        # With external daemons, no package installed has one.
        if [ "$EXTERNAL" = 0 ] && ! systemd_running \
                && [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            POLICY_RC_CREATED=/usr/sbin/policy-rc.d
        fi
        apt_update_once
        log "packages: installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "${missing[@]}" \
            || die "apt-get install failed"
        cleanup
        POLICY_RC_CREATED=""
    elif have dnf || have yum; then
        mapfile -t missing < <(dnf_missing)
        if [ "${#missing[@]}" = 0 ]; then
            log "packages: all present"
            return
        fi
        if [ "$CHECK_ONLY" = 1 ]; then
            problem "packages missing: ${missing[*]}"
            return
        fi
        log "packages: installing ${missing[*]}"
        if have dnf; then
            dnf install -y "${missing[@]}" || die "dnf install failed"
        else
            yum install -y "${missing[@]}" || die "yum install failed"
        fi
    else
        die "no supported package manager (apt-get, dnf, yum) found"
    fi
}

# --------------------------------------------------------------- /dev/kvm --

fix_kvm() {
    if [ ! -e /dev/kvm ]; then
        log "/dev/kvm: absent (guests will use plain QEMU emulation)"
        return
    fi
    local group mode
    group=$(stat -c %G /dev/kvm)
    mode=$(stat -c %a /dev/kvm)
    if [ "$group" = kvm ] && [ "$mode" = 660 ]; then
        log "/dev/kvm: already root:kvm 0660"
        return
    fi
    if [ "$CHECK_ONLY" = 1 ]; then
        problem "/dev/kvm is $group $mode, want group kvm mode 660"
        return
    fi
    if ! getent group kvm >/dev/null; then
        groupadd --system kvm || die "cannot create group kvm"
    fi
    chgrp kvm /dev/kvm || die "cannot chgrp kvm /dev/kvm"
    chmod 660 /dev/kvm || die "cannot chmod 660 /dev/kvm"
    log "/dev/kvm: set to root:kvm 0660 (was $group $mode)"
}

# --------------------------------------------------------------- services --

systemd_unit_exists() {
    systemctl list-unit-files "$1.service" 2>/dev/null | grep -q "^$1\.service"
}

start_systemd_units() {
    local ovs_unit=openvswitch-switch unit
    systemd_unit_exists "$ovs_unit" || ovs_unit=openvswitch
    for unit in virtlogd libvirtd "$ovs_unit"; do
        if systemctl is-enabled --quiet "$unit" 2>/dev/null \
                && systemctl is-active --quiet "$unit"; then
            log "service $unit: already enabled and active"
        elif [ "$CHECK_ONLY" = 1 ]; then
            problem "service $unit is not enabled and active"
        else
            log "service $unit: systemctl enable --now"
            systemctl enable --now "$unit" || die "systemctl enable --now $unit failed"
        fi
    done
}

# Start a daemon (by binary name) with the given arguments unless running.
start_plain_daemon() {
    local name=$1
    shift
    if running "$name"; then
        log "daemon $name: already running (pid $(pgrep -x "$name" | head -n1))"
        return
    fi
    if [ "$CHECK_ONLY" = 1 ]; then
        problem "daemon $name is not running"
        return
    fi
    have "$name" || die "$name not found; are the packages installed?"
    log "daemon $name: starting ($name $*)"
    "$name" "$@" || die "$name $* failed"
}

# True when Open vSwitch's kernel datapath is (or can be) available.
ovs_kernel_datapath() {
    [ -e /sys/module/openvswitch ] && return 0
    [ -e /proc/modules ] || return 1
    modprobe openvswitch >/dev/null 2>&1
}

start_ovs_plain() {
    if running ovsdb-server && running ovs-vswitchd; then
        log "daemon openvswitch: already running (ovsdb-server, ovs-vswitchd)"
        return
    fi
    if [ "$CHECK_ONLY" = 1 ]; then
        running ovsdb-server || problem "daemon ovsdb-server is not running"
        running ovs-vswitchd || problem "daemon ovs-vswitchd is not running"
        return
    fi
    [ -x "$OVS_SCRIPTS/ovs-ctl" ] || die "$OVS_SCRIPTS/ovs-ctl not found"
    if ! running ovsdb-server; then
        log "daemon ovsdb-server: starting (ovs-ctl --no-ovs-vswitchd start)"
        "$OVS_SCRIPTS/ovs-ctl" --system-id=random --no-ovs-vswitchd start \
            || die "ovs-ctl could not start ovsdb-server (see $OVS_LOGDIR)"
    fi
    if running ovs-vswitchd; then
        return
    fi
    if ovs_kernel_datapath; then
        log "daemon ovs-vswitchd: starting (ovs-ctl, kernel datapath available)"
        "$OVS_SCRIPTS/ovs-ctl" --system-id=random --no-ovsdb-server start \
            || die "ovs-ctl could not start ovs-vswitchd (see $OVS_LOGDIR)"
    else
        # ovs-ctl insists on loading the openvswitch module; start the
        # switch by hand for the userspace (netdev) datapath.
        log "daemon ovs-vswitchd: starting by hand (no kernel datapath;" \
            "bridges need datapath_type=netdev)"
        mkdir -p "$OVS_RUNDIR" "$OVS_LOGDIR"
        ovs-vswitchd "unix:$OVS_RUNDIR/db.sock" \
            -vconsole:emer -vsyslog:err -vfile:info --no-chdir \
            --log-file="$OVS_LOGDIR/ovs-vswitchd.log" \
            --pidfile="$OVS_RUNDIR/ovs-vswitchd.pid" --detach --monitor \
            || die "ovs-vswitchd failed to start (see $OVS_LOGDIR/ovs-vswitchd.log)"
    fi
}

start_plain_daemons() {
    start_plain_daemon virtlogd -d
    if have libvirtd || ! have virtqemud; then
        start_plain_daemon libvirtd -d
    else
        start_plain_daemon virtqemud -d
    fi
    start_ovs_plain
}

# ---------------------------------------------------------- readiness -----

wait_for() {
    local what=$1 deadline
    shift
    deadline=$((SECONDS + TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        if [ "$CHECK_ONLY" = 1 ]; then
            problem "$what does not answer: $*"
            return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            problem "$what does not answer after ${TIMEOUT}s: $*"
        fi
        sleep 1
    done
    log "ready: $what answers"
}

main() {
    if [ "$CHECK_ONLY" = 1 ]; then
        log "checking host readiness"
    fi
    install_packages
    fix_kvm
    if [ "$EXTERNAL" = 1 ]; then
        log "services: libvirt and Open vSwitch run elsewhere; starting none"
        have ovs-vsctl || problem "no ovs-vsctl on the PATH: put one that" \
            "reaches the external Open vSwitch first on it (as Kayobe's" \
            "dev/ovs-vsctl)"
    elif systemd_running; then
        start_systemd_units
    else
        log "services: systemd not running, using plain daemons"
        start_plain_daemons
    fi
    wait_for libvirt virsh -c "$LIBVIRT_URI" version
    wait_for "Open vSwitch" ovs-vsctl --timeout=5 show
    if [ "$NOT_READY" = 1 ]; then
        log "host is NOT ready"
        exit 1
    fi
    log "host is ready"
}

main
