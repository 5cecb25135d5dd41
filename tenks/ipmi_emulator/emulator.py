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

"""The BMCs of one configuration file, and the status they are in.

What the emulator serves follows the file: each load stops the BMCs whose
settings changed or went and starts the new ones, and the status file
says what came of it.
"""

import concurrent.futures
import json
import logging
import os

from pyghmi.ipmi.private import session as ipmi_session

from tenks.ipmi_emulator import bmc as ipmi_bmc
from tenks.ipmi_emulator import config as ipmi_config
from tenks.ipmi_emulator import domain as ipmi_domain
from tenks.ipmi_emulator import sessions as ipmi_sessions

LOG = logging.getLogger('tenks-ipmi')
# Threads answering requests (libvirt calls) of all BMCs.
WORKERS = 8


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
