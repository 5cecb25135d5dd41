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

"""The LLDP sender of each hypervisor as a reconciled resource kind.

One sender per hypervisor and cluster (tenks/lldp/sender.py, why it is
Tenks' own is said there), running while the hypervisor has node NICs.
Its directory among Tenks' files there holds the program, its
configuration (what each switch port announces), its PID file and its
status; a changed NIC set rewrites the configuration and sends SIGHUP,
and teardown stops it and removes the directory.
"""

import itertools
import json
import os

from tenks.bmc import process
from tenks import contracts
from tenks import exception
from tenks.ironic import fields
from tenks.lldp import sender
from tenks import naming
from tenks import plan
from tenks import waits

NAME = 'lldp-sender'
START_TIMEOUT = 30


def announcements(cluster_id, hypervisor, nics):
    """{switch port: what it announces}, from the port fields Ironic gets.

    One home for local_link_connection: tenks.ironic.fields.port_fields.
    """
    ports = {}
    for nic in nics:
        link = fields.port_fields(nic, naming.bridge_mac(cluster_id,
                                                         nic.bridge),
                                  hypervisor, cluster_id)[
            'local_link_connection']
        ports[nic.veth_bridge] = {'chassis_id': link['switch_id'],
                                  'port_id': link['port_id'],
                                  'system_name': link['switch_info']}
    return ports


def program_text():
    with open(sender.__file__) as stream:
        return stream.read()


class Daemon:
    """The sender of one hypervisor, its files in directory there."""

    def __init__(self, host, directory, log_file):
        self.host = host
        self.directory = directory
        self.program = os.path.join(directory, 'lldp_sender.py')
        self.conf_file = os.path.join(directory, 'ports.json')
        self.status_file = os.path.join(directory, 'status.json')
        self.pid_file = os.path.join(directory, 'lldp-sender.pid')
        self.log_file = log_file

    def exists(self):
        return self.host.is_dir(self.directory)

    def pid(self):
        """PID of the sender Tenks started, if it still runs."""
        return process.recorded_pid(self.host, self.pid_file, self.conf_file)

    def observed(self):
        """What the sender announces and runs, as far as it can be told."""
        text = self.host.read_file(self.conf_file) or ''
        try:
            ports = sender.parse(text)
        except sender.Invalid:
            ports = None
        pid = self.pid()
        status = self.status()
        running = bool(pid) and status.get('pid') == pid and \
            status.get('config_digest') == sender.digest(text)
        return {'ports': ports, 'running': running,
                'program': status.get('program') if running else None,
                'failed': (status.get('failed') or {}) if running else {}}

    def status(self):
        try:
            status = json.loads(self.host.read_file(self.status_file) or '')
        except ValueError:
            return {}
        return status if isinstance(status, dict) else {}

    def configure(self, ports):
        """Announce exactly ports from now on, starting the sender if due."""
        text = sender.render(ports)
        program = program_text()
        current = self.observed()
        self.host.write_file(self.conf_file, text)
        pid = self.pid()
        if pid and current['program'] == sender.digest(program):
            loads = self.status().get('loads', 0)
            self.host.kill([pid], 'HUP')
            status = self._wait_for(text, loads)
        else:
            status = None
        if status is None:
            # Not running, another version, or deaf to SIGHUP: a new one.
            status = self._start(program, text)
        self._check(status)

    def _start(self, program, text):
        process.terminate(self.host, self.pid_file, self.conf_file)
        self.host.write_file(self.program, program)
        self.host.spawn([self.host.executable('python3'), self.program,
                         '--config', self.conf_file,
                         '--status', self.status_file],
                        self.pid_file, self.log_file)
        return self._wait_for(text, 0)

    def _wait_for(self, text, loads):
        """The status once the sender sent what text says; None if not."""
        digest = sender.digest(text)
        attempts = itertools.count(1)

        def sent():
            status = self.status()
            if status.get('config_digest') == digest and status.get(
                    'sent') and status.get('loads', 0) > loads and \
                    status.get('pid') == self.pid():
                return status
            return None

        return waits.until(sent, START_TIMEOUT, 0.1, give_up=lambda: (
            next(attempts) % 5 == 0 and not self.pid()))

    def _check(self, status):
        if status is None or status.get('error') or status.get('failed'):
            status = status or {}
            problems = ['%s: %s' % item for item in sorted(
                (status.get('failed') or {}).items())]
            raise exception.LLDPNotSending(
                host=self.host.name, log=self.log_file,
                problems=[status['error']] if status.get('error') else
                problems or ['did not start'])

    def stop(self):
        """Stop the sender Tenks started, and forget its files."""
        process.terminate(self.host, self.pid_file, self.conf_file)
        self.host.remove_tree(self.directory)


def daemon_of(paths, hypervisor):
    """The sender of hypervisor, paths its tenks.hypervisors.Hypervisors."""
    return Daemon(paths.host(hypervisor), paths.files(hypervisor, 'lldp'),
                  paths.log(hypervisor, 'lldp-sender.log'))


class Sender(contracts.Kind):
    """The hypervisor's LLDP sender, announcing every node NIC's port."""

    name = NAME

    def want(self, ctx, hypervisor):
        nics = [nic for node in ctx.present_nodes(hypervisor)
                for nic in node.nics]
        if not nics:
            return {}
        return {NAME: {
            'ports': announcements(ctx.cluster_id, hypervisor.name, nics),
            'program': sender.digest(program_text())}}

    def observe(self, ctx, hypervisor, want):
        daemon = daemon_of(ctx.hypervisors, hypervisor)
        if not daemon.exists():
            return {}
        return {NAME: plan.Observed(True, daemon.observed())}

    @staticmethod
    def compare(want, have):
        if not have['running']:
            return 'not running'
        if have['ports'] != want['ports']:
            return 'announces other ports'
        if have['program'] != want['program']:
            return 'runs another version of the sender'
        if have['failed']:
            return 'cannot send on %s' % ', '.join(sorted(have['failed']))
        return None

    def apply(self, ctx, hypervisor, actions):
        daemon = daemon_of(ctx.hypervisors, hypervisor)
        for action in actions:
            if action.verb == plan.DELETE:
                daemon.stop()
            else:
                daemon.configure(action.want['ports'])
