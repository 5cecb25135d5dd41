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

"""What one run works with: the cluster, its state, and connections.

Connections and facts are opened once per hypervisor and run, and shared
by every resource kind.
"""

import concurrent.futures
import logging
import os
import resource

from stevedore import driver
from stevedore import extension

from tenks.bmc import ipmi_daemon
from tenks.bmc import sushy_daemon
from tenks.bmc import vbmcd
from tenks import exception
from tenks import hosts
from tenks.ironic import client as ironic_client
from tenks.ironic import flavors as ironic_flavors
from tenks.ironic import kinds as ironic_kinds
from tenks.ironic import provision
from tenks import metering
from tenks.network import batch
from tenks.network import facts as net_facts
from tenks.network import kinds as net_kinds
from tenks.network import ovs
from tenks import schedule

LOG = logging.getLogger(__name__)


def load_plugin(namespace, name):
    try:
        return driver.DriverManager(namespace, name).driver
    except Exception as err:
        raise exception.ConfigError(source='tenks.conf', path=namespace,
                                    problem='no plugin %r: %s' % (name, err))


class Context:

    def __init__(self, conf, cluster, state, teardown=False, force=False):
        self.conf = conf
        self.cluster = cluster
        self.state = state
        self.teardown = teardown
        self.force = force
        self.state_dir = os.path.dirname(cluster.state_file_path)
        self._hosts = {}
        self.libvirt_calls = metering.Counter()
        self.provider = load_plugin('tenks.providers', 'libvirt')
        # Every emulator, not only the cluster's: one no longer chosen
        # still removes what it served.
        self.bmc_emulators = [
            ext.plugin for ext in sorted(
                extension.ExtensionManager('tenks.bmc_emulators'),
                key=lambda ext: ext.name)]
        self._ironic = None
        self._facts = {}
        self._cache = {}
        self._libvirt = {}
        self._engines = {}
        self._pool = concurrent.futures.ThreadPoolExecutor(conf.workers)

    @property
    def cluster_id(self):
        return self.state['cluster_id']

    def kinds(self):
        return ([net_kinds.Physnets(), net_kinds.Veths()]
                + self.provider.kinds()
                + [kind for emulator in self.bmc_emulators
                   for kind in emulator.kinds()]
                + [ironic_kinds.Nodes(), ironic_kinds.Ports(),
                   provision.ProvisionStates(), ironic_flavors.Flavors()])

    def ironic(self):
        """The run's Ironic client; an error when no cloud is configured."""
        if self._ironic is None:
            if not ironic_client.configured(self.conf):
                raise exception.ConfigError(
                    source=self.cluster.source, path='specs',
                    problem='nodes with ironic_config need an Ironic: set '
                            'OS_CLOUD or [ironic] cloud in tenks.conf (for '
                            'a throwaway one, see '
                            'tools/standalone_ironic.py)')
            self._ironic = ironic_client.Ironic(self.conf)
        return self._ironic

    def present_nodes(self, hypervisor, bmc_driver=None):
        """Nodes wanted on hypervisor, optionally those of one BMC kind."""
        if self.teardown:
            return []
        return [node for node in self.state['nodes'].values()
                if node['hypervisor'] == hypervisor.name
                and node.get('state') == schedule.PRESENT
                and bmc_driver in (None, node['bmc']['driver'])]

    def served_nodes(self, hypervisor, emulator):
        """Nodes wanted on hypervisor whose BMC the emulator serves."""
        return [node for node in self.present_nodes(hypervisor)
                if self.cluster.bmc_emulators.get(
                    node['bmc']['driver']) == emulator]

    def host_of(self, hypervisor):
        """The hypervisor's host, reached once per run."""
        if hypervisor.name not in self._hosts:
            self._hosts[hypervisor.name] = self._reach(hypervisor)
        return self._hosts[hypervisor.name]

    def _reach(self, hypervisor):
        if hypervisor.is_local:
            return hosts.LocalHost()
        host = hosts.SSHHost(
            hypervisor.name, hypervisor.address, hypervisor.ssh_user,
            hypervisor.ssh_port, hypervisor.ssh_key,
            self.conf.ssh.known_hosts_file, self.conf.ssh.connect_timeout)
        try:
            host.run(['true'])
        except exception.HostError as err:
            host.close()
            raise exception.HostError(
                'Hypervisor %s is out of reach over SSH (%s@%s:%d): %s' % (
                    hypervisor.name, hypervisor.ssh_user, hypervisor.address,
                    hypervisor.ssh_port, err.kwargs.get('stderr')))
        return host

    def reach_all(self):
        """Every hypervisor, or an error naming the one out of reach."""
        self.map(self.host_of, self.cluster.hypervisors)

    def files_of(self, hypervisor, *parts):
        """A path of Tenks' files for hypervisor, on that hypervisor.

        Remote hypervisors get a directory each: in tests several share
        one file system.
        """
        if hypervisor.is_local:
            return os.path.join(self.state_dir, *parts)
        return os.path.join(self.state_dir, 'hosts', hypervisor.name,
                            *parts)

    def log_of(self, hypervisor, name):
        if hypervisor.is_local:
            return os.path.join(self.cluster.log_dir, name)
        return os.path.join(self.cluster.log_dir, hypervisor.name, name)

    def net_facts(self, hypervisor):
        if hypervisor.name not in self._facts:
            self._facts[hypervisor.name] = net_facts.read(
                self.host_of(hypervisor), self.cluster_id)
        return self._facts[hypervisor.name]

    def cached(self, key, read):
        """read(), once per step: facts several kinds observe alike."""
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    def forget_facts(self):
        self._facts.clear()
        self._cache.clear()

    def batch(self, hypervisor):
        return batch.Batch(self.host_of(hypervisor))

    @property
    def bridges(self):
        return self.bridges_of(self.cluster.network.bridge_type)

    def bridges_of(self, kind):
        return net_kinds.backend(
            kind, self.cluster_id,
            ovs.datapath_type(self.cluster.network.ovs_datapath_type))

    def libvirt(self, hypervisor):
        if hypervisor.name not in self._libvirt:
            self._libvirt[hypervisor.name] = metering.Counted(
                self.provider.connect(hypervisor.libvirt_uri),
                self.libvirt_calls)
        return self._libvirt[hypervisor.name]

    def engine(self, hypervisor):
        if hypervisor.name not in self._engines:
            self._engines[hypervisor.name] = self.provider.detect_engine(
                self.cluster.libvirt.engine, self.host_of(hypervisor),
                os.path.join(self.state_dir,
                             'kvm-probe-%s' % hypervisor.name))
        return self._engines[hypervisor.name]

    def sushy(self, hypervisor):
        return sushy_daemon.Emulator(
            self.host_of(hypervisor), self.files_of(hypervisor, 'sushy'),
            self.log_of(hypervisor, 'sushy-emulator.log'),
            # Where the certificate Ironic trusts is kept, here.
            local_directory=os.path.join(self.state_dir, 'hosts',
                                         hypervisor.name, 'redfish-ca')
            if not hypervisor.is_local else None)

    def vbmcd(self, hypervisor):
        return vbmcd.Daemon(self.host_of(hypervisor),
                            self.files_of(hypervisor, 'vbmc'),
                            self.log_of(hypervisor, 'vbmcd.log'),
                            self.conf.ipmi.vbmcd_control_port)

    def tenks_ipmi(self, hypervisor):
        return ipmi_daemon.Daemon(self.host_of(hypervisor),
                                  self.files_of(hypervisor, 'tenks-ipmi'),
                                  self.log_of(hypervisor, 'tenks-ipmi.log'))

    def map(self, function, items):
        """function over items on the bounded worker pool; re-raises."""
        return list(self._pool.map(function, items))

    def close(self):
        self._pool.shutdown()
        if self._ironic is not None:
            self._ironic.close()
        for conn in self._libvirt.values():
            conn.close()
        for host in self._hosts.values():
            host.close()
        LOG.debug('Run cost: %d host commands, %d libvirt calls, %d Ironic '
                  'writes; peak RSS %d KiB',
                  sum(h.commands for h in self._hosts.values()),
                  self.libvirt_calls.value,
                  self._ironic.writes if self._ironic else 0,
                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
