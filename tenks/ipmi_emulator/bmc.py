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

"""One IPMI BMC of the tenks-ipmi emulator: pyghmi's server on a domain.

Chassis control and boot options map onto the domain as VirtualBMC maps
them; a libvirt failure answers "node busy", which IPMI clients retry.
Many of these share one process: pyghmi serves every BMC's socket from
its one I/O thread and opens sessions in the main thread, while requests
are answered by worker threads, one request of a BMC at a time, so a slow
libvirt call of one BMC never holds up the sessions of the others.
"""

import logging
import threading
import time
import uuid

from pyghmi.ipmi import bmc
from pyghmi.ipmi.private import session as ipmi_session

LOG = logging.getLogger(__name__)

# Completion codes, IPMI 2.0 section 5.2.
NODE_BUSY = 0xc0
INVALID_DATA = 0xcc
NOT_IN_PRESENT_STATE = 0xd5

BOOT_FLAGS = 5
# Boot flag data byte 1: valid, persistent, EFI boot.
FLAGS_VALID = 0x80
FLAGS_PERSISTENT = 0x40
FLAGS_EFI = 0x20
# libvirt boot device <-> selector in boot flag data byte 2, bits 5:2.
SELECTORS = {'network': 0x1, 'hd': 0x2, 'cdrom': 0x5}
DEVICES = {selector: device for device, selector in SELECTORS.items()}


class DomainBMC(bmc.Bmc):
    """A BMC answering for one libvirt domain."""

    def __init__(self, name, settings, domain, sessions, workers):
        super().__init__({settings['username']: settings['password']},
                         port=settings['port'], address=settings['address'])
        self.name = name
        self.domain = domain
        self.sessions = sessions
        self.workers = workers
        self._busy = threading.Lock()

    def handle_raw_request(self, request, session):
        self.sessions.touch(session, time.monotonic())
        self.workers.submit(self._answer, request, session)

    def _answer(self, request, session):
        # A client waits for each answer before its next request; only a
        # retransmission may come meanwhile, and it is answered after.
        with self._busy:
            super().handle_raw_request(request, session)

    def _busy_on_failure(self, what, action):
        try:
            action()
        except Exception as err:
            LOG.error('%s: %s failed: %s', self.name, what, err)
            return NODE_BUSY
        LOG.info('%s: %s', self.name, what)
        return 0

    def get_power_state(self):
        # A failure here is answered by pyghmi with "unspecified error".
        return 'on' if self.domain.is_on() else 'off'

    def power_on(self):
        return self._busy_on_failure('power on', self.domain.power_on)

    def power_off(self):
        return self._busy_on_failure('power off', self.domain.power_off)

    def power_shutdown(self):
        return self._busy_on_failure('soft power off', self.domain.shutdown)

    def power_reset(self):
        return self._busy_on_failure('reset', self.domain.reset)

    def power_cycle(self):
        if not self.domain.is_on():
            return NOT_IN_PRESENT_STATE
        return self._busy_on_failure('power cycle', self._cycle)

    def _cycle(self):
        self.domain.power_off()
        self.domain.power_on()

    def pulse_diag(self):
        return self._busy_on_failure('diagnostic interrupt',
                                     self.domain.inject_nmi)

    def get_system_guid(self):
        return uuid.UUID(self.domain.uuid())

    def get_system_boot_options(self, request, session):
        # Rewritten rather than inherited: ours also reports persistence
        # (a domain definition always is) and the firmware's boot type.
        if request['data'][0] != BOOT_FLAGS:
            return session.send_ipmi_response(code=0x80)
        try:
            device, uefi = self.domain.boot_device()
        except Exception as err:
            LOG.error('%s: reading the boot device failed: %s', self.name,
                      err)
            return session.send_ipmi_response(code=NODE_BUSY)
        session.send_ipmi_response(data=boot_flags(device, uefi))

    def set_system_boot_options(self, request, session):
        data = request['data']
        if data[0] != BOOT_FLAGS:
            # Boot info acknowledgements and the like change nothing here.
            return session.send_ipmi_response()
        selector = (data[2] >> 2) & 0xf if len(data) > 2 else None
        if selector == 0:
            # "No override": the definition's boot order stays.
            return session.send_ipmi_response()
        device = DEVICES.get(selector)
        if device is None:
            return session.send_ipmi_response(code=INVALID_DATA)
        session.send_ipmi_response(code=self._busy_on_failure(
            'boot device %s' % device,
            lambda: self.domain.set_boot_device(device)))

    def close(self):
        """Stop answering: forget the sessions and the socket's routing.

        The socket itself is closed by the caller once pyghmi's I/O thread
        no longer watches it.
        """
        sessions = ipmi_session.Session.bmc_handlers
        sessions.pop(self.serversocket, None)
        for client in list(sessions):
            handlers = sessions[client]
            if getattr(handlers.get(self.port), 'bmc', None) is self:
                del handlers[self.port]
                if not handlers:
                    del sessions[client]
        return self.serversocket


def boot_flags(device, uefi):
    """Parameter data of the boot flags (5) for a device and firmware."""
    flags = FLAGS_VALID | FLAGS_PERSISTENT | (FLAGS_EFI if uefi else 0)
    return [1, BOOT_FLAGS, flags, SELECTORS.get(device, 0) << 2, 0, 0, 0]
