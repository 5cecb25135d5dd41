#!/usr/bin/env python3
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

"""Run a throwaway standalone Ironic for development and functional tests.

One all-in-one ``ironic`` process (API and conductor, no RPC bus, SQLite),
everything it writes kept under one work directory::

    standalone_ironic.py start  --workdir DIR [--port 6385] [--keystone]
    standalone_ironic.py status --workdir DIR
    standalone_ironic.py stop   --workdir DIR [--purge]

Without ``--keystone`` Ironic takes requests unauthenticated (noauth). With
it, a real Keystone (served by tools/serve_keystone.py, files in
DIR/keystone) runs beside it, Ironic validates tokens with it, and the
cloud is password-auth.

Clients then use ``OS_CLIENT_CONFIG_FILE=DIR/clouds.yaml`` and
``OS_CLOUD=tenks-standalone``.  Also importable: ``StandaloneIronic``,
``StandaloneKeystone``.
"""

import argparse
import configparser
import copy
import grp
import os
import pathlib
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import yaml

CLOUD_NAME = 'tenks-standalone'
DEFAULT_PORT = 6385
HOST = '127.0.0.1'
REGION = 'RegionOne'
SERVE_KEYSTONE = pathlib.Path(__file__).with_name('serve_keystone.py')
# ironic.conf apart from paths and port (see StandaloneIronic.ironic_config).
IRONIC_SETTINGS = {
    'DEFAULT': {
        'auth_strategy': 'noauth',
        # The all-in-one process calls its conductor directly.
        'rpc_transport': 'none',
        # Default is the address of the default route (eth0 here).
        'my_ip': HOST,
        # stderr is appended to the same log: avoid every line twice.
        'use_stderr': 'false',
        'enabled_hardware_types': 'ipmi,redfish,fake-hardware',
        # A type's default interface is its first supported one enabled:
        # fake-hardware gets fake boot/deploy, ipmi/redfish ipxe/direct.
        'enabled_boot_interfaces': 'fake,ipxe,pxe,redfish-virtual-media',
        'enabled_deploy_interfaces': 'fake,direct,ramdisk',
        'enabled_power_interfaces': 'fake,ipmitool,redfish',
        'enabled_management_interfaces': 'fake,ipmitool,redfish,noop',
        'enabled_inspect_interfaces': 'fake,no-inspect,redfish',
        'enabled_vendor_interfaces': 'fake,ipmitool,redfish,no-vendor',
        # No Neutron: ports are just records.
        'enabled_network_interfaces': 'noop',
    },
    'dhcp': {'dhcp_provider': 'none'},
    'conductor': {
        # Cleaning needs a deploy ramdisk: go straight to available.
        'automated_clean': 'false',
        # Notice out-of-band power changes (e.g. virsh) quickly, and record
        # them rather than force the node back (Ironic's default): tests
        # drive VMs through their BMCs directly too.
        'sync_power_state_interval': '5',
        'force_power_state_during_sync': 'false',
        # Stop in seconds: there is no work to hand over.
        'graceful_shutdown_timeout': '5',
    },
    'ipmi': {
        # VirtualBMC copes with back-to-back commands; the default 5 s gap
        # makes every power action take ~15 s.
        'min_command_interval': '1',
        # Give up on an unreachable BMC after 10 s rather than 60 s.
        'command_retry_timeout': '10',
    },
    # No Nova here: never try to reach it on power state changes.
    'nova': {'send_power_notifications': 'false'},
}
# Logged by Ironic's process manager (cotyledon) when a worker dies.
_WORKER_DIED = re.compile(r'Child \d+ exited with status [1-9]')


class StandaloneIronicError(Exception):
    """Ironic could not be started, stopped or inspected."""


def find_executable(name):
    """Return the path of a console script, preferring our own venv's."""
    # The venv need not be activated (PATH may not include its bin), but
    # its scripts always sit next to the interpreter running us.
    candidate = pathlib.Path(sys.executable).parent / name
    if os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise StandaloneIronicError('Cannot find the %r executable' % name)
    return found


