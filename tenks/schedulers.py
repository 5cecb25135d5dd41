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

"""The capacity scheduler: each new node where the most memory is left.

Pure: the facts of each hypervisor come in (gathered by
tenks.providers.libvirt_facts.capacity_facts), a Placement comes out.

What is counted on each hypervisor:

- Memory: all domains together may have up to memory_overcommit_ratio
  times the host's memory. Domains that are not Tenks' count at the
  maximum memory libvirt reports for them. Tenks' own nodes count at what
  the next state wants, whatever their domains have now: nodes being
  removed count nothing, kept nodes count their memory as edited (also
  when their domain is re-created) and nodes whose domain a killed run
  did not create yet count already. ``capacity: {memory_mb: N}`` in the
  cluster file also caps the memory of Tenks' nodes there.
- Disk: disk_overcommit_ratio times what the pool (or, before it exists,
  its file system) has free, less the full size of the volumes placed
  there in this run. The free space already reflects what existing
  volumes have written; a new qcow2 volume writes almost nothing until
  used, but may grow to its size, hence the ratio (1.0: never more than
  fits). ``capacity: {disk: 10GiB}`` also caps the size of Tenks' volumes
  there. A remote hypervisor without the pool has no known free disk:
  only ``capacity`` limits it.
- vCPUs: only ``capacity: {vcpus: N}`` limits them; QEMU runs more vCPUs
  than a host has CPUs.

Of the hypervisors a node fits on, it goes to the one with the most
memory left after placing it, the first by name on a tie.
"""

import collections
import dataclasses

from tenks import contracts
from tenks import exception

GIB = 1024 ** 3
RESOURCES = ('memory', 'vcpus', 'disk')


@dataclasses.dataclass(frozen=True)
class _Limit:
    """What one limit leaves of a resource, and which limit it is."""
    left: int
    why: str


class CapacityScheduler(contracts.Scheduler):
    """Best fit by memory, within each hypervisor's memory and disk."""

    needs_facts = True

    def __init__(self, conf=None, facts=None):
        super().__init__(conf, facts)
        self.ratio = 1.0 if conf is None else conf.memory_overcommit_ratio
        self.disk_ratio = 1.0 if conf is None else conf.disk_overcommit_ratio
        # Bytes of volumes placed on each hypervisor by this run: the
        # facts were read before any of them existed.
        self._new_disk = collections.Counter()

    def place(self, request):
        need = {'memory': request.node_type.memory_mb,
                'vcpus': request.node_type.vcpus,
                'disk': sum(request.node_type.volumes)}
        rooms = {hypervisor.name: self._room(hypervisor, request)
                 for hypervisor in request.candidates}
        short = {name: _shortfalls(need, room)
                 for name, room in rooms.items()}
        fits = sorted((h for h in request.candidates if not short[h.name]),
                      key=lambda h: (-_after(rooms[h.name], need), h.name))
        if not fits:
            raise _nowhere(request, need, short)
        choice = fits[0]
        self._new_disk[choice.name] += need['disk']
        return contracts.Placement(
            choice, _explain(request, choice, fits, rooms, short, need))

    def _room(self, hypervisor, request):
        """The tightest limit on each resource; None where unlimited."""
        mine = [node for node in request.state.nodes_on(hypervisor.name)
                if node.is_present]
        facts = self.facts.get(hypervisor.name)
        limits = _capacity_limits(hypervisor.capacity, mine)
        if facts:
            limits['memory'].append(self._host_memory(
                facts, hypervisor, request.state, mine))
            if facts.get('disk_free') is not None:
                limits['disk'].append(self._free_disk(facts, hypervisor))
        room = {resource: min(found, key=lambda limit: limit.left)
                if found else None for resource, found in limits.items()}
        room['disk_note'] = _disk_note(facts)
        return room

    def _free_disk(self, facts, hypervisor):
        """Disk left for new volumes under disk_overcommit_ratio."""
        placed = self._new_disk[hypervisor.name]
        return _Limit(int(self.disk_ratio * facts['disk_free']) - placed,
                      ' (%g x %.1f GiB free in %s%s)' % (
                          self.disk_ratio, facts['disk_free'] / GIB,
                          facts['disk_source'],
                          ', less %.1f GiB of new volumes' % (placed / GIB)
                          if placed else ''))

    def _host_memory(self, facts, hypervisor, state, mine):
        """Memory left on the host under memory_overcommit_ratio."""
        # Tenks' domains are counted as the next state wants them.
        tenks = {node.name for node in state.nodes_on(hypervisor.name)}
        others = facts['committed_mb'] - sum(
            size for name, size in facts['domains'].items() if name in tenks)
        committed = others + sum(node.memory_mb for node in mine)
        allowed = int(self.ratio * facts['memory_mb'])
        return _Limit(allowed - committed,
                      ' (%g x %d MiB, %d MiB committed)' % (
                          self.ratio, facts['memory_mb'], committed))


