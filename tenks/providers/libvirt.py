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

"""The libvirt node provider: its domains, and the kinds it is made of.

The storage pool and volumes are in tenks.providers.libvirt_storage;
what a hypervisor's libvirt says of itself (capacity, pools, domains)
and how it is reached, in tenks.providers.libvirt_facts.
"""

import contextlib
import dataclasses
import os

import libvirt

from tenks import arches
from tenks import contracts
from tenks import exception
from tenks import plan
from tenks.providers import domain_xml
from tenks.providers import engine as engine_detect
from tenks.providers import libvirt_facts
from tenks.providers import libvirt_storage


def _engine(ctx, hypervisor):
    """The domain type for hypervisor, detected once per run."""
    return ctx.facts.cached(('engine', hypervisor.name), lambda: (
        engine_detect.detect(
            ctx.cluster.libvirt.engine, ctx.hypervisors.host(hypervisor),
            _probe_cache(ctx, hypervisor))), keep=True)


def _node_engine(ctx, hypervisor, node):
    """The domain type of node there; an error if libvirt cannot run it.

    KVM runs the host's own architecture only: `auto` emulates the others
    with plain QEMU, as the libvirt-vm role does.
    """
    offered = libvirt_facts.guests(ctx, hypervisor)
    types = offered.get(node.arch)
    if not types:
        raise exception.ArchitectureUnsupported(
            node_type=node.type, arch=node.arch, hypervisor=hypervisor.name,
            offered=sorted(offered))
    engine = _engine(ctx, hypervisor)
    if engine not in types and ctx.cluster.libvirt.engine == 'auto':
        engine = 'qemu'
    if engine not in types:
        raise exception.EngineUnsupported(
            node_type=node.type, arch=node.arch, hypervisor=hypervisor.name,
            engine=engine, offered=types)
    _check_firmware(ctx, hypervisor, node, engine)
    return engine


def _check_firmware(ctx, hypervisor, node, engine):
    """A UEFI node libvirt finds no firmware for would fail at power on."""
    if node.boot_mode != 'uefi' or domain_xml.efi_files(
            ctx.cluster.libvirt):
        return
    arch = arches.of(node.arch)
    if 'efi' not in libvirt_facts.firmware(ctx, hypervisor, arch, engine):
        raise exception.FirmwareMissing(
            node_type=node.type, arch=arch.name, hypervisor=hypervisor.name,
            package=arch.uefi_package)


def _probe_cache(ctx, hypervisor):
    """Where the answer of the KVM probe on hypervisor is kept."""
    return os.path.join(ctx.hypervisors.state_dir,
                        'kvm-probe-%s' % hypervisor.name)


class Domains(contracts.Kind):
    """A domain per node, left powered off when created."""

    name = 'domain'

    @libvirt_facts.translated
    def want(self, ctx, hypervisor):
        return {node.name: self._render(ctx, hypervisor, node)
                for node in ctx.present_nodes(hypervisor)}

    @libvirt_facts.translated
    def observe(self, ctx, hypervisor, want):
        have = {}
        for facts in libvirt_facts.domain_facts(ctx, hypervisor):
            owned = facts['cluster'] == ctx.cluster_id
            if owned or facts['name'] in want:
                have[facts['name']] = plan.Observed(owned, facts)
        return have

    def review(self, ctx, hypervisor, actions):
        return [_placement_reason(action, ctx.state.nodes)
                for action in actions]

    def _render(self, ctx, hypervisor, node):
        settings = ctx.cluster.libvirt
        console = domain_xml.console_log(settings, ctx.cluster.log_dir, node)
        xml = domain_xml.render(
            node, [os.path.join(settings.pool_path, volume.name)
                   for volume in node.volumes],
            engine=_node_engine(ctx, hypervisor, node),
            emulator=settings.emulator,
            console_log=console, cluster_id=ctx.cluster_id,
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
    node = nodes.get(action.name)
    placement = node.outcome.placement if node else None
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
        return [libvirt_storage.Pool(), libvirt_storage.Volumes(),
                Domains()]

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
            raise libvirt_facts.failure(err, 'lookup of domain %s' % name)

    @staticmethod
    @libvirt_facts.translated
    def power_states(conn):
        return {domain.name(): _POWER.get(domain.state()[0], 'unknown')
                for domain in conn.listAllDomains()}
