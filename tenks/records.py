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

"""The records of the state file, typed, and what follows from them.

Each record is read from and written to the JSON objects of the state
file's schema version 1 unchanged (``from_dict``/``to_dict``). What a
run wants (written by the scheduler) is kept apart from what apply found
out (each record's ``outcome``): apply hands its outcomes to an Outcomes
sink, and the thread that saves the state merges them in.

Keys a record does not know are kept as they were, so that a file
written by a Tenks that records more is not thinned by one that records
less.
"""

import dataclasses
import threading
import typing

ABSENT = 'absent'
PRESENT = 'present'


def _known(cls, data):
    """data's keys that are fields of cls, and the others."""
    names = {field.name for field in dataclasses.fields(cls)}
    return ({key: value for key, value in data.items() if key in names},
            {key: value for key, value in data.items() if key not in names})


def _without_none(data, *keys):
    return {key: value for key, value in data.items()
            if not (key in keys and value is None)}


class _Flat:
    """A record of plain fields only: its dict is its fields, as they are."""

    @classmethod
    def from_dict(cls, data):
        return cls(**data)

    def to_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Volume(_Flat):
    name: str
    capacity: int


@dataclasses.dataclass
class Nic(_Flat):
    """A node NIC: its MAC, and the veth pair wiring it to a bridge."""

    physnet: str
    mac: str
    bridge: str
    veth_bridge: str
    veth_node: str

    @property
    def links(self):
        return (self.veth_bridge, self.veth_node)


@dataclasses.dataclass
class Bmc(_Flat):
    """Where a node's virtual BMC listens, and what it speaks."""

    driver: str
    address: str
    port: int

    @property
    def is_redfish(self):
        return self.driver == 'redfish'

    def redfish_root(self, tls):
        """The Redfish service's root URL, without a path."""
        return '%s://%s:%d' % ('https' if tls else 'http', self.address,
                               self.port)


@dataclasses.dataclass
class NodeOutcome:
    """What a deploy found out about a node, as opposed to what it wants.

    ironic_uuid: the UUID Ironic gave the node, None until enrolled.
    placement: why the scheduler put the node on its hypervisor.
    """

    ironic_uuid: typing.Optional[str] = None
    placement: typing.Optional[str] = None


@dataclasses.dataclass
class Node:
    """One node: its hardware, wiring, BMC and Ironic data."""

    name: str
    uuid: str
    spec: str
    hypervisor: str
    volumes: typing.List[Volume]
    nics: typing.List[Nic]
    bmc: Bmc
    type: str = None
    memory_mb: int = None
    vcpus: int = None
    cpu_mode: typing.Optional[str] = None
    # A name of tenks.arches; None for nodes recorded before Tenks built
    # other architectures than x86_64, and then left out of the file.
    arch: typing.Optional[str] = None
    console_log: bool = False
    boot_mode: str = None
    ironic_driver: str = None
    ironic_config: typing.Optional[dict] = None
    state: str = PRESENT
    outcome: NodeOutcome = dataclasses.field(default_factory=NodeOutcome)
    extra: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        outcome = NodeOutcome(ironic_uuid=data.pop('ironic_uuid', None),
                              placement=data.pop('placement', None))
        known, extra = _known(cls, data)
        known['volumes'] = [Volume.from_dict(v) for v in known['volumes']]
        known['nics'] = [Nic.from_dict(n) for n in known['nics']]
        known['bmc'] = Bmc.from_dict(known['bmc'])
        return cls(outcome=outcome, extra=extra, **known)

    def to_dict(self):
        data = {field.name: getattr(self, field.name)
                for field in dataclasses.fields(self)
                if field.name not in ('outcome', 'extra')}
        data['volumes'] = [volume.to_dict() for volume in self.volumes]
        data['nics'] = [nic.to_dict() for nic in self.nics]
        data['bmc'] = self.bmc.to_dict()
        data['ironic_uuid'] = self.outcome.ironic_uuid
        if self.arch is None:
            del data['arch']
        if self.outcome.placement is not None:
            data['placement'] = self.outcome.placement
        data.update(self.extra)
        return data

    @property
    def is_present(self):
        """Whether the state keeps the node (not marked for removal)."""
        return self.state != ABSENT

    @property
    def enrolled(self):
        """Whether the node is to be an Ironic node."""
        return bool(self.ironic_config)

    @property
    def known_to_ironic(self):
        """Whether the node is, or was, to be an Ironic node."""
        return self.enrolled or bool(self.outcome.ironic_uuid)

    @property
    def redfish_system_path(self):
        """The path of the node's Redfish system under the service."""
        return '/redfish/v1/Systems/%s' % self.uuid

    def bmc_endpoint(self, tls):
        """Where the BMC answers: host:port, or the Redfish system URL."""
        if self.bmc.is_redfish:
            return self.bmc.redfish_root(tls) + self.redfish_system_path
        return '%s:%s' % (self.bmc.address, self.bmc.port)


@dataclasses.dataclass
class Ssh(_Flat):
    address: str
    user: str
    port: int
    key: typing.Optional[str] = None

    @classmethod
    def from_dict(cls, data):
        # A local hypervisor is reached without SSH: null in the file.
        return None if data is None else super().from_dict(data)


