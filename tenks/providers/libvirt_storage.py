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

"""libvirt storage for nodes: the pool and the qcow2 volumes in it.

Which volumes are Tenks' is read from the state and, for a run whose
state file was lost, from its domains' disks; the images a Redfish BMC
uploads for virtual media are told apart by their names.
"""

import os
import xml.etree.ElementTree as ET

from tenks import contracts
from tenks import exception
from tenks import plan
from tenks.providers import libvirt_facts


class Pool(contracts.Kind):
    """The storage pool; an existing one of that name is shared."""

    name = 'pool'
    shareable = True

    def want(self, ctx, hypervisor):
        settings = ctx.cluster.libvirt
        if ctx.teardown:
            return {}
        return {settings.pool_name: {
            'path': settings.pool_path,
            'permissions': _permissions(ctx, hypervisor, settings)}}

    @libvirt_facts.translated
    def observe(self, ctx, hypervisor, want):
        settings = ctx.cluster.libvirt
        conn = ctx.hypervisors.connection(hypervisor)
        record = ctx.state.hypervisors.get(hypervisor.name)
        made = record.outcome.pool if record else None
        have = {}
        if settings.pool_name in libvirt_facts.pool_names(conn):
            pool = conn.storagePoolLookupByName(settings.pool_name)
            volumes = set(_volumes(pool))
            mark = _pool_mark(ctx)
            # Removed only if Tenks made it and holds nothing but Tenks'
            # volumes, which this same plan removes first.
            known = _known_volumes(ctx, hypervisor) | set(
                _media_volumes(ctx, hypervisor, volumes))
            owned = ((made == settings.pool_name
                      or mark in volumes)
                     and volumes - {mark} <= known)
            facts = {'active': pool.isActive(), 'permissions': {}}
            if want.get(settings.pool_name, {}).get('permissions') and \
                    facts['active']:
                # An active pool's XML has its directory's actual ones.
                facts['permissions'] = parse_permissions(pool.XMLDesc(0))
            have[settings.pool_name] = plan.Observed(owned, facts)
        return have

    @staticmethod
    def compare(want, have):
        if not have['active']:
            return 'inactive'
        changed = ['%s %s, wanted %s' % (key, have['permissions'].get(key),
                                         value)
                   for key, value in sorted(want['permissions'].items())
                   if have['permissions'].get(key) != value]
        return 'permissions: %s' % '; '.join(changed) if changed else None

    @libvirt_facts.translated
    def apply(self, ctx, hypervisor, actions):
        conn = ctx.hypervisors.connection(hypervisor)
        for action in actions:
            if action.verb == plan.CREATE:
                # Recorded first: a run killed half way still owns it.
                ctx.outcomes.hypervisor(hypervisor.name, pool=action.name)
                _create_pool(conn, action.name, action.want, _pool_mark(ctx))
            elif action.verb == plan.UPDATE:
                _update_pool(ctx.hypervisors.host(hypervisor),
                             conn.storagePoolLookupByName(action.name),
                             action)
            elif action.verb == plan.DELETE:
                _delete_pool(conn.storagePoolLookupByName(action.name),
                             _pool_mark(ctx))
                ctx.outcomes.hypervisor(hypervisor.name, pool=None)


def _volumes(pool):
    if not pool.isActive():
        return []
    pool.refresh()
    return pool.listVolumes()


def _known_volumes(ctx, hypervisor):
    """Volumes Tenks made: from the state, and from its domains' disks.

    The domains' disks let a run whose state file was lost still find them.
    """
    known = {volume.name for node in ctx.state.nodes_on(hypervisor.name)
             for volume in node.volumes}
    pool_path = ctx.cluster.libvirt.pool_path
    for facts in libvirt_facts.domain_facts(ctx, hypervisor):
        if facts['cluster'] == ctx.cluster_id:
            known.update(os.path.basename(disk) for disk in facts['disks']
                         if os.path.dirname(disk) == pool_path)
    return known


def media_volume_suffix(uuid):
    """How sushy-tools ends the volume it uploads an image into for uuid."""
    return '-%s.img' % uuid


def _media_volumes(ctx, hypervisor, names):
    """Of names, images a Redfish BMC uploaded for the cluster's domains.

    Returns {name: whether a node still present has it inserted}: those
    are the node's to keep; the others are left over and Tenks' to delete.
    """
    facts = [f for f in libvirt_facts.domain_facts(ctx, hypervisor)
             if f['cluster'] == ctx.cluster_id]
    suffixes = tuple(media_volume_suffix(uuid) for uuid in sorted(
        {node.uuid for node in ctx.state.nodes_on(hypervisor.name)}
        | {f['uuid'] for f in facts}))
    present = {node.name for node in ctx.present_nodes(hypervisor)}
    pool_path = ctx.cluster.libvirt.pool_path
    inserted = {os.path.basename(path) for f in facts if f['name'] in present
                for path in f['media'] if os.path.dirname(path) == pool_path}
    return {name: name in inserted for name in names
            if suffixes and name.endswith(suffixes)}


def _pool_mark(ctx):
    """An empty volume in the pool saying which cluster made it.

    Pools have no metadata of their own; without the mark, a run whose
    state file was lost could not tell Tenks' pool from anyone else's.
    """
    return '.tenks-%s' % ctx.cluster_id


