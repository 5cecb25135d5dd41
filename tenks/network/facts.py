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

"""What a hypervisor's network looks like: links, bridges, their ports.

Read with one `ip` and one `ovs-vsctl` call per hypervisor and run; the
parsers are pure so they are tested on captured output.
"""

import dataclasses
import json

from tenks import exception
from tenks.network import batch
from tenks.network import offload

ALIAS_PREFIX = 'tenks:'
OVS_MARK = 'tenks-cluster'


@dataclasses.dataclass
class Link:
    name: str
    kind: str = None        # veth, bridge, tun, ... or None (physical)
    alias: str = None
    master: str = None
    peer: str = None
    address: str = None


@dataclasses.dataclass
class OVSBridge:
    name: str
    datapath_type: str = ''
    mark: str = None
    ports: dict = dataclasses.field(default_factory=dict)  # name -> Port


@dataclasses.dataclass
class OVSPort:
    name: str
    mark: str = None
    type: str = ''
    peer: str = None
    tag: int = None
    vlan_mode: str = None
    qinq_ethtype: str = None


class NetworkFacts:
    """Links and OVS bridges of one hypervisor, with ownership helpers."""

    def __init__(self, links, ovs_bridges, cluster_id, read_offloads=None,
                 ovs_error=None):
        self.links = links
        self.ovs = ovs_bridges
        # Why Open vSwitch did not answer; None if it did. No bridges is
        # then no answer, not an answer: a cluster that uses OVS stops.
        self.ovs_error = ovs_error
        self.mark = cluster_id
        self.port_bridge = {port: bridge.name
                            for bridge in ovs_bridges.values()
                            for port in bridge.ports}
        self._read_offloads = read_offloads
        self._offloads = None

    def owns_link(self, name):
        link = self.links.get(name)
        return bool(link and link.alias == ALIAS_PREFIX + self.mark)

    def bridge_of(self, name):
        """The bridge (OVS or Linux) whose port name is, or None."""
        if name in self.port_bridge:
            return self.port_bridge[name]
        link = self.links.get(name)
        master = link and link.master
        if master and self.links.get(master, Link(master)).kind == 'bridge':
            return master
        return None

    def tx_offload(self, name):
        """Whether Tenks' veth end name offloads TX checksums, or None.

        Read on first use, for all of the cluster's veths at once: only
        hypervisors with a userspace datapath need it.
        """
        if self._offloads is None:
            owned = sorted(link for link, facts in self.links.items()
                           if facts.kind == 'veth' and self.owns_link(link))
            self._offloads = self._read_offloads(owned) if (
                owned and self._read_offloads) else {}
        return self._offloads.get(name)

    def userspace(self, bridge):
        """Whether bridge is an OVS bridge on the userspace datapath."""
        return bridge in self.ovs and self.ovs[bridge].datapath_type == \
            'netdev'

    def device_kind(self, name):
        """openvswitch, linuxbridge, interface, or None if absent."""
        if name in self.ovs:
            return 'openvswitch'
        link = self.links.get(name)
        if link is None:
            return None
        return 'linuxbridge' if link.kind == 'bridge' else 'interface'


def read(host, cluster_id):
    links = parse_links(host.run(['ip', '-j', '-d', 'link', 'show'],
                                 repeatable=True))
    ovs, error = {}, None
    try:
        probe = host.execute(OVS_PROBE, repeatable=True)
    except exception.HostConnectionLost:
        raise
    except exception.HostError as err:      # not installed
        probe, error = None, err.kwargs['stderr']
    if probe and probe.returncode == 0:
        ovs = parse_ovs(batch.run_vsctl(host, OVS_QUERY,
                                        repeatable=True))
    elif probe:
        error = batch.unanswered(probe.returncode, probe.stderr)
    return NetworkFacts(links, ovs, cluster_id,
                        lambda names: offload.read(host, names),
                        ovs_error=error)


OVS_PROBE = ['ovs-vsctl', '--timeout=5', 'show']


OVS_QUERY = [
    'ovs-vsctl', '--timeout=30', '-f', 'json',
    '--', '--columns=name,ports,external_ids,datapath_type', 'list', 'Bridge',
    '--', '--columns=_uuid,name,external_ids,interfaces,tag,vlan_mode,'
    'other_config', 'list', 'Port',
    '--', '--columns=_uuid,type,options', 'list', 'Interface',
]


def parse_links(output):
    links = {}
    for entry in json.loads(output or '[]'):
        info = entry.get('linkinfo', {})
        links[entry['ifname']] = Link(
            name=entry['ifname'], kind=info.get('info_kind'),
            alias=entry.get('ifalias'), master=entry.get('master'),
            peer=entry.get('link'), address=entry.get('address'))
    return links


def parse_ovs(output):
    bridges_table, ports_table, ifaces_table = (
        json.loads(line) for line in output.strip().splitlines())
    ifaces = {_uuid(row[0]): (row[1], _map(row[2]))
              for row in ifaces_table['data']}
    ports = {}
    for row in ports_table['data']:
        uuid_cell, name, external_ids, iface_cells = row[:4]
        tag, vlan_mode, other_config = (row + [None] * 3)[4:7]
        iface_type, options = ifaces.get(_uuids(iface_cells)[0], ('', {}))
        ports[_uuid(uuid_cell)] = OVSPort(
            name=name, mark=_map(external_ids).get(OVS_MARK),
            type=iface_type, peer=options.get('peer'),
            tag=_optional(tag), vlan_mode=_optional(vlan_mode),
            qinq_ethtype=_map(other_config).get('qinq-ethtype')
            if other_config else None)
    bridges = {}
    for name, port_cells, external_ids, datapath in bridges_table['data']:
        members = [ports[uuid] for uuid in _uuids(port_cells)
                   if uuid in ports]
        bridges[name] = OVSBridge(
            name=name, datapath_type=datapath,
            mark=_map(external_ids).get(OVS_MARK),
            ports={port.name: port for port in members if port.name != name})
    return bridges


def _uuid(cell):
    return cell[1]


def _uuids(cell):
    """A set column holds ["uuid", x] for one member, ["set", [...]] else."""
    if cell[0] == 'uuid':
        return [cell[1]]
    return [member[1] for member in cell[1]]


def _optional(cell):
    """An optional column: its value, or None for the empty set."""
    if isinstance(cell, list) and cell and cell[0] == 'set':
        return cell[1][0] if cell[1] else None
    return cell


def _map(cell):
    return dict(cell[1])
