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

"""The throwaway Ironic: one all-in-one process whose files share a dir.

API and conductor in one ``ironic`` process, no RPC bus, SQLite; with a
StandaloneKeystone it validates tokens, without one it takes requests
unauthenticated (noauth).
"""

import copy
import os
import pathlib
import re
import shutil

from tenks.standalone import clouds
from tenks.standalone import config
from tenks.standalone import exception
from tenks.standalone import loopback
from tenks.standalone import process
from tenks.standalone import provisioning as provisioning_mod
from tenks.standalone import routes

DEFAULT_PORT = 6385
# Logged by Ironic's process manager (cotyledon) when a worker dies.
_WORKER_DIED = re.compile(r'Child \d+ exited with status [1-9]')


class StandaloneIronic:
    """One throwaway all-in-one Ironic whose files all live in workdir."""

    def __init__(self, workdir, port=DEFAULT_PORT, keystone=None,
                 provisioning_device=None, boot_artefacts=None,
                 media_port=None, settings=None, proxy_port=None):
        self.workdir = pathlib.Path(workdir).absolute()
        self.port = int(port)
        # A StandaloneKeystone to authenticate with, or None for noauth.
        self.keystone = keystone
        # With a device name, a provisioning network whose host end it is.
        self.provisioning = None
        if provisioning_device:
            self.provisioning = provisioning_mod.ProvisioningNetwork(
                self.workdir / 'provisioning', provisioning_device,
                self.workdir / 'httpboot', self.workdir / 'tftpboot',
                self.port, media_port, proxy_port)
        # tenks.artefacts.build.Artefacts: Ironic builds ISOs with their
        # ESP and isolinux.
        self.boot_artefacts = boot_artefacts
        self._proc = None  # Set when this object started the process.
        # {section: {option: value}} laid over the rest of ironic.conf.
        self.settings = settings or {}

    @property
    def endpoint(self):
        return loopback.endpoint(self.port)

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
        return clouds.CLOUD_NAME

    def ironic_config(self):
        """Return ironic.conf as {section: {option: value}}."""
        extra = copy.deepcopy(provisioning_mod.ironic_settings(
            self.port, self.provisioning.media_port)
            if self.provisioning else {})
        if self.boot_artefacts:
            for section, options in config.iso_building(
                    self.workdir, self.boot_artefacts).items():
                extra.setdefault(section, {}).update(options)
        for section, options in self.settings.items():
            extra.setdefault(section, {}).update(options)
        return config.ironic(
            self.workdir, self.port, self.log_file,
            self.keystone.authtoken_config() if self.keystone else None,
            extra)

    def clouds_config(self):
        return clouds.clouds(
            self.endpoint,
            self.keystone.admin_auth() if self.keystone else None)

    def write_config(self):
        # iPXE writes boot.ipxe into http_root when loaded: it must exist.
        for sub in ('httpboot', 'tftpboot', 'locks'):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        config.write(self.config_file, self.ironic_config(), private=True)
        clouds.write(self.clouds_yaml, self.clouds_config())

    def _run_dbsync(self):
        # create_schema refuses an existing database; upgrade keeps its nodes.
        db_exists = (self.workdir / 'ironic.sqlite').exists()
        process.run([process.find_executable('ironic-dbsync'),
                     '--config-file', str(self.config_file),
                     'upgrade' if db_exists else 'create_schema'],
                    'ironic-dbsync')

    def _spawn(self):
        env = None
        if self.provisioning:
            env = provisioning_mod.conductor_env(
                self.provisioning.proxy_port, os.environ)
        self._proc = process.spawn(
            [process.find_executable('ironic'),
             '--config-file', str(self.config_file)],
            self.log_file, self.workdir, env)
        self.pid_file.write_text('%d\n' % self._proc.pid)
        return self._proc.pid

    def api_answers(self):
        return loopback.http_ok(self.endpoint + '/v1')

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
            raise exception.AlreadyRunning(service='Ironic',
                                           workdir=self.workdir, pid=running)
        # Else we would "wait" successfully on somebody else's server.
        if loopback.port_in_use(self.port):
            raise exception.PortInUse(host=loopback.HOST, port=self.port)
        if self.boot_artefacts and not shutil.which('mkisofs'):
            raise exception.PackageMissing(
                missing='mkisofs', package='genisoimage',
                needed_for='Ironic builds virtual media ISOs with it')
        if self.provisioning:
            self.provisioning.check()
        self.check_urls(self.conductor_urls())
        try:
            if self.keystone:
                self.keystone.start(timeout)
                self.keystone.register_ironic(self.endpoint)
            self.write_config()
            self._run_dbsync()
            if self.provisioning:
                self.provisioning.start()
        except Exception:
            self.stop()
            raise
        log_offset = self._log_size()
        pid = self._spawn()
        process.wait_until(
            lambda: self.api_answers() or self._failed(log_offset),
            timeout, interval=0.5)
        if not self.api_answers():
            self.stop()
            raise exception.IronicNotAnswering(
                where=self.endpoint + '/v1', timeout=timeout,
                log=self.log_file,
                excerpt=self._failure_excerpt(log_offset))
        return pid

    def conductor_urls(self):
        """{option: URL} of ironic.conf that the conductor itself calls."""
        deploy = self.ironic_config().get('deploy', {})
        return {'[deploy] %s' % option: deploy[option]
                for option in ('http_url', 'external_http_url')
                if deploy.get(option)}

    def check_urls(self, urls):
        """Raise UrlLeavesHost unless each of {what: URL} stays here."""
        proxied = ()
        if self.provisioning:
            proxied = (routes.endpoint(provisioning_mod.image_url()),)
        routes.check(urls, proxied)

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
        pid = process.recorded_pid(self.pid_file)
        if pid is None:
            return None
        # A recycled PID must not be taken for ours: it must be an ironic
        # using our config file. Ironic rewrites its process title as
        # "ironic: master process [ARGV...]", so match the joined text.
        cmdline = ' '.join(process.cmdline(pid))
        if ('ironic' not in cmdline
                or '--config-file %s' % self.config_file not in cmdline):
            return None
        return pid

    def stop(self, purge=False, timeout=30):
        """Stop our Ironic (if running); return whether it was running."""
        was_running = process.stop(self._proc, self.pid, self.pid_file,
                                   timeout)
        self._proc = None
        if self.keystone:
            self.keystone.stop(timeout)
        if self.provisioning:
            self.provisioning.stop()
        if purge:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return was_running

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
        if self.provisioning:
            status.update(self.provisioning.status())
        return status
