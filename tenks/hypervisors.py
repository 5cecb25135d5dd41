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

"""A run's hypervisors: how each is reached, and where Tenks keeps files.

Built from the cluster file for deploy, or from the state file for verify
and list, which read nothing else. Each host and each node-manager
connection (through the provider) is opened once per run.
"""

import os
import urllib.parse

from tenks import exception
from tenks import hosts
from tenks import metering
from tenks import model
from tenks import records


def from_record(name, record):
    """A model.Hypervisor from its state record (see schedule).

    A state written before the way in was recorded has no ``ssh``: its
    address is then the libvirt URI's host, and SSH is not known.
    """
    uri = record.libvirt_uri or ''
    ssh = record.ssh or records.Ssh(address=None, user=None, port=None)
    address = ssh.address or urllib.parse.urlsplit(
        uri).hostname or model.LOCALHOST
    return model.Hypervisor(
        name=name, address=address, libvirt_uri=uri, physnet_mappings={},
        bmc_address='', ssh_user=ssh.user, ssh_port=ssh.port,
        ssh_key=ssh.key)


class Hypervisors:
    """The hypervisors of a run, their hosts, connections and paths."""

    def __init__(self, conf, members, state_dir, log_dir, provider):
        self.conf = conf
        self.members = list(members)
        self.state_dir = state_dir
        self.log_dir = log_dir
        self.provider = provider
        self.libvirt_calls = metering.Counter()
        self._hosts = {}
        self._connections = {}

    @classmethod
    def from_cluster(cls, conf, cluster, provider):
        return cls(conf, cluster.hypervisors,
                   os.path.dirname(cluster.state_file_path),
                   cluster.log_dir, provider)

    @classmethod
    def from_state(cls, conf, data, state_path, provider):
        return cls(conf, [from_record(name, record) for name, record in
                          sorted(data.hypervisors.items())],
                   os.path.dirname(os.path.abspath(state_path)), None,
                   provider)

    def named(self, name):
        """The hypervisor called name; a minimal one if none is known."""
        for hypervisor in self.members:
            if hypervisor.name == name:
                return hypervisor
        return from_record(name, {})

    @staticmethod
    def reachable(hypervisor):
        """Whether Tenks knows how to run commands there."""
        return hypervisor.is_local or hypervisor.ssh_user is not None

    def host(self, hypervisor):
        """The hypervisor's hosts.Host, made once; None if not reachable."""
        if hypervisor.name not in self._hosts:
            self._hosts[hypervisor.name] = self._host(hypervisor)
        return self._hosts[hypervisor.name]

    def _host(self, hypervisor):
        if hypervisor.is_local:
            host = hosts.LocalHost()
        elif not self.reachable(hypervisor):
            return None
        else:
            host = hosts.SSHHost(
                hypervisor.name, hypervisor.address, hypervisor.ssh_user,
                hypervisor.ssh_port, hypervisor.ssh_key,
                self.conf.ssh.known_hosts_file,
                self.conf.ssh.connect_timeout)
        if self.conf is not None:     # None: only reading, nothing spawned
            host.supervisor = self.conf.daemon_supervisor
        return host

    def reach(self, hypervisor):
        """The host, once it answered; a HostError naming it if not."""
        host = self.host(hypervisor)
        if hypervisor.is_local:
            return host
        try:
            host.run(['true'], repeatable=True)
        except exception.HostError as err:
            host.close()
            del self._hosts[hypervisor.name]
            raise exception.HostUnreachable(
                hypervisor=hypervisor.name, user=hypervisor.ssh_user,
                address=hypervisor.address, port=hypervisor.ssh_port,
                reason=err.kwargs.get('stderr'))
        return host

    def connection(self, hypervisor):
        """The provider's connection to hypervisor; its error, every time.

        A connection that failed is not retried within the run.
        """
        name = hypervisor.name
        if name not in self._connections:
            try:
                self._connections[name] = metering.Counted(
                    self.provider.connect(hypervisor.libvirt_uri),
                    self.libvirt_calls)
            except exception.ProviderError as err:
                self._connections[name] = err
        if isinstance(self._connections[name], Exception):
            raise self._connections[name]
        return self._connections[name]

    def files(self, hypervisor, *parts):
        """A path of Tenks' files for hypervisor, on that hypervisor.

        Remote hypervisors get a directory each: in tests several share
        one file system.
        """
        if hypervisor.is_local:
            return os.path.join(self.state_dir, *parts)
        return os.path.join(self.state_dir, 'hosts', hypervisor.name,
                            *parts)

    def log(self, hypervisor, name):
        """Where a daemon of Tenks on hypervisor logs, there."""
        if hypervisor.is_local:
            return os.path.join(self.log_dir, name)
        return os.path.join(self.log_dir, hypervisor.name, name)

    def redfish_ca(self, hypervisor):
        """The file here of the CA a client of hypervisor's Redfish trusts.

        The emulator's own directory on the local hypervisor; for others,
        a copy kept here, since Ironic runs beside Tenks.
        """
        if hypervisor.is_local:
            return self.files(hypervisor, 'sushy', 'cert.pem')
        return os.path.join(self.state_dir, 'hosts', hypervisor.name,
                            'redfish-ca', 'cert.pem')

    @property
    def commands(self):
        """Host commands run so far."""
        return sum(host.commands for host in self._hosts.values()
                   if host is not None)

    def close(self):
        for conn in self._connections.values():
            if not isinstance(conn, Exception):
                conn.close()
        for host in self._hosts.values():
            if host is not None:
                host.close()
