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

"""The tenks-ipmi emulator: one process serving many IPMI BMCs.

    python3 -m tenks.bmc.ipmi_emulator --config FILE --status FILE

It serves every BMC listed in the configuration (see ipmi_config), each on
its own address and port, through one libvirt connection. SIGHUP rereads
the configuration: BMCs whose settings did not change keep their sockets
and sessions. SIGTERM stops it; SIGUSR1 logs every thread's stack. After
every (re)load it writes a status file: its PID, its count of loads, the
digest of the configuration it last read, the error that kept it from
loading that (it serves on as before), the BMCs serving and those that
failed to start, so whoever changed the configuration can tell when, and
how, it took effect. Logs go to stderr.
"""

import argparse
import concurrent.futures
import faulthandler
import json
import logging
import os
import signal
import sys
import time

from pyghmi.ipmi.private import session as ipmi_session

from tenks.bmc import ipmi_bmc
from tenks.bmc import ipmi_config
from tenks.bmc import ipmi_domain
from tenks.bmc import ipmi_sessions

LOG = logging.getLogger('tenks-ipmi')
# How long the main loop waits for IPMI traffic before it looks at signals.
TICK = 0.5
# Threads answering requests (libvirt calls) of all BMCs.
WORKERS = 8
# How often idle IPMI sessions are looked for.
SWEEP_INTERVAL = 30
# A main loop stuck this long (seconds) ends the emulator, its threads'
# stacks in the log: Tenks then sees it dead and starts it again, where
# a hung one would look alive and answer nothing.
WATCHDOG = 60


class Emulator:
    """The BMCs of one configuration file, and their status."""

    def __init__(self, config_file, status_file, connections):
        self.config_file = config_file
        self.status_file = status_file
        self.connections = connections
        self.sessions = ipmi_sessions.Sessions()
        self.workers = concurrent.futures.ThreadPoolExecutor(
            WORKERS, thread_name_prefix='answer')
        self.bmcs = {}
        self.settings = {}
        self.failed = {}
        self.error = None
        self.digest = None
        self.loads = 0

    def load(self):
        """Serve what the configuration file lists now."""
        self.loads += 1
        self.digest = None
        try:
            with open(self.config_file) as stream:
                text = stream.read()
            self.digest = ipmi_config.digest(text)
            wanted = ipmi_config.parse(text)
        except (OSError, ipmi_config.Invalid) as err:
            # Keep serving what was loaded before: a bad edit of the file
            # must not take every BMC down.
            self.error = '%s: %s' % (self.config_file, err)
            LOG.error('Configuration not loaded: %s', self.error)
            self.write_status()
            return
        stop, start = ipmi_config.changes(self.settings, wanted)
        self.stop(stop)
        for name in start:
            self.start(name, wanted[name])
        self.error = None
        LOG.info('Serving %d BMC(s); stopped %d, started %d, failed %d',
                 len(self.bmcs), len(stop), len(start), len(self.failed))
        self.write_status()

    def start(self, name, settings):
        self.failed.pop(name, None)
        domain = ipmi_domain.Domain(self.connections,
                                    settings['libvirt_uri'], name)
        try:
            self.bmcs[name] = ipmi_bmc.DomainBMC(
                name, settings, domain, self.sessions, self.workers)
        except OSError as err:
            self.failed[name] = 'cannot listen on %s:%d: %s' % (
                settings['address'], settings['port'], err.strerror or err)
            LOG.error('%s: %s', name, self.failed[name])
            return
        self.settings[name] = settings
        LOG.info('%s: listening on %s:%d', name, settings['address'],
                 settings['port'])

    def stop(self, names):
        if not names:
            return
        bmcs = [self.bmcs.pop(name) for name in names]
        for bmc in bmcs:
            ipmi_session.iosockets.remove(bmc.serversocket)
        # One full turn of pyghmi's I/O thread: afterwards it no longer
        # reads the sockets, so neither forgetting their sessions nor
        # closing them can race with it (its thread dies on a closed
        # socket, or on a session gone between its lookups). Not
        # wait_for_rsp: that returns at once while packets are queued.
        ipmi_session._io_wait(0.05)
        for name, bmc in zip(names, bmcs):
            self.settings.pop(name)
            bmc.close().close()
            LOG.info('%s: stopped', name)

    def write_status(self):
        status = {'pid': os.getpid(), 'loads': self.loads,
                  'config_digest': self.digest,
                  'serving': sorted(self.bmcs), 'failed': self.failed,
                  'error': self.error}
        temporary = self.status_file + '.tmp'
        with open(temporary, 'w') as stream:
            json.dump(status, stream, sort_keys=True)
        os.replace(temporary, self.status_file)

    def close(self):
        self.stop(sorted(self.bmcs))
        self.workers.shutdown(cancel_futures=True)
        self.connections.close()


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


def serve(emulator, signals):
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
            LOG.info('Reloading %s', emulator.config_file)
            emulator.load()
        if time.monotonic() > next_sweep:
            next_sweep = time.monotonic() + SWEEP_INTERVAL
            emulator.sessions.sweep(ipmi_session.Session.bmc_handlers,
                                    time.monotonic())
        try:
            ipmi_session.Session.wait_for_rsp(timeout=TICK)
        except Exception:
            # One client's bad packet must not silence every BMC here.
            LOG.exception('Unexpected error serving IPMI')


def main(argv=None):
    parser = argparse.ArgumentParser(description='Serve IPMI BMCs of '
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
    emulator = Emulator(args.config, args.status, ipmi_domain.Connections())
    LOG.info('Started')
    emulator.load()
    try:
        serve(emulator, signals)
    finally:
        faulthandler.cancel_dump_traceback_later()
        emulator.close()
        LOG.info('Stopped')


if __name__ == '__main__':
    main()
