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

"""Shared fakes for unit tests of kinds and runs.

One fake each for a host, the hypervisors and Ironic, and a run Context
made of the real parts over them; nodes come from the real config parser
and scheduler, so their records are shaped as a deploy would make them.
"""

import os
import random
import subprocess
import xml.etree.ElementTree as ET

from tenks import conf as tenks_conf
from tenks import config
from tenks import context
from tenks import hosts
from tenks import hypervisors
from tenks.providers import libvirt as libvirt_provider
from tenks import schedule
from tenks import state as state_module

STATE_PATH = '/srv/tenks/state.json'
# virConnectGetCapabilities of libvirt 9 on this project's Debian 12 host
# with qemu-system-x86 and qemu-system-arm (machine lists shortened).
CAPABILITIES_FILE = os.path.join(os.path.dirname(__file__), 'libvirt',
                                 'capabilities-x86_64-host.xml')
CREDENTIALS = {'ipmi_username': 'tenks', 'ipmi_password': 'pw',
               'redfish_username': 'tenks', 'redfish_password': 'rpw'}


def cluster_data(count=2, **extra):
    """A one-hypervisor cluster file of count small nodes."""
    data = {
        'node_types': {'small': {
            'memory_mb': 1024, 'vcpus': 1,
            'volumes': [{'capacity': '1GiB'}],
            'physical_networks': ['physnet1']}},
        'specs': [{'type': 'small', 'count': count}],
        'physnet_mappings': {'physnet1': 'eth1'},
        'ipmi_port_range_start': 6230,
        'ipmi_port_range_end': 6239,
        'state_file_path': STATE_PATH,
    }
    data.update(extra)
    return data


def domain_capabilities(emulator, arch, machine, virttype, flags=0,
                        firmware=True):
    """virConnectGetDomainCapabilities as captured there, up to <os>.

    Without firmware, as libvirt answers when no descriptor is installed.
    """
    path = os.path.join(os.path.dirname(CAPABILITIES_FILE),
                        'domcapabilities-%s-%s.xml' % (arch, machine))
    with open(path) as stream:
        xml = stream.read()
    if not firmware:
        xml = xml.replace('<value>efi</value>', '')
    return xml


def capabilities(without=()):
    """The captured capabilities, less the guest arches named."""
    with open(CAPABILITIES_FILE) as stream:
        root = ET.fromstring(stream.read())
    for guest in root.findall('guest'):
        if guest.find('arch').get('name') in without:
            root.remove(guest)
    return ET.tostring(root, encoding='unicode')


def scheduled(data=None, previous=None, seed=1):
    """(cluster, state) as a deploy of data would make them."""
    conf = tenks_conf.load()
    cluster = config.parse(data or cluster_data(), conf,
                           source='cluster.yaml')
    state = schedule.schedule(
        cluster, previous or state_module.empty(STATE_PATH),
        schedule.RoundRobinScheduler(), random.Random(seed))
    state.credentials.update(CREDENTIALS)
    return cluster, state


class FakeHost(hosts.Host):
    """Answers commands from a table instead of running them."""

    name = 'fake'

    def __init__(self, answers=None):
        super().__init__()
        self.answers = answers or {}
        self.seen = []

    def execute(self, argv, input=None, repeatable=False):
        self.commands += 1
        self.seen.append((argv, input))
        code, out = self.answers.get(argv[0], (0, ''))
        return subprocess.CompletedProcess(argv, code, out, '')


class FakeProvider(libvirt_provider.LibvirtProvider):
    """The libvirt provider, its connections made by connect()."""

    def __init__(self, connect=None):
        self._connect = connect
        self.connections = []

    def connect(self, uri):
        conn = self._connect()
        self.connections.append((uri, conn))
        return conn


class FakeHypervisors(hypervisors.Hypervisors):
    """The real paths and bookkeeping, over a fake host and connection."""

    def __init__(self, cluster, host=None, connection=None):
        super().__init__(None, cluster.hypervisors,
                         os.path.dirname(cluster.state_file_path),
                         cluster.log_dir,
                         FakeProvider(lambda: connection))
        self.fake_host = host or FakeHost()

    def _host(self, hypervisor):
        return self.fake_host


class FakeIronic:
    """Ironic's nodes by name and ports by MAC; writes recorded.

    refuse(method, fields) may raise an IronicError to refuse a write.
    """

    def __init__(self, nodes=None, ports=None, refuse=None,
                 services=('baremetal', 'compute')):
        self._nodes = nodes if nodes is not None else {}
        self._ports = ports if ports is not None else {}
        self.refuse = refuse
        self.services = services
        self.writes = []
        self.warnings = []
        self.timeout = 1

    def nodes(self):
        return self._nodes

    def ports(self):
        return self._ports

    def images(self):
        return {}

    def forget(self):
        pass

    def map(self, function, items):
        return [function(item) for item in items]

    def has_service(self, service):
        return service in self.services

    def warn_once(self, message):
        self.warnings.append(message)

    def write(self, method, *args, **fields):
        if self.refuse:
            self.refuse(method, fields)
        self.writes.append((method, args, fields))


class FakeContext(context.Run):
    """A run's real data and fact cache, over fake hypervisors and Ironic.

    Work is done in turn rather than on a pool; kinds are those given.
    """

    def __init__(self, cluster, state, hypervisors=None, ironic=None,
                 kinds=(), teardown=False, force=False):
        super().__init__(tenks_conf.load(), cluster, state, teardown, force)
        self.hypervisors = hypervisors or FakeHypervisors(cluster)
        self.facts = context.Facts()
        self._ironic = ironic
        self._kinds = list(kinds)

    def kinds(self):
        return self._kinds

    def ironic(self):
        return self._ironic

    def map(self, function, items):
        return [function(item) for item in items]


def make_context(data=None, state=None, **kwargs):
    """A FakeContext of the cluster data, scheduled unless state given."""
    cluster, scheduled_state = scheduled(data)
    return FakeContext(cluster, state or scheduled_state, **kwargs)
