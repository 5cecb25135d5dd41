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

"""A throwaway Keystone (SQLite, fernet) beside the standalone Ironic.

Served by cheroot (tenks.standalone.serve_keystone) from its work
directory, with an ``admin`` user and the ``baremetal`` service of the
Ironic it fronts in its catalogue.
"""

import grp
import os
import pathlib
import pwd
import secrets
import sys

from tenks.standalone import clouds
from tenks.standalone import config
from tenks.standalone import exception
from tenks.standalone import loopback
from tenks.standalone import process

SERVER_MODULE = 'tenks.standalone.serve_keystone'


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
        return loopback.endpoint(self.port)

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
        return config.keystone(self.workdir, self.log_file)

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
        process.run([process.find_executable('keystone-manage'),
                     '--config-file', str(self.config_file)] + list(args),
                    'keystone-manage %s' % args[0], env=env)

    def _prepare(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        config.write(self.config_file, self.keystone_config())
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
                     '--bootstrap-region-id', clouds.REGION,
                     '--bootstrap-admin-url', self.auth_url,
                     '--bootstrap-internal-url', self.auth_url,
                     '--bootstrap-public-url', self.auth_url, env=env)

    def start(self, timeout=60):
        """Configure, bootstrap and serve Keystone; return the PID."""
        running = self.pid()
        if running:
            raise exception.AlreadyRunning(service='Keystone',
                                           workdir=self.workdir, pid=running)
        if loopback.port_in_use(self.port):
            raise exception.PortInUse(host=loopback.HOST, port=self.port)
        self._prepare()
        self._proc = process.spawn(
            [sys.executable, '-m', SERVER_MODULE, loopback.HOST,
             str(self.port), str(self.config_file)],
            self.log_file, self.workdir)
        self.pid_file.write_text('%d\n' % self._proc.pid)
        process.wait_until(lambda: self.api_answers()
                           or self._proc.poll() is not None,
                           timeout, interval=0.5)
        if not self.api_answers():
            self.stop()
            raise exception.KeystoneNotAnswering(
                where=self.auth_url, timeout=timeout, log=self.log_file)
        return self._proc.pid

    def register_ironic(self, endpoint):
        """Create Ironic's service user and its catalogue entry."""
        import openstack.config
        import openstack.connection
        # Not from clouds.yaml or OS_* variables: they may name another.
        region = openstack.config.get_cloud_region(
            load_yaml_config=False, load_envvars=False,
            auth_type='password', auth=self.admin_auth(),
            region_name=clouds.REGION)
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
                                     interface=interface,
                                     region_id=clouds.REGION)

    def api_answers(self):
        return loopback.http_ok(self.auth_url)

    def pid(self):
        """Return the PID of our running Keystone server, or None."""
        pid = process.recorded_pid(self.pid_file)
        if pid is None or str(self.config_file) not in process.cmdline(pid):
            return None
        return pid

    def stop(self, timeout=30):
        """Stop our Keystone (if running); return whether it was running."""
        was_running = process.stop(self._proc, self.pid, self.pid_file,
                                   timeout)
        self._proc = None
        return was_running
