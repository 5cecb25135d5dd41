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

"""The tenks-ipmi emulator's process: signals and the main loop.

    python3 -m tenks.ipmi_emulator --config FILE --status FILE
"""

import argparse
import faulthandler
import logging
import os
import signal
import sys
import time

from pyghmi.ipmi.private import session as ipmi_session

from tenks.ipmi_emulator import domain
from tenks.ipmi_emulator import emulator

LOG = logging.getLogger('tenks-ipmi')
# How long the main loop waits for IPMI traffic before it looks at signals.
TICK = 0.5
# How often idle IPMI sessions are looked for.
SWEEP_INTERVAL = 30
# A main loop stuck this long (seconds) ends the emulator, its threads'
# stacks in the log: Tenks then sees it dead and starts it again, where
# a hung one would look alive and answer nothing.
WATCHDOG = 60


class Signals:
    """What the signals asked for, acted upon by the main loop.

    waker is a socket pyghmi's I/O thread watches: a datagram to it ends
    the main loop's wait at once, rather than at the end of a tick.
    """

    def __init__(self, waker):
        self.reload = False
        self.stop = False
        self.waker = waker
        signal.signal(signal.SIGHUP, self._reload)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def _reload(self, signum, frame):
        self.reload = True
        self._wake()

    def _stop(self, signum, frame):
        self.stop = True
        self._wake()

    def _wake(self):
        try:
            # pyghmi ignores datagrams this short; it only wakes up.
            self.waker.sendto(b'\x01', (ipmi_session.myself,
                                        self.waker.getsockname()[1]))
        except OSError:
            pass    # then the tick ends the wait


def serve(served, signals):
    """Answer IPMI and act on signals until asked to stop."""
    next_sweep = time.monotonic() + SWEEP_INTERVAL
    while not signals.stop:
        faulthandler.dump_traceback_later(WATCHDOG, exit=True)
        if not ipmi_session.iothread.is_alive():
            # Nothing is read any more: better dead, and started again
            # by the next deploy, than alive and silent.
            LOG.error('pyghmi\'s I/O thread died; exiting')
            sys.exit(1)
        if signals.reload:
            signals.reload = False
            LOG.info('Reloading %s', served.config_file)
            served.load()
        if time.monotonic() > next_sweep:
            next_sweep = time.monotonic() + SWEEP_INTERVAL
            served.sessions.sweep(ipmi_session.Session.bmc_handlers,
                                  time.monotonic())
        try:
            ipmi_session.Session.wait_for_rsp(timeout=TICK)
        except Exception:
            # One client's bad packet must not silence every BMC here.
            LOG.exception('Unexpected error serving IPMI')


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python3 -m tenks.ipmi_emulator',
                                     description='Serve IPMI BMCs of '
                                     'libvirt domains from one process.')
    parser.add_argument('--config', required=True)
    parser.add_argument('--status', required=True)
    args = parser.parse_args(argv)
    os.umask(0o077)
    # What every thread does, into the log, for whoever debugs a hang.
    faulthandler.register(signal.SIGUSR1)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format='%(asctime)s %(process)d %(levelname)s '
                               '%(name)s: %(message)s')
    # pyghmi wakes its I/O thread through the first socket it made; one
    # that no BMC owns stays open however BMCs come and go.
    signals = Signals(ipmi_session.Session._assignsocket())
    served = emulator.Emulator(args.config, args.status,
                               domain.Connections())
    LOG.info('Started')
    served.load()
    try:
        serve(served, signals)
    finally:
        faulthandler.cancel_dump_traceback_later()
        served.close()
        LOG.info('Stopped')
