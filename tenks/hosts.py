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

"""Running commands, and keeping files and daemons, on a hypervisor.

Commands are argument lists, never shell strings: over SSH each argument
is quoted for the remote shell, and the few fixed scripts used here take
names as arguments. The local host and a remote one answer the same
calls, so every resource kind works on either. Every command is counted
so that benchmarks can report how much host work a change cost.

An SSH connection that drops mid-command (not the command failing) is
retried only for a repeatable command: a read, or a change that leaves
the same result however often it runs (a whole file written, mkdir -p,
rm -rf). Any other command may or may not have taken effect: it is
never re-run blindly but raised as HostConnectionLost, and the run plans
again from what it then observes (deploy.converge).
"""

import collections
import contextlib
import errno
import hashlib
import logging
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile

from tenks import exception
from tenks import waits

LOG = logging.getLogger(__name__)

Process = collections.namedtuple('Process', 'pid session state args')

# Write a file readable by its owner only, whole or not at all.
# A write that fails half way (a full disk) leaves the old file and no
# temporary one.
_WRITE = ('umask 077 && mkdir -p -- "${0%/*}" && { cat > "$0.tmp" '
          '&& mv -f -- "$0.tmp" "$0" || { rm -f -- "$0.tmp"; exit 1; }; }')
# Start a daemon in a session of its own. It records its own PID before it
# becomes the daemon, so a Tenks killed just after starting it still
# leaves a record the next run finds; its files are its owner's alone.
_SPAWN = ('log=$1; shift; umask 077; mkdir -p -- "${0%/*}" "${log%/*}" '
          '&& echo $$ > "$0.tmp" && mv -f -- "$0.tmp" "$0" '
          '&& exec "$@" >> "$log" 2>&1 < /dev/null')
# The same in a systemd unit: the journal takes the output.
_SPAWN_UNIT = ('umask 077; mkdir -p -- "${0%/*}" && echo $$ > "$0.tmp" '
               '&& mv -f -- "$0.tmp" "$0" && exec "$@" < /dev/null')
# The configuration files under a directory, each after a header line.
_READ_ALL = ('for f in "$0"/*/"$1"; do [ -f "$f" ] || continue; '
             'printf "%s\\n" "==> $f"; cat "$f"; done')
# How ssh itself words a connection that failed or went away, on the last
# line it prints before exiting 255; a remote command's own exit 255
# ends on the command's words instead. Not a refused key or host key:
# trying again cannot fix those. A command sent through a master
# connection that dies says nothing at all: the master being gone
# afterwards tells that apart.
_CONNECTION_LOST = re.compile(
    r'^(ssh: connect to host |Connection (to \S+ )?(closed|reset)|'
    r'Connection timed out|client_loop: |Timeout, server |'
    r'packet_write_wait: |Read from remote host |'
    r'(kex|ssh)_exchange_identification: |mux_client_|'
    r'Control socket connect|ssh_dispatch_run_fatal: |Broken pipe)')
RECONNECT_ATTEMPTS = 4
RECONNECT_FIRST_WAIT = 1


def connection_lost(code, stderr, master_alive):
    """Whether a command's end over ssh says the connection went away.

    code and stderr: the ssh command's; master_alive: whether the master
    connection it went through still ran afterwards.
    """
    if code != 255:
        return False
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return not master_alive or bool(lines) and bool(
        _CONNECTION_LOST.match(lines[-1]))


