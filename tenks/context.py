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

"""What one run works with, in parts that each do one job.

- Run: the run's data (cluster, the state it moves to, teardown, force).
- Facts: one cache of what kinds observe alike, forgotten after each step
  unless kept for the run.
- tenks.hypervisors.Hypervisors: hosts, connections and paths.
- Context: a Run with those parts, the plugins, Ironic and the workers,
  as every kind receives it.
"""

import concurrent.futures
import logging
import resource

from tenks import exception
from tenks import hypervisors as hypervisors_module
from tenks.ironic import client as ironic_client
from tenks import kinds as kinds_module
from tenks import plugins
from tenks import records
from tenks import state as state_module

LOG = logging.getLogger(__name__)
_UNSET = object()


class Run:
    """The run's data: the cluster, the state it moves to, and how."""

    def __init__(self, conf, cluster, state, teardown=False, force=False,
                 leave_ironic=False):
        self.conf = conf
        self.cluster = cluster
        self.state = state
        self.teardown = teardown
        self.force = force
        # What apply finds out, from any thread; merged in before a save.
        self.outcomes = records.Outcomes()
        # A teardown that leaves Ironic's records to Ironic's own clean-up.
        self.leave_ironic = leave_ironic

    @property
    def cluster_id(self):
        return self.state.cluster_id

    def save(self):
        """Merge the outcomes recorded so far and save the state.

        Only the main thread calls this, so the state is never serialised
        while another thread changes it.
        """
        self.outcomes.merge_into(self.state)
        state_module.save(self.cluster.state_file_path, self.state)

    def ironic_uuid(self, name):
        """The node's Ironic UUID, as recorded in the state or this run."""
        recorded = self.outcomes.latest(records.NODE, name, 'ironic_uuid',
                                        _UNSET)
        if recorded is _UNSET:
            return self.state.nodes[name].outcome.ironic_uuid
        return recorded

    def present_nodes(self, hypervisor, bmc_driver=None):
        """Nodes wanted on hypervisor, optionally those of one BMC kind."""
        if self.teardown:
            return []
        return [node for node in self.state.nodes_on(hypervisor.name)
                if node.is_present
                and bmc_driver in (None, node.bmc.driver)]

    def served_nodes(self, hypervisor, emulator):
        """Nodes wanted on hypervisor whose BMC the emulator serves."""
        return [node for node in self.present_nodes(hypervisor)
                if self.cluster.bmc_emulators.get(
                    node.bmc.driver) == emulator]


class Facts:
    """What several kinds observe alike, read once.

    Per step by default: a step changes what the next one would read.
    """

    def __init__(self):
        self._values = {}
        self._kept = set()

    def cached(self, key, read, keep=False):
        """read(), once per step; once per run if keep."""
        if key not in self._values:
            self._values[key] = read()
            if keep:
                self._kept.add(key)
        return self._values[key]

    def forget(self):
        """Forget what a step may have changed."""
        for key in set(self._values) - self._kept:
            del self._values[key]


class Context(Run):
    """A run's data, and what its kinds work through."""

    def __init__(self, conf, cluster, state, teardown=False, force=False,
                 leave_ironic=False):
        super().__init__(conf, cluster, state, teardown, force,
                         leave_ironic)
        self.provider = plugins.provider()
        # Every emulator, not only the cluster's: one no longer chosen
        # still removes what it served.
        self.bmc_emulators = [plugin() for _, plugin in
                              plugins.load_all(plugins.BMC_EMULATORS)]
        self.hypervisors = hypervisors_module.Hypervisors.from_cluster(
            conf, cluster, self.provider)
        self.facts = Facts()
        self._ironic = None
        self._pool = concurrent.futures.ThreadPoolExecutor(conf.workers)

    def kinds(self):
        return kinds_module.of_run(self.provider, self.bmc_emulators,
                                   ironic=not self.leave_ironic)

    def ironic(self):
        """The run's Ironic client; an error when no cloud is configured."""
        if self._ironic is None:
            if not ironic_client.configured(self.conf):
                raise exception.IronicNotConfigured(
                    source=self.cluster.source)
            self._ironic = ironic_client.Ironic(self.conf)
        return self._ironic

    def reach_all(self):
        """Every hypervisor, or an error naming the one out of reach."""
        self.map(self.hypervisors.reach, self.cluster.hypervisors)

    def map(self, function, items):
        """function over items on the bounded worker pool; re-raises."""
        return list(self._pool.map(function, items))

    def close(self):
        self._pool.shutdown()
        if self._ironic is not None:
            self._ironic.close()
        self.hypervisors.close()
        LOG.debug('Run cost: %d host commands, %d libvirt calls, %d Ironic '
                  'writes; peak RSS %d KiB', self.hypervisors.commands,
                  self.hypervisors.libvirt_calls.value,
                  self._ironic.writes if self._ironic else 0,
                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
