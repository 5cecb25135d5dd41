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

"""What a hypervisor's libvirt says of itself, and how it is reached.

libvirt errors become ProviderErrors here; capacity_facts is what the
capacity scheduler (tenks.schedulers) weighs.
"""

import functools
import os
import xml.etree.ElementTree as ET

import libvirt

from tenks import exception
from tenks.providers import domain_xml


def _quiet(unused_ctx, unused_error):
    """libvirt prints every error itself unless told otherwise."""


def translated(function):
    """Turn libvirt errors into ProviderErrors naming what was done, where.

    A kind's methods take (kind, ctx, hypervisor, ...), a Machine's its
    domain: the error names the kind or domain, the operation and the
    hypervisor, so that a failure in a run over many says which.
    """
    @functools.wraps(function)
    def wrapper(*args):
        try:
            return function(*args)
        except libvirt.libvirtError as err:
            raise failure(err, _doing(function.__name__, args))
    return wrapper


def failure(err, doing):
    """The ProviderError of a libvirt error met while doing something.

    Errors of libvirt's RPC layer mean the connection is gone (libvirtd
    stopped or restarted); a connection is not reopened within a run, so
    the user is told to run again.
    """
    if err.get_error_domain() == libvirt.VIR_FROM_RPC:
        return exception.LibvirtConnectionLost(doing=doing, reason=err)
    return exception.LibvirtFailed(doing=doing, reason=err)


def _doing(operation, args):
    owner = args[0] if args else None
    if hasattr(owner, 'domain'):
        try:
            return '%s of domain %s' % (operation, owner.domain.name())
        except libvirt.libvirtError:
            return '%s of a domain' % operation
    kind = getattr(owner, 'name', None)
    if kind and len(args) > 2 and hasattr(args[2], 'name'):
        return '%s %s on %s' % (kind, operation, args[2].name)
    return ''


def connect(uri):
    libvirt.registerErrorHandler(_quiet, None)
    try:
        return libvirt.open(uri)
    except libvirt.libvirtError as err:
        raise exception.LibvirtUnreachable(uri=uri, reason=err)


@translated
def capacity_facts(conn, pool_name, pool_path, local):
    """What the capacity scheduler needs to know of a hypervisor.

    Memory is in MiB; ``committed_mb`` is the maximum memory of every
    defined domain, running or not, since any may be started. Free disk
    comes from the pool when it is active, else from the file system the
    pool would be made on; that can only be read here, so a remote
    hypervisor without the pool has ``disk_free`` None, unknown.
    """
    info = conn.getInfo()
    domains = _max_memory_mb(conn)
    # getInfo() gives memory in MiB, unlike the C API's KiB.
    facts = {'memory_mb': info[1], 'cpus': info[2], 'domains': domains,
             'committed_mb': sum(domains.values())}
    facts['disk_free'], facts['disk_source'] = _disk_free(
        conn, pool_name, pool_path, local)
    return facts


def _max_memory_mb(conn):
    sizes = {}
    for domain in conn.listAllDomains(0):
        # A domain undefined since it was listed holds no memory now.
        memory = unless_undefined(domain.maxMemory)
        if memory is not None:
            sizes[domain.name()] = memory // 1024
    return sizes


def unless_undefined(read):
    """read() of a listed domain; None if it was undefined meanwhile.

    Other clusters and other tools change the hypervisor while Tenks
    reads it.
    """
    try:
        return read()
    except libvirt.libvirtError as err:
        if err.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
            raise
    return None


def _disk_free(conn, pool_name, pool_path, local):
    if pool_name in pool_names(conn):
        pool = conn.storagePoolLookupByName(pool_name)
        if pool.isActive():
            # info(): state, capacity, allocation, available (bytes).
            return pool.info()[3], 'pool %s' % pool_name
    if local:
        path = _existing_parent(pool_path)
        stat = os.statvfs(path)
        return stat.f_bavail * stat.f_frsize, 'file system of %s' % path
    return None, ('unknown: pool %s is not active on this remote '
                  'hypervisor' % pool_name)


def _existing_parent(path):
    """path, or its nearest parent that exists: the pool is made there."""
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def pool_names(conn):
    return set(conn.listStoragePools() + conn.listDefinedStoragePools())


def parse_guests(xml):
    """{guest arch: the domain types libvirt runs it with} of capabilities.

    xml is what virConnectGetCapabilities returns; an arch is listed only
    when its emulator is installed.
    """
    guests = {}
    for guest in ET.fromstring(xml).findall('guest'):
        arch = guest.find('arch')
        if guest.findtext('os_type') != 'hvm' or arch is None:
            continue
        types = guests.setdefault(arch.get('name'), [])
        types.extend(domain.get('type') for domain in arch.findall('domain')
                     if domain.get('type') not in types)
    return {name: tuple(types) for name, types in guests.items()}


def guests(ctx, hypervisor):
    """parse_guests of the hypervisor's libvirt, read once per run."""
    return ctx.facts.cached(('guests', hypervisor.name), lambda: (
        parse_guests(ctx.hypervisors.connection(
            hypervisor).getCapabilities())), keep=True)


def parse_firmware(xml):
    """The firmware libvirt can choose by itself (efi), of domcapabilities.

    Without a firmware descriptor for the guest (no OVMF or AAVMF
    installed) the list is empty.
    """
    root = ET.fromstring(xml)
    return tuple(value.text for value in root.findall(
        "os/enum[@name='firmware']/value"))


def firmware(ctx, hypervisor, arch, engine):
    """parse_firmware of arch (a tenks.arches.Arch) there, once a run."""
    return ctx.facts.cached(
        ('firmware', hypervisor.name, arch.name, engine), lambda: (
            parse_firmware(ctx.hypervisors.connection(
                hypervisor).getDomainCapabilities(
                    None, arch.name, arch.machine, engine, 0))), keep=True)


def domain_facts(ctx, hypervisor):
    """Facts of every domain of the hypervisor, read once per step."""
    def read():
        conn = ctx.hypervisors.connection(hypervisor)
        documents = [unless_undefined(domain.XMLDesc)
                     for domain in conn.listAllDomains()]
        return [domain_xml.parse(xml) for xml in documents if xml]
    return ctx.facts.cached(('domains', hypervisor.name), read)