def never_connected(stderr):
    """Whether ssh failed before it had a connection at all."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return bool(lines) and lines[-1].startswith('ssh: connect to host ')


def unit_name(pid_file):
    """The systemd unit of the daemon recorded in pid_file: one per file."""
    name = os.path.splitext(os.path.basename(pid_file))[0]
    digest = hashlib.sha256(pid_file.encode()).hexdigest()[:8]
    return 'tenks-%s-%s.service' % (re.sub(r'[^A-Za-z0-9_.-]', '-', name),
                                    digest)


class Host:
    """Commands and files on one machine; subclasses say how to reach it."""

    name = None
    # What runs daemons: none (detached) or systemd (transient units).
    supervisor = 'none'

    def __init__(self):
        self.commands = 0

    def _argv(self, argv):
        return argv

    def execute(self, argv, input=None, repeatable=False):
        """Run argv there; return the completed process, whatever its code.

        repeatable: argv may run again if the connection drops (above).
        """
        self.commands += 1
        LOG.debug('%s: %s', self.name, shlex.join(argv))
        try:
            with _stdin(input) as stdin:
                return subprocess.run(self._argv(argv), stdin=stdin,
                                      capture_output=True, text=True)
        except FileNotFoundError:
            raise exception.HostError(host=self.name, command=argv[0],
                                      code=127, stderr='command not found')

    def run(self, argv, input=None, check=True, repeatable=False):
        """Run argv; return its stdout, raising HostError on failure."""
        result = self.execute(argv, input, repeatable)
        return self.stdout_of(argv, result) if check else result.stdout

    def stdout_of(self, argv, result):
        """The stdout of argv's result if it exited 0; else its HostError."""
        if result.returncode:
            raise exception.HostError(
                host=self.name, command=shlex.join(argv),
                code=result.returncode,
                stderr=result.stderr.strip() or result.stdout.strip())
        return result.stdout

    def succeeds(self, argv):
        """Whether argv exits 0; for probes whose failure is an answer."""
        return self.execute(argv, repeatable=True).returncode == 0

    def read_file(self, path):
        """The text of path, or None when it cannot be read."""
        result = self.execute(['cat', '--', path], repeatable=True)
        return result.stdout if result.returncode == 0 else None

    def read_files(self, directory, name):
        """{path: text} of every directory/*/name."""
        files = {}
        path = None
        for line in self.run(['sh', '-c', _READ_ALL, directory, name],
                             repeatable=True).splitlines(keepends=True):
            if line.startswith('==> ' + directory):
                path = line[4:].rstrip('\n')
                files[path] = ''
            elif path:
                files[path] += line
        return files

    def write_file(self, path, text):
        """Write text to path, for its owner only: it may hold secrets."""
        try:
            self.run(['sh', '-c', _WRITE, path], input=text,
                     repeatable=True)
        except exception.HostError as err:
            if os.strerror(errno.ENOSPC) in err.stderr:
                raise exception.HostDiskFull(host=self.name, path=path)
            raise

    def is_dir(self, path):
        return self.succeeds(['test', '-d', path])

    def make_dirs(self, path, private=False):
        """mkdir -p; private: path and the parents it makes owner-only."""
        if private:
            self.run(['sh', '-c', 'umask 077 && mkdir -p -- "$0"', path],
                     repeatable=True)
        else:
            self.run(['mkdir', '-p', '--', path], repeatable=True)

    def remove_tree(self, path):
        self.run(['rm', '-rf', '--', path], repeatable=True)

    def processes(self):
        """Every process there, with its session and state."""
        found = []
        for line in self.run(['ps', '-e', '-o', 'pid=,sid=,stat=,args='],
                             repeatable=True).splitlines():
            fields = line.split(None, 3)
            if len(fields) == 4:
                found.append(Process(int(fields[0]), int(fields[1]),
                                     fields[2][0], fields[3]))
        return found

    def kill(self, pids, signal_name='TERM'):
        if pids:
            self.execute(['kill', '-s', signal_name]
                         + [str(pid) for pid in pids])

    def spawn(self, argv, pid_file, log_file, env=None):
        """Start a daemon there, detached; its PID lands in pid_file.

        Under systemd it is a transient unit, whose main process leads a
        session of its own as a detached one does, its output in the
        journal rather than log_file.
        """
        prefix = ['env'] + ['%s=%s' % item for item in sorted(
            (env or {}).items())] if env else []
        if self.supervisor == 'systemd':
            self.run(['systemd-run', '--quiet', '--collect',
                      '--unit', unit_name(pid_file), '--', 'sh', '-c',
                      _SPAWN_UNIT, pid_file] + prefix + argv)
            return
        self.run(['setsid', '-f', 'sh', '-c', _SPAWN, pid_file, log_file]
                 + prefix + argv)

    def executable(self, name):
        """name beside the running Python (its venv), else on PATH."""
        beside = os.path.join(os.path.dirname(sys.executable), name)
        return beside if self.succeeds(['test', '-x', beside]) else name

    def local_port(self, port):
        """A port here that reaches the host's loopback port."""
        return port

    def close(self):
        pass