def _capacity_limits(capacity, mine):
    """What the cluster file's capacity leaves, given Tenks' nodes there."""
    used = {'memory': sum(node.memory_mb for node in mine),
            'vcpus': sum(node.vcpus for node in mine),
            'disk': sum(volume.capacity for node in mine
                        for volume in node.volumes)}
    limits = {resource: [] for resource in RESOURCES}
    for resource, key in (('memory', 'memory_mb'), ('vcpus', 'vcpus'),
                          ('disk', 'disk')):
        limit = getattr(capacity, key)
        if limit is not None:
            limits[resource].append(_Limit(
                limit - used[resource], ' of capacity.%s %s' % (
                    key, _show(resource, limit, unit=False))))
    return limits


def _shortfalls(need, room):
    problems = []
    for resource in RESOURCES:
        limit = room[resource]
        if limit is not None and need[resource] > limit.left:
            problems.append('has %s left%s' % (
                _show(resource, max(limit.left, 0)), limit.why))
    return problems


def _after(room, need):
    """Memory left once the node is placed; unlimited sorts first."""
    if room['memory'] is None:
        return float('inf')
    return room['memory'].left - need['memory']


def _show(resource, amount, unit=True):
    if resource == 'memory':
        return '%d MiB' % amount if unit else str(amount)
    if resource == 'vcpus':
        return '%d vCPU%s' % (amount, '' if amount == 1 else 's') \
            if unit else str(amount)
    return '%.1f GiB%s' % (amount / GIB, ' disk' if unit else '')


def _disk_note(facts):
    if facts and facts.get('disk_free') is None:
        return 'free disk %s' % facts['disk_source']
    return None


def _nowhere(request, need, short):
    wants = ', '.join(_show(resource, need[resource])
                      for resource in RESOURCES if need[resource])
    why = ['%s %s' % (name, ' and '.join(problems))
           for name, problems in short.items()]
    why += ['%s %s' % item for item in request.refused.items()]
    return exception.NoHypervisorFits(
        source=request.cluster.source, spec=request.spec.key,
        node_type=request.spec.type, needs=wants, reasons=sorted(why))


def _explain(request, choice, fits, rooms, short, need):
    """Why choice, and what the other hypervisors had."""
    if len(request.cluster.hypervisors) == 1:
        why = 'the only hypervisor'
    elif len(fits) == 1:
        why = 'the only one it fits'
    else:
        why = 'most memory left'
    notes = [_left_after(rooms[choice.name], need)]
    if rooms[choice.name]['disk_note']:
        notes.append(rooms[choice.name]['disk_note'])
    parts = ['%s: %s (%s)' % (choice.name, why, ', '.join(notes))]
    others = {hypervisor.name: _left_after(rooms[hypervisor.name], need)
              for hypervisor in fits[1:]}
    others.update((name, ' and '.join(problems))
                  for name, problems in short.items() if problems)
    others.update(request.refused)
    parts += ['%s: %s' % item for item in sorted(others.items())]
    return '; '.join(parts)


def _left_after(room, need):
    if room['memory'] is None:
        return 'memory not limited'
    return '%d MiB left after' % (room['memory'].left - need['memory'])
