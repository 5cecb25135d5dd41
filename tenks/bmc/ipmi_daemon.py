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

"""The tenks-ipmi emulator Tenks runs on a hypervisor: files and process.

The emulator is tenks.ipmi_emulator, run by the hypervisor's Python
(the one beside Tenks' own when it exists there, as for vbmcd). Tenks
writes its configuration, records the PID it started, and after a change
sends SIGHUP and waits for the emulator's status to name the new
configuration.
"""

import itertools
import json
import logging
import os

from tenks.bmc import process
from tenks import exception
from tenks.ipmi_emulator import config as ipmi_config
from tenks import waits

LOG = logging.getLogger(__name__)
MODULE = 'tenks.ipmi_emulator'
START_TIMEOUT = 30
RELOAD_TIMEOUT = 30


class Daemon:
    """The emulator of one hypervisor, its files in directory there."""

    def __init__(self, host, directory, log_file):
        self.host = host
        self.directory = directory
        self.conf_file = os.path.join(directory, 'bmcs.json')
        self.status_file = os.path.join(directory, 'status.json')
        self.pid_file = os.path.join(directory, 'tenks-ipmi.pid')
        self.log_file = log_file

    def pid(self):
        """PID of the emulator Tenks started, if it still runs."""
        return process.recorded_pid(self.host, self.pid_file, self.conf_file)

    def exists(self):
        return self.host.is_dir(self.directory)

    def bmc_configs(self):
        """{domain name: settings} of the configuration file; {} if none."""
        text = self.host.read_file(self.conf_file)
        try:
            return ipmi_config.parse(text) if text else {}
        except ipmi_config.Invalid:
            return {}

    def serving(self, pid):
        """Names of the BMCs the emulator with pid answers for."""
        status = self._status()
        if not pid or status.get('pid') != pid:
            return set()
        return set(status.get('serving', ()))

    def _status(self):
        try:
            status = json.loads(self.host.read_file(self.status_file) or '')
        except ValueError:
            return {}
        return status if isinstance(status, dict) else {}

    def start(self):
        """(Re)start the emulator on the configuration file as it is."""
        text = self.host.read_file(self.conf_file)
        if not text:
            text = ipmi_config.render({})
            self.host.write_file(self.conf_file, text)
        # A dead emulator's PID is never signalled; a live one is ended.
        process.terminate(self.host, self.pid_file, self.conf_file)
        self.host.spawn([self.host.executable('python3'), '-m', MODULE,
                         '--config', self.conf_file,
                         '--status', self.status_file],
                        self.pid_file, self.log_file)
        status = self._wait_for(text, START_TIMEOUT)
        if status is None:
            raise exception.DaemonNotServing(
                daemon='tenks-ipmi emulator', where='the BMCs of %s'
                % self.conf_file, log=self.log_file, host=self.host.name)
        self._check(status)

    def configure(self, bmcs):
        """Serve exactly bmcs ({name: settings}) from now on."""
        text = ipmi_config.render(bmcs)
        self.host.write_file(self.conf_file, text)
        pid = self.pid()
        if not pid:
            return
        status = self._status()
        # Even an unchanged file is loaded again: BMCs that failed to
        # start are retried.
        loads = status.get('loads', 0) if status.get('pid') == pid else 0
        self.host.kill([pid], 'HUP')
        status = self._wait_for(text, RELOAD_TIMEOUT, loads)
        if status is None:
            # Stuck (in a libvirt call, say) or dead: a new one reads the
            # file, while its BMCs are silent a moment.
            LOG.warning('tenks-ipmi emulator on %s did not reload in %d s '
                        '(see %s); starting it again', self.host.name,
                        RELOAD_TIMEOUT, self.log_file)
            self.start()
        else:
            self._check(status)

    def _wait_for(self, text, timeout, loads=0):
        """The emulator's status once it loaded text; None if it did not."""
        digest = ipmi_config.digest(text)
        attempts = itertools.count(1)

        def loaded():
            status = self._status()
            if status.get('config_digest') == digest and \
                    status.get('loads', 0) > loads and \
                    status.get('pid') == self.pid():
                return status
            return None

        # Whether it died, only now and then: each look is a command.
        return waits.until(loaded, timeout, 0.1, give_up=lambda: (
            next(attempts) % 5 == 0 and not self.pid()))

    def _check(self, status):
        problems = ['%s: %s' % item for item in sorted(
            status.get('failed', {}).items())]
        if status.get('error'):
            problems.insert(0, status['error'])
        if problems:
            raise exception.DaemonReportsFailures(
                daemon='tenks-ipmi emulator', host=self.host.name,
                problems=problems)

    def stop(self):
        """Stop the emulator Tenks started, and forget its files."""
        process.terminate(self.host, self.pid_file, self.conf_file)
        self.host.remove_tree(self.directory)