class LocalHost(Host):
    """The machine Tenks runs on."""

    name = 'localhost'


class SSHHost(Host):
    """A hypervisor reached by OpenSSH, over one master connection."""

    def __init__(self, name, address, user, port, key=None,
                 known_hosts=None, timeout=10):
        super().__init__()
        self.name = name
        self.address = address
        self.user = user
        self.port = port
        # Until the host first answers, a failure to connect is its being
        # out of reach (hypervisors.reach), not a connection lost; one
        # made and then lost is lost.
        self.answered = False
        # Short: the control socket's path must fit a socket address.
        self._control_dir = tempfile.mkdtemp(prefix='tenks-ssh-')
        self._ssh = ['ssh', '-o', 'BatchMode=yes', '-o', 'ControlMaster=auto',
                     '-o', 'ControlPath=%s/%%C' % self._control_dir,
                     '-o', 'ControlPersist=60',
                     '-o', 'ConnectTimeout=%d' % timeout,
                     '-p', str(port), '-l', user]
        if key:
            self._ssh += ['-i', key]
        if known_hosts:
            self._ssh += ['-o', 'UserKnownHostsFile=' + known_hosts]
        self._forwards = {}

    def _argv(self, argv):
        return self._ssh + [self.address, '--', shlex.join(argv)]

    def execute(self, argv, input=None, repeatable=False):
        def once():
            result = super(SSHHost, self).execute(argv, input)
            if result.returncode != 255 or not connection_lost(
                    255, result.stderr, self._master_pid() is not None):
                self.answered = True
                return result
            if not self.answered and never_connected(result.stderr):
                return result
            raise exception.HostConnectionLost(
                host=self.name, user=self.user, address=self.address,
                port=self.port, command=shlex.join(argv),
                stderr=(result.stderr.strip().splitlines()
                        or ['the connection closed'])[-1])

        def on_retry(error, attempt, wait):
            LOG.warning('%s dropped its SSH connection during `%s`; trying '
                        'again in %.0f s (attempt %d of %d)', self.name,
                        error.command, wait, attempt + 1, attempts)
        attempts = RECONNECT_ATTEMPTS if repeatable else 1
        return waits.retried(
            once, lambda err: isinstance(err, exception.HostConnectionLost),
            attempts, RECONNECT_FIRST_WAIT, on_retry)

    def local_port(self, port):
        master = self._master_pid()
        if master is None:
            # The master went away; the next command makes another.
            self.run(['true'], repeatable=True)
            master = self._master_pid()
        local, made_on = self._forwards.get(port, (None, None))
        if made_on is None or made_on != master:
            local = _free_local_port()
            self.commands += 1
            result = subprocess.run(
                self._ssh + ['-O', 'forward', '-L',
                             '127.0.0.1:%d:127.0.0.1:%d' % (local, port),
                             self.address], capture_output=True, text=True)
            if result.returncode:
                raise exception.HostError(
                    host=self.name, command='ssh -O forward',
                    code=result.returncode, stderr=result.stderr.strip())
            self._forwards[port] = (local, master)
        return local

    def _master_pid(self):
        """The PID of the master connection, whose forwards die with it.

        A master that went away between commands is replaced by the next
        command without an error: its PID tells a forward still there.
        """
        result = subprocess.run(self._ssh + ['-O', 'check', self.address],
                                capture_output=True, text=True)
        found = re.search(r'pid=(\d+)', result.stderr)
        return int(found.group(1)) if result.returncode == 0 and found \
            else None

    def close(self):
        subprocess.run(self._ssh + ['-O', 'exit', self.address],
                       capture_output=True)
        shutil.rmtree(self._control_dir, ignore_errors=True)


def _free_local_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _stdin(text):
    """text as a file the command reads, or no stdin at all.

    A file rather than a pipe: the command gets all of its input even if
    Tenks is killed while it runs, so an `ip -batch` never stops half way
    through a link's creation and marking.
    """
    if text is None:
        yield subprocess.DEVNULL
        return
    with tempfile.TemporaryFile('w+') as stream:
        stream.write(text)
        stream.seek(0)
        yield stream
