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

"""The libvirt node provider: a storage pool, qcow2 volumes and domains.

What a hypervisor's libvirt says of itself (capacity, pools) and how it
is reached are in tenks.providers.libvirt_facts.
"""

import contextlib
import dataclasses
import os
import xml.etree.ElementTree as ET

import libvirt

from tenks import contracts
from tenks import exception
from tenks import plan
from tenks.providers import domain_xml
from tenks.providers import engine as engine_detect
from tenks.providers import libvirt_facts


class Pool(contracts.Kind):
    """The storage pool; an existing one of that name is shared."""

    name = 'pool'
    shareable = True

    def want(self, ctx, hypervisor):
        settings = ctx.cluster.libvirt
        return {} if ctx.teardown else {settings.pool_name:
                                        settings.pool_path}

    @libvirt_facts.translated
    def observe(self, ctx, hypervisor, want):
        settings = ctx.cluster.libvirt
        conn = ctx.hypervisors.connection(hypervisor)
        record = ctx.state['hypervisors'].get(hypervisor.name, {})
        have = {}
        if settings.pool_name in libvirt_facts.pool_names(conn):
            pool = conn.storagePoolLookupByName(settings.pool_name)
            volumes = set(_volumes(pool))
            mark = _pool_mark(ctx)
            # Removed only if Tenks made it and holds nothing but Tenks'
            # volumes, which this same plan removes first.
            known = _known_volumes(ctx, hypervisor) | set(
                _media_volumes(ctx, hypervisor, volumes))
            owned = ((record.get('pool') == settings.pool_name
                      or mark in volumes)
                     and volumes - {mark} <= known)
            have[settings.pool_name] = plan.Observed(owned, pool.isActive())
        return have

    @staticmethod
    def compare(want, active):
        return None if active else 'inactive'

    @libvirt_facts.translated
    def apply(self, ctx, hypervisor, actions):
        conn = ctx.hypervisors.connection(hypervisor)
        record = ctx.state['hypervisors'].setdefault(hypervisor.name, {})
        for action in actions:
            if action.verb == plan.CREATE:
                # Recorded first: a run killed half way still owns it.
                record['pool'] = action.name
                _create_pool(conn, action.name, action.want, _pool_mark(ctx))
            elif action.verb == plan.UPDATE:
                conn.storagePoolLookupByName(action.name).create()
            elif action.verb == plan.DELETE:
                _delete_pool(conn.storagePoolLookupByName(action.name),
                             _pool_mark(ctx))
                record.pop('pool', None)


def _volumes(pool):
    if not pool.isActive():
        return []
    pool.refresh()
    return pool.listVolumes()


def _domain_facts(ctx, hypervisor):
    """Facts of every domain of the hypervisor, read once per step."""
    def read():
        conn = ctx.hypervisors.connection(hypervisor)
        documents = [libvirt_facts.unless_undefined(domain.XMLDesc)
                     for domain in conn.listAllDomains()]
        return [domain_xml.parse(xml) for xml in documents if xml]
    return ctx.facts.cached(('domains', hypervisor.name), read)


def _known_volumes(ctx, hypervisor):
    """Volumes Tenks made: from the state, and from its domains' disks.

    The domains' disks let a run whose state file was lost still find them.
    """
    known = {volume['name'] for node in ctx.state['nodes'].values()
             for volume in node['volumes']
             if node['hypervisor'] == hypervisor.name}
    pool_path = ctx.cluster.libvirt.pool_path
    for facts in _domain_facts(ctx, hypervisor):
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
    facts = [f for f in _domain_facts(ctx, hypervisor)
             if f['cluster'] == ctx.cluster_id]
    suffixes = tuple(media_volume_suffix(uuid) for uuid in sorted(
        {node['uuid'] for node in ctx.state['nodes'].values()
         if node['hypervisor'] == hypervisor.name}
        | {f['uuid'] for f in facts}))
    present = {node['name'] for node in ctx.present_nodes(hypervisor)}
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


def _create_pool(conn, name, path, mark):
    pool_element = ET.Element('pool', type='dir')
    ET.SubElement(pool_element, 'name').text = name
    target = ET.SubElement(pool_element, 'target')
    ET.SubElement(target, 'path').text = path
    pool = conn.storagePoolDefineXML(ET.tostring(pool_element, 'unicode'))
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


def _engine(ctx, hypervisor):
    """The domain type for hypervisor, detected once per run."""
    return ctx.facts.cached(('engine', hypervisor.name), lambda: (
        engine_detect.detect(
            ctx.cluster.libvirt.engine, ctx.hypervisors.host(hypervisor),
            _probe_cache(ctx, hypervisor))), keep=True)


def _probe_cache(ctx, hypervisor):
    """Where the answer of the KVM probe on hypervisor is kept."""
    return os.path.join(ctx.hypervisors.state_dir,
                        'kvm-probe-%s' % hypervisor.name)


class Volumes(contracts.Kind):
    """A qcow2 volume per node disk."""

    name = 'volume'

    def want(self, ctx, hypervisor):
        return {volume['name']: volume['capacity']
                for node in ctx.present_nodes(hypervisor)
                for volume in node['volumes']}

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


