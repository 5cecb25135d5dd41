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

"""The files that let networking-generic-switch drive Tenks' bridges.

They live in the ``ngs`` directory beside the state file, which the last
teardown removes: the NGS configuration, Tenks' own key pair for the
switch user (made once and kept, so an installed public key stays
valid), the authorized_keys line and sudoers snippet for that user. Once
written, every deploy rewrites them for the nodes it leaves.
Tenks installs none of them: accounts on a hypervisor are not Tenks'.
"""

import json
import logging
import os
import shutil
import subprocess

from tenks import exception
from tenks import ngs
from tenks import state as state_module

CONFIG = 'ml2_conf_genericswitch.ini'
KEY = 'switch_key'
AUTHORIZED_KEYS = 'authorized_keys'
SUDOERS = 'sudoers'
# How NGS reaches the hypervisors, as switch-config was told.
ACCESS = 'access.json'

LOG = logging.getLogger(__name__)


def directory(state_file_path):
    return os.path.join(os.path.dirname(os.path.abspath(state_file_path)),
                        'ngs')


def write(cluster, user=None, local_address=ngs.LOCAL_ADDRESS, port=None):
    """Write the files for cluster's deployed state; [(path, holds)].

    The state is read under its lock, so no deploy changes it meanwhile;
    bad input is refused before anything is written. How NGS reaches the
    hypervisors is recorded, so that every later deploy keeps the files
    current (refresh).
    """
    access = {'user': user, 'local_address': local_address, 'port': port}
    with state_module.locked(cluster.state_file_path):
        state = state_module.load(cluster.state_file_path, cluster.source)
        return _write(cluster, state, access)


def refresh(cluster, state):
    """Rewrite the files for a deploy's new state, if they were asked for.

    Called under the deploy's lock. A cluster NGS can no longer drive (no
    enrolled node left, another bridge type) keeps its old files, with a
    warning saying why.
    """
    recorded = os.path.join(directory(cluster.state_file_path), ACCESS)
    if not os.path.exists(recorded):
        return
    with open(recorded) as stream:
        access = json.load(stream)
    try:
        _write(cluster, state, access)
    except exception.SwitchError as err:
        LOG.warning('networking-generic-switch files not refreshed: %s',
                    err)


def _write(cluster, state, access):
    where = directory(cluster.state_file_path)
    key = os.path.join(where, KEY)
    sections = ngs.switches(
        state, cluster.network.bridge_type,
        ngs.Access(access['user'], key, access['local_address'],
                   access['port']), cluster.source)
    os.makedirs(where, mode=0o700, exist_ok=True)
    _ensure_key(key, state.cluster_id)
    with open(key + '.pub') as stream:
        public = stream.read()
    users = [options['username'] for _, options in sections]
    written = [
        (CONFIG, ngs.render(sections),
         'networking-generic-switch devices, one per bridge'),
        (AUTHORIZED_KEYS, ngs.authorized_key(public, state.cluster_id),
         'the line for the switch user(s) %s' % ', '.join(
             sorted(set(users)))),
        (SUDOERS, ngs.sudoers(users),
         'what a switch user other than root must be allowed'),
    ]
    for name, text, _ in written:
        _write_private(os.path.join(where, name), text)
    _write_private(os.path.join(where, ACCESS), json.dumps(access) + '\n')
    return [(key, 'private key NGS logs in with (key_file)')] + [
        (os.path.join(where, name), holds) for name, _, holds in written]


def remove(state_file_path):
    shutil.rmtree(directory(state_file_path), ignore_errors=True)


def _ensure_key(path, cluster_id):
    if os.path.exists(path):
        return
    result = subprocess.run(
        ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C',
         'tenks-ngs-%s' % cluster_id, '-f', path],
        capture_output=True, text=True, check=False)
    if result.returncode:
        raise exception.SwitchKeyFailed(path=path,
                                        reason=result.stderr.strip())


def _write_private(path, text):
    fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 0o600)
    with os.fdopen(fd, 'w') as stream:
        stream.write(text)
    os.replace(path + '.tmp', path)