def _permissions(ctx, hypervisor, settings):
    """The pool directory's wanted mode, uid and gid; those given only.

    libvirt takes ids: names are looked up on the hypervisor, once a run.
    """
    wanted = {'mode': settings.pool_mode}
    for key, database, given in (('owner', 'passwd', settings.pool_owner),
                                 ('group', 'group', settings.pool_group)):
        if given is not None and not given.isdigit():
            given = ctx.facts.cached(
                ('account', hypervisor.name, database, given),
                lambda: _account_id(ctx.hypervisors.host(hypervisor),
                                    hypervisor, database, given, key),
                keep=True)
        wanted[key] = given
    return {key: value for key, value in wanted.items() if value is not None}


def _account_id(host, hypervisor, database, name, key):
    result = host.execute(['getent', database, name])
    fields = result.stdout.split(':')
    if result.returncode or len(fields) < 3:
        raise exception.AccountUnknown(
            key='libvirt_pool_%s' % key, name=name,
            hypervisor=hypervisor.name,
            what='user' if database == 'passwd' else 'group')
    return fields[2]


def pool_xml(name, path, permissions, uuid=None):
    """A directory pool's XML; permissions as _permissions gives them."""
    pool_element = ET.Element('pool', type='dir')
    ET.SubElement(pool_element, 'name').text = name
    if uuid:
        ET.SubElement(pool_element, 'uuid').text = uuid
    target = ET.SubElement(pool_element, 'target')
    ET.SubElement(target, 'path').text = path
    if permissions:
        element = ET.SubElement(target, 'permissions')
        for key in ('mode', 'owner', 'group'):
            if key in permissions:
                ET.SubElement(element, key).text = permissions[key]
    return ET.tostring(pool_element, 'unicode')


def parse_permissions(xml):
    """{mode, owner, group} of a pool's XML, those it holds."""
    element = ET.fromstring(xml).find('target/permissions')
    if element is None:
        return {}
    return {child.tag: child.text for child in element
            if child.tag in ('mode', 'owner', 'group')}


def _update_pool(host, pool, action):
    if not action.have['active']:
        pool.create()
        return
    # A built, active pool's directory is changed in place (pool-build
    # refuses an active pool), and its definition keeps the new values
    # for the next build.
    permissions, path = action.want['permissions'], action.want['path']
    if 'owner' in permissions or 'group' in permissions:
        # chown's "uid:" would also set the group: name only what is given.
        spec = permissions.get('owner', '')
        if 'group' in permissions:
            spec += ':' + permissions['group']
        host.run(['chown', spec, path])
    if 'mode' in permissions:
        host.run(['chmod', permissions['mode'], path])
    pool.connect().storagePoolDefineXML(pool_xml(
        pool.name(), path, permissions, pool.UUIDString()))


def _create_pool(conn, name, want, mark):
    pool = conn.storagePoolDefineXML(pool_xml(name, want['path'],
                                              want['permissions']))
    pool.build()
    pool.setAutostart(True)
    pool.create()
    pool.createXML(_volume_xml(mark, 0, 'raw'))


def _delete_pool(pool, mark):
    if pool.isActive():
        if mark in _volumes(pool):
            pool.storageVolLookupByName(mark).delete()
        pool.destroy()
    pool.delete()
    pool.undefine()


def _pool(ctx, hypervisor):
    return ctx.hypervisors.connection(hypervisor).storagePoolLookupByName(
        ctx.cluster.libvirt.pool_name)


class Volumes(contracts.Kind):
    """A qcow2 volume per node disk."""

    name = 'volume'

    def want(self, ctx, hypervisor):
        return {volume.name: volume.capacity
                for node in ctx.present_nodes(hypervisor)
                for volume in node.volumes}

    @libvirt_facts.translated
    def observe(self, ctx, hypervisor, want):
        known = _known_volumes(ctx, hypervisor)
        have = {}
        if ctx.cluster.libvirt.pool_name in libvirt_facts.pool_names(
                ctx.hypervisors.connection(hypervisor)):
            pool = _pool(ctx, hypervisor)
            names = _volumes(pool)
            leftovers = [name for name, inserted in _media_volumes(
                ctx, hypervisor, names).items() if not inserted]
            for name in names:
                if name in want or name in known or name in leftovers:
                    capacity = pool.storageVolLookupByName(name).info()[1]
                    have[name] = plan.Observed(
                        name in known or name in leftovers, capacity)
        return have

    @staticmethod
    def compare(want, have):
        # libvirt rounds a qcow2 volume's size up to whole KiB.
        if -(-want // 1024) * 1024 != have:
            return 'capacity %d, wanted %d' % (have, want)
        return None

    @libvirt_facts.translated
    def apply(self, ctx, hypervisor, actions):
        pool = _pool(ctx, hypervisor)
        ctx.map(lambda action: self._apply(pool, action), actions)

    @staticmethod
    def _apply(pool, action):
        if action.verb == plan.UPDATE and action.want > action.have:
            pool.storageVolLookupByName(action.name).resize(action.want)
            return
        if action.verb != plan.CREATE:
            # Shrinking a disk would cut its file system: start afresh.
            pool.storageVolLookupByName(action.name).delete()
        if action.verb == plan.DELETE:
            return
        pool.createXML(_volume_xml(action.name, action.want, 'qcow2'))


def _volume_xml(name, capacity, volume_format):
    volume = ET.Element('volume')
    ET.SubElement(volume, 'name').text = name
    ET.SubElement(volume, 'capacity', unit='bytes').text = str(capacity)
    target = ET.SubElement(volume, 'target')
    ET.SubElement(target, 'format', type=volume_format)
    return ET.tostring(volume, 'unicode')