def find_free_port():
    """Return a TCP port on the loopback address that is free right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_in_use(port):
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0


def _proc_stat(pid):
    """Return the fields of /proc/PID/stat from the state on, or None."""
    try:
        stat = pathlib.Path('/proc/%s/stat' % pid).read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may contain spaces: split after its ')'.
    return stat.rsplit(')', 1)[1].split()


def _is_alive(pid):
    # A zombie has exited; it only waits for its parent to reap it.
    fields = _proc_stat(pid)
    return fields is not None and fields[0] != 'Z'


def _group_members(pgid):
    """Return the live PIDs whose process group is pgid."""
    members = []
    for entry in pathlib.Path('/proc').iterdir():
        fields = _proc_stat(entry.name) if entry.name.isdigit() else None
        if fields and fields[0] != 'Z' and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _cmdline(pid):
    try:
        raw = pathlib.Path('/proc/%d/cmdline' % pid).read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return raw.decode(errors='replace').split('\0')


def _wait_until(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def spawn(command, log_file, cwd, env=None):
    """Start a daemon logging to log_file; return its Popen."""
    with open(log_file, 'ab') as log:
        # Own session: it outlives the CLI that started it and the
        # whole group (it may fork workers) can be stopped together.
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, cwd=cwd, env=env,
            start_new_session=True)


def terminate(pid, timeout):
    """SIGTERM pid and its workers, SIGKILL them if they linger."""
    # We made it a session (so group) leader and its forked workers
    # share its group; only if it somehow is not, signal the PID alone.
    try:
        group = pid if os.getpgid(pid) == pid else None
    except ProcessLookupError:
        return

    def gone():
        return not (_group_members(group) if group else _is_alive(pid))

    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
        try:
            if group:
                os.killpg(group, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            return
        if _wait_until(gone, wait):
            return
    raise StandaloneIronicError('PID %d would not exit' % pid)


def _open_private(path):
    """Open path for writing, readable by us alone: it may hold passwords."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, 'w')


