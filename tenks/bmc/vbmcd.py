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

"""The vbmcd daemon Tenks runs: its files, its process, its control API.

Tenks runs its own vbmcd (own config directory, control port, pid file
and log) so a vbmcd of the user is never touched, and talks to it through
the control socket the vbmc CLI uses, without paying a CLI start-up per
call. vbmcd's own pid file is not trusted; Tenks records the PID it
started.

Each cluster's vbmcd has a control port of its own unless one is
configured: a free one chosen at its first start and recorded in its
configuration file, among its files. Before the first request of a run,
the process listening on the port must be the vbmcd Tenks started: a
vbmcd of another cluster or of the user there is never handed BMCs nor
asked to delete its own.
"""

import configparser
import hashlib
import io
import json
import os
import re

import zmq

from tenks.bmc import process
from tenks import exception
from tenks import waits

START_TIMEOUT = 15
REPLY_TIMEOUT_MS = 30000
# Where a control port is chosen when none is configured: below the
# kernel's ephemeral ports, which outgoing connections take.
PORT_RANGE = (20000, 30000)
_LISTENER_PID = re.compile(r'pid=(\d+)')


def listeners(ss_output):
    """{port: {PID, ...}} of what listens, from `ss -Htlnp`."""
    found = {}
    for line in ss_output.splitlines():
        fields = line.split()
        if len(fields) < 4 or not fields[3].rpartition(':')[2].isdigit():
            continue
        port = int(fields[3].rpartition(':')[2])
        found.setdefault(port, set()).update(
            int(pid) for pid in _LISTENER_PID.findall(line))
    return found


def choose_port(directory, taken):
    """A control port for the vbmcd of directory's files, not in taken.

    Derived from the directory, so that the clusters of a host start
    from different ports; the first one not taken from there.
    """
    low, high = PORT_RANGE
    first = int(hashlib.sha256(directory.encode()).hexdigest(), 16)
    for offset in range(high - low):
        port = low + (first + offset) % (high - low)
        if port not in taken:
            return port
    raise ValueError('no free port in %d-%d' % PORT_RANGE)


class Daemon:
    """Tenks' vbmcd on one hypervisor, its files in directory there."""

    def __init__(self, host, directory, log_file, control_port=None):
        self.host = host
        self.directory = directory
        self.config_dir = os.path.join(directory, 'bmcs')
        self.conf_file = os.path.join(directory, 'virtualbmc.conf')
        self.pid_file = os.path.join(directory, 'tenks-vbmcd.pid')
        self.log_file = log_file
        self._port = control_port
        # Whether the listener on the port was seen to be this vbmcd.
        self._checked = False

    @property
    def port(self):
        """The control port: configured, else recorded with the files."""
        if self._port is None:
            self._port = self._recorded_port()
        return self._port

    def _recorded_port(self):
        conf = configparser.ConfigParser()
        conf.read_string(self.host.read_file(self.conf_file) or '')
        port = conf.get('default', 'server_port', fallback='')
        return int(port) if port.isdigit() else None

    def _listeners(self):
        return listeners(self.host.run(['ss', '-Htlnp'], repeatable=True))

    def _check_ours(self):
        """Raise DaemonNotOurs if another process serves the port."""
        if self._checked:
            return
        holders = self._listeners().get(self.port, set())
        if not holders:
            return      # nothing to talk to yet: the request times out
        ours = self.pid()
        if ours not in holders:
            raise exception.DaemonNotOurs(
                daemon='vbmcd', host=self.host.name, port=self.port,
                pids=[str(pid) for pid in sorted(holders)],
                ours='PID %d' % ours if ours else 'not running')
        self._checked = True

    def pid(self):
        """PID of the vbmcd Tenks started, if it still runs."""
        return process.recorded_pid(self.host, self.pid_file, 'vbmcd')

    def exists(self):
        return self.host.is_dir(self.directory)

    def start(self):
        if self.port is None:
            self._port = choose_port(self.directory, self._listeners())
        self.host.make_dirs(self.config_dir, private=True)
        self.host.write_file(self.conf_file, self._conf())
        # What is left of a vbmcd that died would keep the ports.
        process.terminate(self.host, self.pid_file, 'vbmcd')
        self._checked = False
        self.host.spawn([self.host.executable('vbmcd'), '--foreground'],
                        self.pid_file, self.log_file,
                        env={'VIRTUALBMC_CONFIG': self.conf_file})
        try:
            self._wait_until_serving()
        except exception.DaemonNotOurs:
            # Another's port: the vbmcd just started cannot serve there.
            process.terminate(self.host, self.pid_file, 'vbmcd')
            raise

    def _conf(self):
        conf = configparser.ConfigParser()
        conf['default'] = {
            'config_dir': self.config_dir,
            'pid_file': os.path.join(self.directory, 'vbmcd-own.pid'),
            'server_port': str(self.port),
            'show_passwords': 'false',
        }
        conf['log'] = {'logfile': self.log_file}
        text = io.StringIO()
        conf.write(text)
        return text.getvalue()

    def _wait_until_serving(self):
        if waits.until(self._serving, START_TIMEOUT, 0.1,
                       give_up=lambda: not self.pid()):
            return
        raise exception.DaemonNotServing(
            daemon='vbmcd', where='on port %d' % self.port,
            log=self.log_file, host=self.host.name)

    def _serving(self):
        try:
            self.call('list', timeout_ms=500)
        except (exception.DaemonSilent, exception.DaemonRefused):
            return False
        return True

    def stop(self):
        """Stop the vbmcd Tenks started (it stops its BMCs), and forget it."""
        process.terminate(self.host, self.pid_file, 'vbmcd')
        self.host.remove_tree(self.directory)

    def call(self, command, timeout_ms=REPLY_TIMEOUT_MS, **arguments):
        """Send one control request; return the reply or raise BMCError."""
        self._check_ours()
        context = zmq.Context.instance()
        socket = context.socket(zmq.REQ)
        socket.setsockopt(zmq.LINGER, 0)
        try:
            socket.connect('tcp://127.0.0.1:%d'
                           % self.host.local_port(self.port))
            socket.send_string(json.dumps(dict(arguments, command=command)))
            if not socket.poll(timeout_ms):
                raise exception.DaemonSilent(
                    daemon='vbmcd', host=self.host.name, port=self.port,
                    request=command)
            reply = json.loads(socket.recv_string())
        finally:
            socket.close()
        if reply.get('rc'):
            raise exception.DaemonRefused(daemon='vbmcd', request=command,
                                          reasons=reply.get('msg'))
        return reply

    def bmc_configs(self):
        """Settings of each BMC in Tenks' vbmcd config directory."""
        configs = {}
        for path, text in self.host.read_files(self.config_dir,
                                               'config').items():
            parser = configparser.ConfigParser()
            parser.read_string(text)
            if parser.has_section('VirtualBMC'):
                configs[os.path.basename(os.path.dirname(path))] = dict(
                    parser['VirtualBMC'])
        return configs
