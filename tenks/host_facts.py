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

"""A hypervisor's facts, named as Ansible names them (``ansible_facts``).

One command reads what a cluster file written for Ansible asks of its
hosts; parse() turns its output into the facts, and is pure.
"""

import shlex

from tenks import hypervisors

# Each section's output follows a line of its own name.
_SECTIONS = (
    ('architecture', 'uname -m'),
    ('kernel', 'uname -r'),
    ('nodename', 'uname -n'),
    ('fqdn', 'hostname -f 2>/dev/null || uname -n'),
    ('user_uid', 'id -u'),
    ('user_id', 'id -un'),
    ('home', 'printf "%s\\n" "$HOME"'),
    ('os_release', 'cat /etc/os-release 2>/dev/null'),
)
_MARK = '@@tenks-fact '
COMMAND = ['sh', '-c', '; '.join(
    'echo %s; %s' % (shlex.quote(_MARK + name), command)
    for name, command in _SECTIONS)]

# /etc/os-release ID: (Ansible's distribution, os_family).
_DISTRIBUTIONS = {
    'debian': ('Debian', 'Debian'), 'ubuntu': ('Ubuntu', 'Debian'),
    'centos': ('CentOS', 'RedHat'), 'rhel': ('RedHat', 'RedHat'),
    'rocky': ('Rocky', 'RedHat'), 'almalinux': ('AlmaLinux', 'RedHat'),
    'fedora': ('Fedora', 'RedHat'), 'opensuse-leap': ('openSUSE Leap',
                                                      'Suse'),
    'arch': ('Archlinux', 'Archlinux'),
}


def gather(host):
    """The facts of the hypervisor host (a tenks.hosts.Host) reaches."""
    return parse(host.run(COMMAND, repeatable=True))


def parse(output):
    """The facts in COMMAND's output."""
    sections = {}
    name = None
    for line in output.splitlines():
        if line.startswith(_MARK):
            name = line[len(_MARK):]
            sections[name] = []
        elif name:
            sections[name].append(line)
    text = {key: '\n'.join(lines).strip() for key, lines in sections.items()}
    release = _os_release(text.get('os_release', ''))
    distribution, family = _DISTRIBUTIONS.get(
        release.get('ID', ''), (release.get('NAME', 'Unknown'),
                                release.get('NAME', 'Unknown')))
    version = release.get('VERSION_ID', '')
    nodename = text.get('nodename', '')
    return {
        'architecture': text.get('architecture', ''),
        'machine': text.get('architecture', ''),
        'kernel': text.get('kernel', ''),
        'system': 'Linux',
        'hostname': nodename.split('.')[0],
        'nodename': nodename,
        'fqdn': text.get('fqdn', '') or nodename,
        'user_id': text.get('user_id', ''),
        'user_uid': int(text['user_uid']) if text.get(
            'user_uid', '').isdigit() else None,
        'env': {'HOME': text.get('home', '')},
        'os_family': family,
        'distribution': distribution,
        'distribution_version': version,
        'distribution_major_version': version.split('.')[0],
        'distribution_release': release.get('VERSION_CODENAME', ''),
    }


def _os_release(text):
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition('=')
        if sep and key.strip():
            try:
                values[key.strip()] = ' '.join(shlex.split(value))
            except ValueError:
                values[key.strip()] = value.strip()
    return values


def of(conf, hypervisor):
    """The facts of a model.Hypervisor, reached as deploy reaches it."""
    run = hypervisors.Hypervisors(conf, [hypervisor], None, None, None)
    try:
        return gather(run.reach(hypervisor))
    finally:
        run.close()