class Domains(contracts.Kind):
    """A domain per node, left powered off when created."""

    name = 'domain'

    @libvirt_facts.translated
    def want(self, ctx, hypervisor):
        return {node['name']: self._render(ctx, hypervisor, node)
                for node in ctx.present_nodes(hypervisor)}

    @libvirt_facts.translated
    def observe(self, ctx, hypervisor, want):
        have = {}
        for facts in _domain_facts(ctx, hypervisor):
            owned = facts['cluster'] == ctx.cluster_id
            if owned or facts['name'] in want:
                have[facts['name']] = plan.Observed(owned, facts)
        return have

    def review(self, ctx, hypervisor, actions):
        return [_placement_reason(action, ctx.state['nodes'])
                for action in actions]

    def _render(self, ctx, hypervisor, node):
        settings = ctx.cluster.libvirt
        console = domain_xml.console_log(settings, ctx.cluster.log_dir, node)
        xml = domain_xml.render(
            node, [os.path.join(settings.pool_path, volume['name'])
                   for volume in node['volumes']],
            engine=_engine(ctx, hypervisor),
            emulator=settings.emulator,
            console_log=console, cluster_id=ctx.cluster_id,
            arch=settings.arch,
            trust_rx_filters=settings.trust_guest_rx_filters,
            efi=domain_xml.efi_files(settings))
        return {'xml': xml, 'facts': domain_xml.parse(xml),
                'console_log': console}

    @staticmethod
    def compare(want, have):
        wanted = want['facts']
        changed = [key for key in ('uuid', 'memory_mb', 'vcpus', 'boot_mode',
                                   'nics', 'disks', 'console_log', 'arch',
                                   'trust_rx_filters')
                   if wanted[key] != have[key]]
        return 'changed: %s' % ', '.join(changed) if changed else None

    @libvirt_facts.translated
    def apply(self, ctx, hypervisor, actions):
        conn = ctx.hypervisors.connection(hypervisor)
        consoles = {os.path.dirname(action.want['console_log'])
                    for action in actions
                    if action.want and action.want['console_log']}
        host = ctx.hypervisors.host(hypervisor)
        owner = ctx.cluster.libvirt.log_owner
        for directory in sorted(consoles):
            host.make_dirs(directory)
            if owner:
                # As the libvirt-vm role leaves it: the owner's, 0770.
                host.run(['chown', '%s:%s' % (owner, owner), directory])
                host.run(['chmod', '0770', directory])
        ctx.map(lambda action: self._apply(conn, action), actions)

    @staticmethod
    def _apply(conn, action):
        if action.verb == plan.DELETE:
            domain = conn.lookupByName(action.name)
            if domain.isActive():
                domain.destroy()
            domain.undefineFlags(
                libvirt.VIR_DOMAIN_UNDEFINE_NVRAM
                | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
            return
        if action.verb == plan.UPDATE and action.have['uuid'] != \
                action.want['facts']['uuid']:
            Domains._apply(conn, plan.Action(action.kind, plan.DELETE,
                                             action.name, action.hypervisor))
        conn.defineXML(action.want['xml'])


def _placement_reason(action, nodes):
    """A new domain's reason: why the scheduler put its node there."""
    placement = nodes.get(action.name, {}).get('placement')
    if action.verb != plan.CREATE or not placement:
        return action
    return dataclasses.replace(action, reason=placement)


_POWER = {
    libvirt.VIR_DOMAIN_RUNNING: 'running',
    libvirt.VIR_DOMAIN_BLOCKED: 'running',
    libvirt.VIR_DOMAIN_PAUSED: 'paused',
    libvirt.VIR_DOMAIN_SHUTDOWN: 'shutting down',
    libvirt.VIR_DOMAIN_SHUTOFF: 'shut off',
    libvirt.VIR_DOMAIN_CRASHED: 'crashed',
}


class Machine(contracts.Machine):
    """A node's libvirt domain."""

    def __init__(self, domain):
        self.domain = domain

    @libvirt_facts.translated
    def facts(self):
        return domain_xml.parse(self.domain.XMLDesc())

    @libvirt_facts.translated
    def is_active(self):
        return self.domain.isActive() == 1

    @libvirt_facts.translated
    def start(self):
        self.domain.create()

    @libvirt_facts.translated
    def stop(self):
        self.domain.destroy()


class LibvirtProvider(contracts.Provider):
    """Node provider plugin: the resource kinds of libvirt nodes."""

    connect = staticmethod(libvirt_facts.connect)

    @staticmethod
    def kinds():
        return [Pool(), Volumes(), Domains()]

    def capacity(self, cluster, hypervisor):
        try:
            conn = self.connect(hypervisor.libvirt_uri)
        except exception.ProviderError as err:
            raise exception.HypervisorUnreachable(
                hypervisor=hypervisor.name, reason=err)
        try:
            return libvirt_facts.capacity_facts(
                conn, cluster.libvirt.pool_name, cluster.libvirt.pool_path,
                hypervisor.is_local)
        finally:
            conn.close()

    def forget(self, ctx):
        # The KVM probe's answers: another cluster in the same directory
        # only probes again (a few seconds).
        for hypervisor in ctx.cluster.hypervisors:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(_probe_cache(ctx, hypervisor))

    @staticmethod
    def machine(conn, name):
        try:
            return Machine(conn.lookupByName(name))
        except libvirt.libvirtError as err:
            if err.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise exception.LibvirtFailed(
                doing='lookup of domain %s' % name, reason=err)

    @staticmethod
    @libvirt_facts.translated
    def power_states(conn):
        return {domain.name(): _POWER.get(domain.state()[0], 'unknown')
                for domain in conn.listAllDomains()}
