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
"""

import configparser
import contextlib
import json
import os
import shutil
import time

import zmq

from tenks.bmc import process
from tenks import exception

START_TIMEOUT = 15
REPLY_TIMEOUT_MS = 30000


class Daemon:

    def __init__(self, state_dir, log_dir, control_port):
        self.directory = os.path.join(state_dir, 'vbmc')
        self.config_dir = os.path.join(self.directory, 'bmcs')
        self.conf_file = os.path.join(self.directory, 'virtualbmc.conf')
        self.pid_file = os.path.join(self.directory, 'tenks-vbmcd.pid')
        self.log_file = os.path.join(log_dir, 'vbmcd.log')
        self.port = control_port

    def pid(self):
        """PID of the vbmcd Tenks started, if it still runs."""
        return process.recorded_pid(self.pid_file, b'vbmcd')

    def exists(self):
        return os.path.isdir(self.directory)

    def start(self):
        os.makedirs(self.config_dir, mode=0o700, exist_ok=True)
        os.makedirs(os.path.dirname(self.log_file), exist_ok=True)
        self._write_conf()
        # What is left of a vbmcd that died would keep the ports.
        process.terminate(self.pid_file, b'vbmcd')
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(self.directory, 'vbmcd-own.pid'))
        child = process.spawn(
            [process.executable('vbmcd'), '--foreground'], self.pid_file,
            self.log_file,
            env=dict(os.environ, VIRTUALBMC_CONFIG=self.conf_file))
        self._wait_until_serving(child)

    def _write_conf(self):
        conf = configparser.ConfigParser()
        conf['default'] = {
            'config_dir': self.config_dir,
            'pid_file': os.path.join(self.directory, 'vbmcd-own.pid'),
            'server_port': str(self.port),
            'show_passwords': 'false',
        }
        conf['log'] = {'logfile': self.log_file}
        with open(self.conf_file, 'w') as stream:
            conf.write(stream)

    def _wait_until_serving(self, child):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if child.poll() is not None:
                break
            try:
                self.call('list', timeout_ms=500)
                return
            except exception.BMCError:
                time.sleep(0.1)
        raise exception.BMCError(
            'vbmcd did not start serving on port %d; see %s'
            % (self.port, self.log_file))

    def stop(self):
        """Stop the vbmcd Tenks started (it stops its BMCs), and forget it."""
        process.terminate(self.pid_file, b'vbmcd')
        shutil.rmtree(self.directory, ignore_errors=True)

    def call(self, command, timeout_ms=REPLY_TIMEOUT_MS, **arguments):
        """Send one control request; return the reply or raise BMCError."""
        context = zmq.Context.instance()
        socket = context.socket(zmq.REQ)
        socket.setsockopt(zmq.LINGER, 0)
        try:
            socket.connect('tcp://127.0.0.1:%d' % self.port)
            socket.send_string(json.dumps(dict(arguments, command=command)))
            if not socket.poll(timeout_ms):
                raise exception.BMCError(
                    'vbmcd on port %d did not answer %r' % (self.port,
                                                            command))
            reply = json.loads(socket.recv_string())
        finally:
            socket.close()
        if reply.get('rc'):
            raise exception.BMCError('vbmcd %s failed: %s' % (
                command, '; '.join(reply.get('msg') or ['no reason given'])))
        return reply

    def bmc_configs(self):
        """Settings of each BMC in Tenks' vbmcd config directory."""
        configs = {}
        if not os.path.isdir(self.config_dir):
            return configs
        for name in os.listdir(self.config_dir):
            parser = configparser.ConfigParser()
            if parser.read(os.path.join(self.config_dir, name, 'config')):
                configs[name] = dict(parser['VirtualBMC'])
        return configs