def http_ok(url):
    """Whether url answers 200 right now."""
    # No proxy: a proxy from the environment cannot reach our loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class StandaloneKeystone:
    """A throwaway Keystone (SQLite, fernet) served by cheroot from workdir.

    Bootstrapped with an ``admin`` user (system and ``admin`` project
    admin), plus an ``ironic`` service user in the ``service`` project and
    the ``baremetal`` service in the catalogue once Ironic's endpoint is
    known.  Passwords are new on every start: bootstrap and
    ``register_ironic`` reset them, and clouds.yaml is written afresh.
    """

    def __init__(self, workdir, port):
        self.workdir = pathlib.Path(workdir).absolute()
        self.port = int(port)
        self.admin_password = secrets.token_urlsafe(16)
        self.ironic_password = secrets.token_urlsafe(16)
        self._proc = None

    @property
    def endpoint(self):
        return 'http://%s:%d' % (HOST, self.port)

    @property
    def auth_url(self):
        return self.endpoint + '/v3'

    @property
    def config_file(self):
        return self.workdir / 'keystone.conf'

    @property
    def log_file(self):
        return self.workdir / 'keystone.log'

    @property
    def pid_file(self):
        return self.workdir / 'keystone.pid'

    def keystone_config(self):
        work = str(self.workdir)
        return {
            'DEFAULT': {'log_file': str(self.log_file),
                        'use_stderr': 'false'},
            'database': {'connection': 'sqlite:///%s/keystone.sqlite' % work},
            'token': {'provider': 'fernet'},
            # Defaults are under /etc/keystone: keep every key in workdir.
            'fernet_tokens': {'key_repository': work + '/fernet-keys'},
            'fernet_receipts': {'key_repository': work + '/fernet-keys'},
            'credential': {'key_repository': work + '/credential-keys'},
        }

    def admin_auth(self):
        """Password auth of the bootstrap admin, system-scoped.

        System scope, as DevStack's ``devstack-system-admin``: Ironic's
        default policy lets a system admin manage every node, while a
        project admin only sees nodes its project owns.
        """
        return {'auth_url': self.auth_url, 'username': 'admin',
                'password': self.admin_password,
                'user_domain_name': 'Default', 'system_scope': 'all'}

    def authtoken_config(self):
        """Ironic's [keystone_authtoken]: validate tokens as ``ironic``."""
        return {'auth_type': 'password', 'auth_url': self.auth_url,
                'www_authenticate_uri': self.auth_url,
                'username': 'ironic', 'password': self.ironic_password,
                'user_domain_name': 'Default', 'project_name': 'service',
                'project_domain_name': 'Default'}

    def _manage(self, *args, env=None):
        command = [find_executable('keystone-manage'),
                   '--config-file', str(self.config_file)] + list(args)
        result = subprocess.run(command, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, env=env)
        if result.returncode:
            raise StandaloneIronicError(
                'keystone-manage %s failed (%d):\n%s%s' % (
                    args[0], result.returncode, result.stdout,
                    result.stderr))

    def _prepare(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_dict(self.keystone_config())
        with open(self.config_file, 'w') as f:
            parser.write(f)
        # Key files are made owned by whoever will serve Keystone: us.
        owner = ['--keystone-user', pwd.getpwuid(os.getuid()).pw_name,
                 '--keystone-group', grp.getgrgid(os.getgid()).gr_name]
        # Each is safe to repeat on an existing work dir: keys and data
        # are kept, the admin password is reset.
        self._manage('fernet_setup', *owner)
        self._manage('credential_setup', *owner)
        self._manage('db_sync')
        # The password through the environment: not shown by ps, and
        # never taken for an option when it starts with '-'.
        env = dict(os.environ, OS_BOOTSTRAP_PASSWORD=self.admin_password)
        self._manage('bootstrap', '--bootstrap-username', 'admin',
                     '--bootstrap-project-name', 'admin',
                     '--bootstrap-role-name', 'admin',
                     '--bootstrap-service-name', 'keystone',
                     '--bootstrap-region-id', REGION,
                     '--bootstrap-admin-url', self.auth_url,
                     '--bootstrap-internal-url', self.auth_url,
                     '--bootstrap-public-url', self.auth_url, env=env)

    def start(self, timeout=60):
        """Configure, bootstrap and serve Keystone; return the PID."""
        running = self.pid()
        if running:
            raise StandaloneIronicError(
                'Keystone is already running from %s (PID %d)'
                % (self.workdir, running))
        if port_in_use(self.port):
            raise StandaloneIronicError(
                'Port %s:%d is already in use' % (HOST, self.port))
        self._prepare()
        self._proc = spawn([sys.executable, str(SERVE_KEYSTONE), HOST,
                            str(self.port), str(self.config_file)],
                           self.log_file, self.workdir)
        self.pid_file.write_text('%d\n' % self._proc.pid)
        _wait_until(lambda: self.api_answers() or self._proc.poll()
                    is not None, timeout, interval=0.5)
        if not self.api_answers():
            self.stop()
            raise StandaloneIronicError(
                'Keystone did not answer on %s (waited up to %d s); see %s'
                % (self.auth_url, timeout, self.log_file))
        return self._proc.pid

    def register_ironic(self, endpoint):
        """Create Ironic's service user and its catalogue entry."""
        import openstack.config
        import openstack.connection
        # Not from clouds.yaml or OS_* variables: they may name another.
        region = openstack.config.get_cloud_region(
            load_yaml_config=False, load_envvars=False,
            auth_type='password', auth=self.admin_auth(),
            region_name=REGION)
        conn = openstack.connection.Connection(config=region)
        try:
            identity = conn.identity
            project = (identity.find_project('service', domain_id='default')
                       or identity.create_project(name='service',
                                                  domain_id='default'))
            user = identity.find_user('ironic', domain_id='default')
            if user:
                identity.update_user(user, password=self.ironic_password)
            else:
                user = identity.create_user(
                    name='ironic', domain_id='default',
                    password=self.ironic_password,
                    default_project_id=project.id)
            # All keystonemiddleware needs to validate users' tokens.
            identity.assign_project_role_to_user(
                project, user, identity.find_role('service'))
            self._catalogue_baremetal(identity, endpoint)
        finally:
            conn.close()

    def _catalogue_baremetal(self, identity, endpoint):
        service = identity.find_service('ironic')
        if service is None:
            service = identity.create_service(name='ironic',
                                              type='baremetal')
        for old in identity.endpoints(service_id=service.id):
            identity.delete_endpoint(old)
        for interface in ('public', 'internal', 'admin'):
            identity.create_endpoint(service_id=service.id, url=endpoint,
                                     interface=interface, region_id=REGION)

    def api_answers(self):
        return http_ok(self.auth_url)

    def pid(self):
        """Return the PID of our running Keystone server, or None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        cmdline = _cmdline(pid)
        if not _is_alive(pid) or str(self.config_file) not in cmdline:
            return None
        return pid

    def stop(self, timeout=30):
        """Stop our Keystone (if running); return whether it was running."""
        if self._proc is not None and self._proc.poll() is None:
            pid = self._proc.pid
        else:
            pid = self.pid()
        if pid:
            terminate(pid, timeout)
        if self._proc is not None:
            self._proc.wait()
            self._proc = None
        self.pid_file.unlink(missing_ok=True)
        return pid is not None


class StandaloneIronic:
    """One throwaway all-in-one Ironic whose files all live in workdir."""

    def __init__(self, workdir, port=DEFAULT_PORT, keystone=None):
        self.workdir = pathlib.Path(workdir).absolute()
        self.port = int(port)
        # A StandaloneKeystone to authenticate with, or None for noauth.
        self.keystone = keystone
        self._proc = None  # Set when this object started the process.

    @property
    def endpoint(self):
        return 'http://%s:%d' % (HOST, self.port)

    @property
    def config_file(self):
        return self.workdir / 'ironic.conf'

    @property
    def clouds_yaml(self):
        return self.workdir / 'clouds.yaml'

    @property
    def log_file(self):
        return self.workdir / 'ironic.log'

    @property
    def pid_file(self):
        return self.workdir / 'ironic.pid'

    @property
    def cloud_name(self):
        return CLOUD_NAME

    def ironic_config(self):
        """Return ironic.conf as {section: {option: value}}."""
        work = str(self.workdir)
        conf = copy.deepcopy(IRONIC_SETTINGS)
        conf['DEFAULT'].update(state_path=work, log_file=str(self.log_file))
        conf['api'] = {'host_ip': HOST, 'port': str(self.port)}
        conf['database'] = {
            # SQLite serialises writers; wait for the lock rather than fail
            # a client's request (the default waits 5 s).
            'connection': 'sqlite:///%s/ironic.sqlite?timeout=60' % work}
        # PXE/iPXE boot interfaces write files here when they are loaded.
        conf['pxe'] = {'tftp_root': work + '/tftpboot'}
        # iPXE nodes validate only with an HTTP URL; nothing serves it here.
        conf['deploy'] = {'http_root': work + '/httpboot',
                          'http_url': 'http://%s:8080' % HOST}
        conf['oslo_concurrency'] = {'lock_path': work + '/locks'}
        if self.keystone:
            conf['DEFAULT']['auth_strategy'] = 'keystone'
            conf['keystone_authtoken'] = self.keystone.authtoken_config()
        return conf

    def clouds_config(self):
        if self.keystone:
            # The endpoint comes from Keystone's catalogue.
            cloud = {'auth_type': 'password',
                     'auth': self.keystone.admin_auth(),
                     'region_name': REGION}
        else:
            cloud = {
                'auth_type': 'none',
                'endpoint': self.endpoint,
                'baremetal_endpoint_override': self.endpoint,
            }
        return {'clouds': {CLOUD_NAME: cloud}}

    def write_config(self):
        # iPXE writes boot.ipxe into http_root when loaded: it must exist.
        for sub in ('httpboot', 'tftpboot', 'locks'):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_dict(self.ironic_config())
        with _open_private(self.config_file) as f:
            parser.write(f)
        with _open_private(self.clouds_yaml) as f:
            yaml.safe_dump(self.clouds_config(), f, default_flow_style=False)

    def _run_dbsync(self):
        # create_schema refuses an existing database; upgrade keeps its nodes.
        db_exists = (self.workdir / 'ironic.sqlite').exists()
        command = [find_executable('ironic-dbsync'),
                   '--config-file', str(self.config_file),
                   'upgrade' if db_exists else 'create_schema']
        result = subprocess.run(command, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL)
        if result.returncode:
            raise StandaloneIronicError(
                'ironic-dbsync failed (%d):\n%s%s' % (
                    result.returncode, result.stdout, result.stderr))

    def _spawn(self):
        self._proc = spawn([find_executable('ironic'),
                            '--config-file', str(self.config_file)],
                           self.log_file, self.workdir)
        self.pid_file.write_text('%d\n' % self._proc.pid)
        return self._proc.pid

    def api_answers(self):
        return http_ok(self.endpoint + '/v1')

    def _log_since(self, offset):
        try:
            with open(self.log_file, 'rb') as log:
                log.seek(offset)
                return log.read().decode(errors='replace')
        except FileNotFoundError:
            return ''

    def start(self, timeout=60):
        """Configure, start and wait for the API; return the PID."""
        running = self.pid()
        if running:
            raise StandaloneIronicError(
                'Ironic is already running from %s (PID %d)'
                % (self.workdir, running))
        # Else we would "wait" successfully on somebody else's server.
        if port_in_use(self.port):
            raise StandaloneIronicError(
                'Port %s:%d is already in use' % (HOST, self.port))
        try:
            if self.keystone:
                self.keystone.start(timeout)
                self.keystone.register_ironic(self.endpoint)
            self.write_config()
            self._run_dbsync()
        except Exception:
            self.stop()
            raise
        log_offset = self._log_size()
        pid = self._spawn()
        _wait_until(lambda: self.api_answers() or self._failed(log_offset),
                    timeout, interval=0.5)
        if not self.api_answers():
            self.stop()
            raise StandaloneIronicError(
                'Ironic did not answer on %s/v1 (waited up to %d s); from '
                '%s:\n%s' % (self.endpoint, timeout, self.log_file,
                             self._failure_excerpt(log_offset)))
        return pid

    def _failure_excerpt(self, log_offset, lines=25):
        # Up to the first worker death: what follows is re-fork noise.
        text = self._log_since(log_offset)
        crash = _WORKER_DIED.search(text)
        if crash:
            text = text[:crash.end()]
        return '\n'.join(text.splitlines()[-lines:])

    def _log_size(self):
        try:
            return self.log_file.stat().st_size
        except FileNotFoundError:
            return 0

    def _failed(self, log_offset):
        """Return whether the Ironic started at log_offset has failed."""
        if self._proc is not None and self._proc.poll() is not None:
            return True
        # The master process survives a worker that dies on start-up (e.g. a
        # driver that fails to load) and keeps re-forking it: its log line
        # is the only quick sign of failure.
        return _WORKER_DIED.search(self._log_since(log_offset)) is not None

    def pid(self):
        """Return the PID of our running Ironic, or None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if not _is_alive(pid):
            return None
        # A recycled PID must not be taken for ours: it must be an ironic
        # using our config file. Ironic rewrites its process title as
        # "ironic: master process [ARGV...]", so match the joined text.
        cmdline = ' '.join(_cmdline(pid))
        if ('ironic' not in cmdline
                or '--config-file %s' % self.config_file not in cmdline):
            return None
        return pid

    def stop(self, purge=False, timeout=30):
        """Stop our Ironic (if running); return whether it was running."""
        if self._proc is not None and self._proc.poll() is None:
            pid = self._proc.pid  # Ours for certain: we started it.
        else:
            pid = self.pid()
        if pid:
            terminate(pid, timeout)
        if self._proc is not None:
            self._proc.wait()  # Reap our child so that no zombie stays.
            self._proc = None
        self.pid_file.unlink(missing_ok=True)
        if self.keystone:
            self.keystone.stop(timeout)
        if purge:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return pid is not None

    def status(self):
        pid = self.pid()
        status = {'running': pid is not None, 'pid': pid,
                  'endpoint': self.endpoint,
                  'api_answers': bool(pid) and self.api_answers(),
                  'clouds_yaml': str(self.clouds_yaml),
                  'log_file': str(self.log_file)}
        if self.keystone:
            status.update(keystone_pid=self.keystone.pid(),
                          keystone_auth_url=self.keystone.auth_url)
        return status


def _read_config(workdir):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(pathlib.Path(workdir) / 'ironic.conf')
    return parser


def _port_from_config(workdir):
    """Return the port a previous start wrote, so stop/status need none."""
    return _read_config(workdir).getint('api', 'port',
                                        fallback=DEFAULT_PORT)


def _keystone_from_config(workdir):
    """The Keystone a previous start ran beside Ironic, or None."""
    parser = _read_config(workdir)
    if parser.get('DEFAULT', 'auth_strategy', fallback='') != 'keystone':
        return None
    port = urllib.parse.urlsplit(
        parser.get('keystone_authtoken', 'auth_url')).port
    return StandaloneKeystone(pathlib.Path(workdir) / 'keystone', port)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=['start', 'stop', 'status'])
    parser.add_argument('--workdir', required=True,
                        help='Directory for config, database, log and PID.')
    parser.add_argument('--port', type=int,
                        help='API port on %s (start only; default %d, '
                             '0 picks a free one).' % (HOST, DEFAULT_PORT))
    parser.add_argument('--keystone', action='store_true',
                        help='start: run Keystone beside Ironic (on a free '
                             'port) and make Ironic authenticate with it.')
    parser.add_argument('--purge', action='store_true',
                        help='stop: also remove the work directory.')
    parser.add_argument('--timeout', type=int, default=60,
                        help='Seconds to wait for the API to answer.')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    port = args.port
    if port is None:
        port = _port_from_config(args.workdir)
    elif port == 0:
        port = find_free_port()
    if args.action == 'start':
        keystone = None
        if args.keystone:
            keystone = StandaloneKeystone(
                pathlib.Path(args.workdir) / 'keystone', find_free_port())
    else:
        keystone = _keystone_from_config(args.workdir)
    ironic = StandaloneIronic(args.workdir, port, keystone)
    try:
        if args.action == 'start':
            pid = ironic.start(timeout=args.timeout)
            print('Ironic PID %d at %s' % (pid, ironic.endpoint))
            print('export OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=%s'
                  % (ironic.clouds_yaml, CLOUD_NAME))
        elif args.action == 'stop':
            if not ironic.stop(purge=args.purge):
                print('Ironic was not running')
        else:
            status = ironic.status()
            for key, value in status.items():
                print('%s: %s' % (key, value))
            return 0 if status['running'] else 3
    except StandaloneIronicError as e:
        print('ERROR: %s' % e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
