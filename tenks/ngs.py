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

"""networking-generic-switch's view of Tenks' Open vSwitch bridges.

Pure: from the state, the ``[genericswitch:<name>]`` sections that let
NGS's ``netmiko_ovs_linux`` device drive each bridge Ironic ports point
at, and what the switch user is allowed. NGS picks the section of a port
by its ``local_link_connection``: the one whose ``ngs_mac_address`` is the
port's ``switch_id``, else the one named by its ``switch_info``; both come
from tenks.ironic.fields, so they cannot drift apart.
"""

import collections

from tenks import exception
from tenks.ironic import fields
from tenks import model
from tenks import naming

DEVICE_TYPE = 'netmiko_ovs_linux'
SECTION = 'genericswitch:%s'
LOCAL_ADDRESS = '127.0.0.1'
# What NGS's OVS device sends, once netmiko's Linux driver has a root
# shell (it runs "sudo -s" unless the prompt is already root's "#"):
# ovs-vsctl set/clear/add/remove on a port's tag, trunks and vlan_mode,
# "list port", and "get/set/remove bridge <bridge> external_ids".
COMMANDS = ('ovs-vsctl',)


Access = collections.namedtuple('Access', 'user key_file local_address port')


def switches(state, bridge_type, access, source):
    """[(switch_info, options)] for every bridge an enrolled NIC is on.

    access says how NGS reaches the hypervisors: the switch user (None:
    each hypervisor's SSH user, root on the local one), the private key,
    the address of the local hypervisor and an SSH port (None: each
    hypervisor's own).
    """
    if bridge_type != 'openvswitch':
        raise exception.SwitchNotOpenvSwitch(source=source,
                                             bridge_type=bridge_type)
    ports = collections.defaultdict(list)
    for node in state.present_nodes():
        if node.ironic_config is None:
            continue
        for nic in node.nics:
            ports[(node.hypervisor, nic.bridge)].append(nic.veth_bridge)
    if not ports:
        raise exception.SwitchHasNoPorts(source=source)
    macs = collections.Counter(naming.bridge_mac(state.cluster_id, bridge)
                               for _, bridge in ports)
    result = []
    for (hypervisor, bridge), names in sorted(ports.items()):
        options = _reach(state.hypervisors.get(hypervisor), hypervisor,
                         access)
        mac = naming.bridge_mac(state.cluster_id, bridge)
        # NGS matches ngs_mac_address before switch_info: a MAC that
        # bridges of two hypervisors share would send both to the first.
        if macs[mac] == 1:
            options['ngs_mac_address'] = mac
        options.update(ngs_ovs_bridge=bridge,
                       ngs_allowed_ports=','.join(sorted(names)))
        result.append((fields.switch_info(hypervisor, bridge), options))
    return result


def _reach(record, hypervisor, access):
    ssh = record.ssh if record else None
    local = hypervisor == model.LOCALHOST or ssh is None
    options = {
        'device_type': DEVICE_TYPE,
        'ip': access.local_address if local else ssh.address,
        'username': access.user or ('root' if local else ssh.user),
        'key_file': access.key_file,
    }
    port = access.port or (None if local else ssh.port)
    if port:
        options['port'] = str(port)
    return options


def render(sections):
    """The ini text NGS reads (neutron's ml2_conf_genericswitch.ini)."""
    lines = ['# Written by Tenks: the bridges of its cluster, as '
             'networking-generic-switch', '# devices; every tenks deploy '
             'rewrites it.']
    for name, options in sections:
        lines += ['', '[%s]' % (SECTION % name)]
        lines += ['%s = %s' % item for item in sorted(options.items())]
    return '\n'.join(lines) + '\n'


def authorized_key(public_key, cluster_id):
    """The authorized_keys line for the switch user: no forwarding.

    netmiko needs an interactive shell with a terminal, so the key is
    restricted to that (restrict,pty), not to a forced command.
    """
    return 'restrict,pty %s tenks-ngs-%s\n' % (
        ' '.join(public_key.split()[:2]), cluster_id)


def sudoers(users):
    """A sudoers snippet for switch users other than root.

    netmiko's Linux driver opens its root shell with "sudo -s", so what
    sudo must allow is that shell; NGS then runs only COMMANDS in it.
    """
    lines = ['# networking-generic-switch (netmiko_ovs_linux) runs '
             '"sudo -s", then only %s.' % ', '.join(COMMANDS)]
    lines += ['%s ALL=(root) NOPASSWD: /bin/sh, /bin/bash' % user
              for user in sorted(set(users) - {'root'})]
    return '\n'.join(lines) + '\n'