@dataclasses.dataclass
class HypervisorOutcome:
    """What apply made on a hypervisor that the state must remember.

    pool: the storage pool Tenks created there, None if it made none.
    redfish_tls: whether the Redfish emulator there serves TLS (for
    `tenks list`, which reads only the state); None when none runs.
    """

    pool: typing.Optional[str] = None
    redfish_tls: typing.Optional[bool] = None


@dataclasses.dataclass
class HypervisorRecord:
    """How a hypervisor is reached, and its physnets' stable indices."""

    libvirt_uri: str = None
    ssh: typing.Optional[Ssh] = None
    physnet_indices: typing.Dict[str, int] = dataclasses.field(
        default_factory=dict)
    # The VLAN of each physnet that has one, for `tenks verify`.
    physnet_vlans: typing.Dict[str, int] = dataclasses.field(
        default_factory=dict)
    outcome: HypervisorOutcome = dataclasses.field(
        default_factory=HypervisorOutcome)
    extra: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        outcome = HypervisorOutcome(pool=data.pop('pool', None),
                                    redfish_tls=data.pop('redfish_tls', None))
        known, extra = _known(cls, data)
        if 'ssh' in known:
            known['ssh'] = Ssh.from_dict(known['ssh'])
        return cls(outcome=outcome, extra=extra, **known)

    def to_dict(self):
        data = {'libvirt_uri': self.libvirt_uri,
                'ssh': self.ssh and self.ssh.to_dict(),
                'physnet_indices': dict(self.physnet_indices)}
        if self.physnet_vlans:
            data['physnet_vlans'] = dict(self.physnet_vlans)
        data.update(_without_none(dataclasses.asdict(self.outcome),
                                  'pool', 'redfish_tls'))
        data.update(self.extra)
        return data


@dataclasses.dataclass
class ClusterOutcome:
    """flavors: the Nova flavors Tenks made; None until it made any."""

    flavors: typing.Optional[typing.List[str]] = None


@dataclasses.dataclass
class State:
    """The whole state file."""

    schema_version: int
    cluster_id: str
    credentials: typing.Dict[str, str] = dataclasses.field(
        default_factory=dict)
    hypervisors: typing.Dict[str, HypervisorRecord] = dataclasses.field(
        default_factory=dict)
    nodes: typing.Dict[str, Node] = dataclasses.field(default_factory=dict)
    outcome: ClusterOutcome = dataclasses.field(
        default_factory=ClusterOutcome)
    extra: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        outcome = ClusterOutcome(flavors=data.pop('flavors', None))
        known, extra = _known(cls, data)
        known['hypervisors'] = {
            name: HypervisorRecord.from_dict(record)
            for name, record in known.get('hypervisors', {}).items()}
        known['nodes'] = {name: Node.from_dict(node)
                          for name, node in known.get('nodes', {}).items()}
        return cls(outcome=outcome, extra=extra, **known)

    def to_dict(self):
        data = {'schema_version': self.schema_version,
                'cluster_id': self.cluster_id,
                'credentials': dict(self.credentials),
                'hypervisors': {name: record.to_dict() for name, record
                                in self.hypervisors.items()},
                'nodes': {name: node.to_dict()
                          for name, node in self.nodes.items()}}
        if self.outcome.flavors is not None:
            data['flavors'] = list(self.outcome.flavors)
        data.update(self.extra)
        return data

    def nodes_on(self, hypervisor_name):
        """Every node the state records on the hypervisor, kept or not."""
        return [node for node in self.nodes.values()
                if node.hypervisor == hypervisor_name]

    def present_nodes(self):
        return [node for node in self.nodes.values() if node.is_present]

    def redfish_tls_on(self, hypervisor_name):
        """Whether the Redfish emulator on the hypervisor serves TLS."""
        record = self.hypervisors.get(hypervisor_name)
        return bool(record and record.outcome.redfish_tls)

    @property
    def made_flavors(self):
        return list(self.outcome.flavors or [])


NODE = 'node'
HYPERVISOR = 'hypervisor'
CLUSTER = 'cluster'


class Outcomes:
    """Outcomes of apply, handed from any thread to the one that saves.

    A kind records what it found out here instead of writing into the
    state that another thread may be serialising at that moment; the
    saving thread merges them in (merge_into) before each save. Steps
    later in the same thread read what earlier ones recorded (latest).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pending = []
        self._latest = {}

    def record(self, scope, name=None, **values):
        with self._lock:
            self._pending.append((scope, name, values))
            for key, value in values.items():
                self._latest[scope, name, key] = value

    def node(self, name, **values):
        self.record(NODE, name, **values)

    def hypervisor(self, name, **values):
        self.record(HYPERVISOR, name, **values)

    def cluster(self, **values):
        self.record(CLUSTER, **values)

    def latest(self, scope, name, key, default=None):
        """The last value recorded for key, or default."""
        with self._lock:
            return self._latest.get((scope, name, key), default)

    def merge_into(self, state):
        """Write the outcomes recorded so far into state."""
        with self._lock:
            pending, self._pending = self._pending, []
        for scope, name, values in pending:
            target = _outcome_of(state, scope, name)
            if target is not None:
                for key, value in values.items():
                    setattr(target, key, value)


def _outcome_of(state, scope, name):
    if scope == CLUSTER:
        return state.outcome
    if scope == HYPERVISOR:
        return state.hypervisors.setdefault(name, HypervisorRecord()).outcome
    node = state.nodes.get(name)
    # A node forgotten since (its removal finished) has nothing to keep.
    return node.outcome if node is not None else None
