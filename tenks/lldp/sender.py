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

"""The LLDP sender Tenks runs on each hypervisor: frames and main loop.

    python3 sender.py --config FILE --status FILE

Every switch port of a Tenks bridge (the bridge's end of a node NIC's
veth) announces, every few seconds, the chassis id (the bridge's MAC),
port id (the port's name) and system name that Tenks gives Ironic as the
port's local_link_connection, so that inspection with LLDP finds them.

Why Tenks sends its own frames rather than run a maintained daemon:
lldpd announces one chassis per daemon, and the chassis id it can be
told (``configure system chassisid``) goes out as a locally assigned
one, which Ironic's local_link_connection hook ignores (it only takes a
MAC chassis id); one lldpd per bridge would also need a privilege-
separation chroot and socket each, and Debian's package starts a
system-wide lldpd on every interface of the host. Open vSwitch's own
LLDP is its Auto Attach code (one bridge, OVS only), and Linux bridges
have none. A frame sent on the bridge's end of a veth with an AF_PACKET
socket leaves by that veth towards the node only, whatever the bridge:
neither bridge forwards it, so Linux bridges not forwarding LLDP's group
address does not matter.

This file is copied to the hypervisor and run there by its own Python:
the standard library only, so a hypervisor needs no Tenks installed.
Signals: SIGHUP reloads the configuration, SIGTERM ends the sender.
"""

import argparse
import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys
import time

ETH_P_LLDP = 0x88cc
# The nearest-bridge group address: no bridge forwards it.
LLDP_GROUP = bytes.fromhex('0180c200000e')
TLV_END, TLV_CHASSIS_ID, TLV_PORT_ID, TLV_TTL, TLV_SYSTEM_NAME = 0, 1, 2, 3, 5
CHASSIS_MAC = 4
PORT_INTERFACE_NAME = 5
MIN_FRAME = 60
# Seconds between announcements: well inside the agent's LLDP wait (30 s
# by default), so inspection sees a frame on every NIC.
INTERVAL = 5
# An announcement is valid for a few intervals, as LLDP's usual 4 x 30 s.
TTL = 4 * INTERVAL
# What a port's entry holds; every key is required.
FIELDS = ('chassis_id', 'port_id', 'system_name')


class Invalid(ValueError):
    """The configuration file is not one the sender can use."""


def tlv(kind, value):
    """One TLV: 7 bits of type, 9 of length, then the value."""
    if len(value) > 511:
        raise Invalid('TLV %d: %d bytes is more than 511'
                      % (kind, len(value)))
    return struct.pack('!H', kind << 9 | len(value)) + value


def mac_bytes(mac):
    parts = mac.split(':')
    if len(parts) != 6:
        raise Invalid('%r is not a MAC address' % mac)
    try:
        return bytes(int(part, 16) for part in parts)
    except ValueError:
        raise Invalid('%r is not a MAC address' % mac)


def frame(source_mac, port):
    """The Ethernet frame announcing port ({FIELDS}) from source_mac."""
    body = b''.join([
        tlv(TLV_CHASSIS_ID, bytes([CHASSIS_MAC])
            + mac_bytes(port['chassis_id'])),
        tlv(TLV_PORT_ID, bytes([PORT_INTERFACE_NAME])
            + port['port_id'].encode()),
        tlv(TLV_TTL, struct.pack('!H', TTL)),
        tlv(TLV_SYSTEM_NAME, port['system_name'].encode()),
        tlv(TLV_END, b''),
    ])
    data = LLDP_GROUP + source_mac + struct.pack('!H', ETH_P_LLDP) + body
    # Ethernet's shortest frame; real switches pad after the end TLV too.
    return data.ljust(MIN_FRAME, b'\0')


def render(ports):
    """The file's text for {port name: {FIELDS}}; stable for one input."""
    return json.dumps({'ports': {name: {key: ports[name][key]
                                        for key in FIELDS}
                                 for name in ports}},
                      indent=1, sort_keys=True) + '\n'


def parse(text):
    """{port name: {FIELDS}} of the file's text, or raise Invalid."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise Invalid('not JSON: %s' % err)
    ports = data.get('ports') if isinstance(data, dict) else None
    if not isinstance(ports, dict):
        raise Invalid('no "ports" mapping')
    for name, port in ports.items():
        if not isinstance(port, dict) or not all(
                isinstance(port.get(key), str) for key in FIELDS):
            raise Invalid('port %s: needs the strings %s' % (
                name, ', '.join(FIELDS)))
        frame(bytes(6), port)
    return ports


def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


class Sender:
    """The sockets of the configured ports, and what sending them found."""

    def __init__(self):
        self.ports = {}
        self.sockets = {}

    def load(self, ports):
        for name in set(self.sockets) - set(ports):
            self.sockets.pop(name).close()
        self.ports = ports

    def announce(self):
        """Send every port's frame once: {port: error} of those that fail.

        A port whose send fails gets a new socket next time: its link may
        have been made again under the same name.
        """
        failed = {}
        for name in sorted(self.ports):
            try:
                sock = self.sockets.get(name) or self._open(name)
                # The port's own MAC, as the kernel bound the socket to it.
                sock.send(frame(sock.getsockname()[4], self.ports[name]))
            except OSError as err:
                failed[name] = err.strerror or str(err)
                old = self.sockets.pop(name, None)
                if old:
                    old.close()
        return failed

    def _open(self, name):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                             socket.htons(ETH_P_LLDP))
        try:
            sock.bind((name, ETH_P_LLDP))
        except OSError:
            sock.close()
            raise
        self.sockets[name] = sock
        return sock


def write_status(path, status):
    """Replace the status file at once: Tenks may read it any time."""
    temporary = path + '.tmp'
    with open(temporary, 'w') as stream:
        json.dump(status, stream, sort_keys=True)
    os.replace(temporary, path)


def program_digest():
    with open(os.path.abspath(__file__), 'rb') as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True)
    parser.add_argument('--status', required=True)
    args = parser.parse_args(argv)
    asked = {'reload': True, 'stop': False}
    signal.signal(signal.SIGHUP, lambda *_: asked.update(reload=True))
    signal.signal(signal.SIGTERM, lambda *_: asked.update(stop=True))
    # A signal makes waker readable, which ends the wait between rounds
    # (a plain sleep resumes after a signal): a reload is served at once.
    waker, wakeup = socket.socketpair()
    for end in (waker, wakeup):
        end.setblocking(False)
    signal.set_wakeup_fd(wakeup.fileno())
    sender = Sender()
    status = {'pid': os.getpid(), 'loads': 0, 'program': program_digest()}
    next_round = 0
    while not asked['stop']:
        if asked['reload']:
            asked['reload'] = False
            _reload(sender, args.config, status)
            next_round = 0
        if time.monotonic() >= next_round:
            failed = sender.announce()
            if failed != status.get('failed') or not status.get('sent'):
                status.update(failed=failed, sent=True)
                write_status(args.status, status)
            next_round = time.monotonic() + INTERVAL
        if select.select([waker], [], [],
                         max(0.0, next_round - time.monotonic()))[0]:
            waker.recv(64)
    return 0


def _reload(sender, path, status):
    with open(path) as stream:
        text = stream.read()
    try:
        sender.load(parse(text))
        status.pop('error', None)
    except Invalid as err:
        sender.load({})
        status['error'] = '%s: %s' % (path, err)
    status.update(config_digest=digest(text), loads=status['loads'] + 1,
                  sent=False)


if __name__ == '__main__':
    sys.exit(main())
