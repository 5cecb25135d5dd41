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
"""

import base64
import datetime
import ipaddress
import json
import os
import shutil
import ssl
import time
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

START_TIMEOUT = 30


class Emulator:

    def __init__(self, state_dir, log_dir):
        self.directory = os.path.join(state_dir, 'sushy')
        self.conf_file = os.path.join(self.directory, 'emulator.conf')
        self.settings_file = os.path.join(self.directory, 'settings.json')
        self.auth_file = os.path.join(self.directory, 'htpasswd')
        self.cert_file = os.path.join(self.directory, 'cert.pem')
        self.key_file = os.path.join(self.directory, 'key.pem')
        self.pid_file = os.path.join(self.directory, 'tenks-sushy.pid')
        self.log_file = os.path.join(log_dir, 'sushy-emulator.log')

    def pid(self):
        """PID of the emulator Tenks started, if it still runs."""
        return process.recorded_pid(self.pid_file, self.conf_file.encode())

    def settings(self):
        """The settings the running emulator was started with, or None."""
        try:
            with open(self.settings_file) as stream:
                return json.load(stream)
        except (OSError, ValueError):
            return None

    def exists(self):
        return os.path.isdir(self.directory)

    def start(self, settings):
        """(Re)start the emulator with settings; its config is read once."""
        self.stop(keep_files=True)
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        os.makedirs(os.path.dirname(self.log_file), exist_ok=True)
        if settings['tls'] and not os.path.exists(self.cert_file):
            write_certificate(settings['address'], self.cert_file,
                              self.key_file)
        process.write_private(self.auth_file, htpasswd(
            settings['username'], settings['password']))
        process.write_private(self.conf_file, render(settings, self))
        process.write_private(self.settings_file, json.dumps(settings))
        child = process.spawn(
            [process.executable('sushy-emulator'), '--config',
             self.conf_file], self.pid_file, self.log_file)
        self._wait_until_serving(child, settings)

    def _wait_until_serving(self, child, settings):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and child.poll() is None:
            if self.get('/redfish/v1/', settings) == 200:
                return
            time.sleep(0.2)
        raise exception.BMCError(
            'sushy-emulator did not start serving on %s:%d; see %s' % (
                settings['address'], settings['port'], self.log_file))

    def get(self, path, settings, auth=True):
        """HTTP status of GET path, or None when nothing answers."""
        scheme = 'https' if settings['tls'] else 'http'
        request = urllib.request.Request('%s://%s:%d%s' % (
            scheme, settings['address'], settings['port'], path))
        if auth:
            token = base64.b64encode(('%s:%s' % (
                settings['username'], settings['password'])).encode())
            request.add_header('Authorization', 'Basic ' + token.decode())
        context = (ssl.create_default_context(cafile=self.cert_file)
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
        process.terminate(self.pid_file, self.conf_file.encode())
        if not keep_files:
            shutil.rmtree(self.directory, ignore_errors=True)


def render(settings, emulator):
    """The emulator's configuration: a Python file of assignments."""
    values = {
        'SUSHY_EMULATOR_LISTEN_IP': settings['address'],
        'SUSHY_EMULATOR_LISTEN_PORT': settings['port'],
        'SUSHY_EMULATOR_LIBVIRT_URI': settings['libvirt_uri'],
        'SUSHY_EMULATOR_ALLOWED_INSTANCES': settings['allowed'],
        'SUSHY_EMULATOR_AUTH_FILE': emulator.auth_file,
    }
    if settings['tls']:
        values['SUSHY_EMULATOR_SSL_CERT'] = emulator.cert_file
        values['SUSHY_EMULATOR_SSL_KEY'] = emulator.key_file
    return ''.join('%s = %r\n' % item for item in sorted(values.items()))


def htpasswd(username, password):
    digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
    return '%s:%s\n' % (username, digest.decode())


def write_certificate(address, cert_file, key_file):
    """A self-signed certificate for address, its own trust anchor."""
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
    process.write_private(key_file, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode())
    process.write_private(cert_file, cert.public_bytes(
        serialization.Encoding.PEM).decode())
