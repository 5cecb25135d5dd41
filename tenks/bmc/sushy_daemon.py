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

"""The sushy-tools Redfish emulator Tenks runs on a hypervisor.

One emulator serves every Redfish node of the hypervisor through libvirt,
restricted to Tenks' domains, behind HTTP basic auth and, when asked, TLS
with a certificate Tenks generates. Its files live in a directory of
Tenks' own; Tenks records the PID it started and stops only that process.
Virtual media land there too (downloads, sushy-tools' state) and in the
cluster's storage pool (uploaded images, see tenks.bmc.sushy_media).
"""

import base64
import datetime
import ipaddress
import json
import os
import shutil
import ssl
import urllib.error
import urllib.request

import bcrypt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography import x509
from cryptography.x509.oid import NameOID

from tenks.bmc import process
from tenks import exception
from tenks import hosts
from tenks import waits

START_TIMEOUT = 30
MODULE = 'tenks.bmc.sushy_media'


class Emulator:
    """The emulator of one hypervisor: files and process there.

    The certificate Ironic must trust is also kept here, at ca_file, since
    Ironic runs beside Tenks rather than on the hypervisor.
    """

    def __init__(self, host, directory, log_file, local_directory=None):
        self.host = host
        self.directory = directory
        self.conf_file = os.path.join(directory, 'emulator.conf')
        self.settings_file = os.path.join(directory, 'settings.json')
        self.auth_file = os.path.join(directory, 'htpasswd')
        self.cert_file = os.path.join(directory, 'cert.pem')
        self.key_file = os.path.join(directory, 'key.pem')
        self.pid_file = os.path.join(directory, 'tenks-sushy.pid')
        # sushy-tools' memoized state (virtual media, boot settings)
        # defaults to one /tmp directory for every emulator on the host.
        self.state_dir = os.path.join(directory, 'state')
        # Images are downloaded to the temporary directory, then uploaded.
        self.download_dir = os.path.join(directory, 'downloads')
        self.log_file = log_file
        self.local_directory = local_directory or directory
        self.ca_file = os.path.join(self.local_directory, 'cert.pem')

    def pid(self):
        """PID of the emulator Tenks started, if it still runs."""
        return process.recorded_pid(self.host, self.pid_file, self.conf_file)

    def settings(self):
        """The settings the running emulator was started with, or None."""
        try:
            return json.loads(self.host.read_file(self.settings_file))
        except (TypeError, ValueError):
            return None

    def exists(self):
        return self.host.is_dir(self.directory)

    def start(self, settings):
        """(Re)start the emulator with settings; its config is read once."""
        self.stop(keep_files=True)
        if settings['tls'] and not (os.path.exists(self.ca_file) and
                                    self.host.read_file(self.cert_file)):
            cert, key = make_certificate(settings['address'])
            self.host.write_file(self.key_file, key)
            self.host.write_file(self.cert_file, cert)
            hosts.LocalHost().write_file(self.ca_file, cert)
        self.host.write_file(self.auth_file, htpasswd(
            settings['username'], settings['password']))
        self.host.write_file(self.conf_file, render(settings, self))
        self.host.write_file(self.settings_file, json.dumps(settings))
        self.host.make_dirs(self.download_dir, private=True)
        self.host.spawn([self.host.executable('python3'), '-m', MODULE,
                         '--config', self.conf_file], self.pid_file,
                        self.log_file, env={'TMPDIR': self.download_dir})
        self._wait_until_serving(settings)

    def _wait_until_serving(self, settings):
        if waits.until(lambda: self.get('/redfish/v1/', settings) == 200,
                       START_TIMEOUT, 0.2, give_up=lambda: not self.pid()):
            return
        raise exception.DaemonNotServing(
            daemon='sushy-emulator',
            where='on %s:%d' % (settings['address'], settings['port']),
            log=self.log_file, host=self.host.name)

    def get(self, path, settings, auth=True):
        """HTTP status of GET path, or None when nothing answers."""
        scheme = 'https' if settings['tls'] else 'http'
        request = urllib.request.Request('%s://%s:%d%s' % (
            scheme, settings['address'], settings['port'], path))
        if auth:
            token = base64.b64encode(('%s:%s' % (
                settings['username'], settings['password'])).encode())
            request.add_header('Authorization', 'Basic ' + token.decode())
        context = (ssl.create_default_context(cafile=self.ca_file)
                   if settings['tls'] else None)
        try:
            with urllib.request.urlopen(request, timeout=5,
                                        context=context) as response:
                return response.status
        except urllib.error.HTTPError as err:
            return err.code
        except (OSError, ssl.SSLError):
            return None

    def stop(self, keep_files=False):
        process.terminate(self.host, self.pid_file, self.conf_file)
        if not keep_files:
            self.host.remove_tree(self.directory)
            if self.local_directory != self.directory:
                shutil.rmtree(self.local_directory, ignore_errors=True)


def render(settings, emulator):
    """The emulator's configuration: a Python file of assignments."""
    values = {
        'SUSHY_EMULATOR_LISTEN_IP': settings['address'],
        'SUSHY_EMULATOR_LISTEN_PORT': settings['port'],
        'SUSHY_EMULATOR_LIBVIRT_URI': settings['libvirt_uri'],
        'SUSHY_EMULATOR_ALLOWED_INSTANCES': settings['allowed'],
        'SUSHY_EMULATOR_AUTH_FILE': emulator.auth_file,
        # Where inserted images are uploaded for the domain to use: the
        # cluster's own pool, not libvirt's 'default' Tenks never makes.
        'SUSHY_EMULATOR_STORAGE_POOL': settings['pool'],
        'SUSHY_EMULATOR_STATE_DIR': emulator.state_dir,
    }
    if settings['tls']:
        values['SUSHY_EMULATOR_SSL_CERT'] = emulator.cert_file
        values['SUSHY_EMULATOR_SSL_KEY'] = emulator.key_file
    return ''.join('%s = %r\n' % item for item in sorted(values.items()))


def htpasswd(username, password):
    digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
    return '%s:%s\n' % (username, digest.decode())


def make_certificate(address):
    """A self-signed certificate for address, its own trust anchor.

    Returns the certificate and its key, in PEM.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                         'Tenks Redfish %s' % address)])
    try:
        alt_name = x509.IPAddress(ipaddress.ip_address(address))
    except ValueError:
        alt_name = x509.DNSName(address)
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([alt_name]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode())
