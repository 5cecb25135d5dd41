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

"""The one exception hierarchy of Tenks.

Every error a user can cause or fix is a TenksError whose message says what
is wrong and, where it helps, what to do; the command line prints it on one
line without a traceback.

Each kind of error is a class whose ``message`` template is filled from the
fields the raise site passes by keyword, so its wording lives here once and
a caller can read the fields back (``err.kwargs``, or as attributes). The
classes are grouped by family; each family's base is what callers catch.
"""


class TenksError(Exception):
    """Base of all Tenks errors; ``message`` is a template of fields."""

    message = 'An unknown error occurred.'
    # Fields given as lists: the separator each is joined with.
    joined = {}

    def __init__(self, **fields):
        super().__init__(self._format(fields))
        self.kwargs = fields
        vars(self).update(fields)

    def _format(self, fields):
        try:
            return self.message.format(**self._values(**fields))
        except KeyError as err:
            # At the raise site, not later where the message is printed.
            raise TypeError('%s needs the field %s' % (
                type(self).__name__, err)) from None

    def _values(self, **fields):
        """What the template is filled from; some classes derive more."""
        values = dict(fields)
        for name, separator in self.joined.items():
            values[name] = separator.join(fields[name])
        return values


# Configuration: the cluster file or tenks.conf.

class ConfigError(TenksError):
    """The cluster file or tenks.conf is invalid."""

    message = '{source}: {path}: {problem}'


class IronicNotConfigured(ConfigError):
    message = ('{source}: specs: nodes with ironic_config need an Ironic: '
               'set OS_CLOUD or [ironic] cloud in tenks.conf (for a '
               'throwaway one, see tools/standalone_ironic.py)')


class DeployNeedsChecksum(ConfigError):
    message = ('--deploy {image}: give its checksum with --image-checksum '
               '(Ironic refuses an image it cannot check)')


# Scheduling: where the specs' nodes go.

class ScheduleError(TenksError):
    """A spec cannot be placed on any hypervisor."""


class PhysnetsUnmapped(ScheduleError):
    message = ('{source}: specs: node type {node_type!r} uses physical '
               'network(s) {physnets}, which physnet_mappings does not map '
               'on any hypervisor.')

    joined = {'physnets': ', '}


class PhysnetsUnmappedOnHypervisor(ScheduleError):
    message = ('{source}: node {node} of spec {spec} stays on hypervisor '
               '{hypervisor}, where physnet_mappings does not map '
               '{physnets}.')

    joined = {'physnets': ', '}


class HypervisorRemoved(ScheduleError):
    message = ('{source}: node {node} is on hypervisor {hypervisor}, which '
               'is no longer in the cluster; remove the node first.')


class IPMIPortsTaken(ScheduleError):
    message = ('{source}: no free IPMI port left for a node of spec {spec}: '
               'ports {start}-{end} are all taken; widen '
               'ipmi_port_range_start/end.')


class NoHypervisorFits(ScheduleError):
    """``reasons``: why each hypervisor cannot take the node."""

    message = ('{source}: no hypervisor can take a new node of spec {spec}: '
               'node type {node_type!r} needs {needs}; {reasons}.')

    joined = {'reasons': '; '}


class NoFreeLinkName(ScheduleError):
    message = 'No free link name for node {node}'


# State: the state file.

class StateError(TenksError):
    """The state file cannot be read, written or locked."""


class StateUnreadable(StateError):
    message = 'Cannot read state file {path}: {reason}'


class StateNotTenks(StateError):
    message = 'State file {path} does not hold a Tenks state (a JSON object).'


class StateSchemaMismatch(StateError):
    message = ('State file {path} has schema version {version}; this Tenks '
               'reads version {expected}.')


class StateSchemaNewer(StateError):
    message = ('State file {path} has schema version {version}; this Tenks '
               'reads version {expected}. A newer Tenks wrote it: run that '
               'one; nothing was changed.')


# Where the state file cannot be trusted, Tenks can still find what it
# made by its marks, as when the file is lost.
_RECOVER = ('nothing was changed. Move it aside and run `{teardown}` to '
            'remove what Tenks made for the cluster, which it finds by its '
            'marks.')


class StateDamaged(StateError):
    message = 'Cannot read state file {path}: {problem}; ' + _RECOVER


class StateOfAnotherCluster(StateError):
    message = ('State file {path} holds the state of cluster {found}, written '
               'at another path; the cluster at this path is {expected}. '
               'Nothing was changed: put it back where it was written, or '
               'move it aside and run `{teardown}` to remove what Tenks made '
               'for the cluster at this path, which it finds by its marks.')


class StateHasNoNodes(StateError):
    message = 'State file {path} records no nodes: nothing to verify.'


class StateHasNoSuchNode(StateError):
    message = 'State file {path} has no node {nodes}.'
    joined = {'nodes': ', '}


class StateUnwritable(StateError):
    message = ('Cannot write {path}: {reason}; the state file still holds '
               'the state before this step. Make room there (or fix its '
               'directory), then run the same command again to finish.')


class StateLocked(StateError):
    message = ('State file {path} is in use by PID {pid} ({command}); '
               'wait for it to finish or stop it.')


# The switch: networking-generic-switch driving Tenks' bridges.

class SwitchError(TenksError):
    """Tenks cannot describe its bridges as NGS devices."""


class SwitchNotOpenvSwitch(SwitchError):
    message = ('{source}: bridge_type is {bridge_type}: networking-generic-'
               'switch drives Tenks\' bridges with its Open vSwitch device '
               'only; set bridge_type: openvswitch.')


class SwitchHasNoPorts(SwitchError):
    message = ('{source}: no deployed node is enrolled in Ironic (none has '
               'ironic_config): there is no port for networking-generic-'
               'switch to drive; run tenks deploy first.')


class SwitchKeyFailed(SwitchError):
    message = 'ssh-keygen could not make the switch key {path}: {reason}'


# Hosts: commands on a hypervisor, and resources Tenks did not make.

class HostError(TenksError):
    """A command on a hypervisor failed."""

    message = '{host}: `{command}` failed (exit {code}): {stderr}'


class HostDiskFull(HostError):
    message = ('{host}: no space left on the device of {path}; the file '
               'is as it was. Make room there, then run the same command '
               'again to finish.')


class HostUnreachable(HostError):
    message = ('Hypervisor {hypervisor} is out of reach over SSH '
               '({user}@{address}:{port}): {reason}')


class OpenvswitchUnreachable(HostError):
    message = ('{host}: Open vSwitch did not answer `{command}` ({reason}). '
               'Check that its ovsdb-server and ovs-vswitchd run '
               '(tools/setup-host.sh starts them; one in a container, that '
               'the container runs and the ovs-vsctl first on the PATH '
               'reaches it), then run the same command again to finish.')


class AccountUnknown(HostError):
    message = ('{key}: no {what} {name!r} on hypervisor {hypervisor}; name '
               'one that exists there, or its numeric id.')


class HostConnectionLost(HostError):
    """SSH to a hypervisor that had answered went away mid-command."""

    message = ('Hypervisor {host} dropped its SSH connection '
               '({user}@{address}:{port}) during `{command}` ({stderr}), '
               'again each time Tenks could safely retry. Check that it is '
               'up and its sshd reachable, then run the same command '
               'again: it re-reads what exists and finishes from there.')


class OwnershipError(TenksError):
    """A resource Tenks would manage exists but was not made by Tenks."""

    message = ('{kind} {name} exists on {host} but was not created by this '
               'Tenks cluster; rename or remove it, or choose another name.')


class LLDPNotSending(TenksError):
    """The LLDP sender of a hypervisor cannot announce its switch ports."""

    message = 'LLDP sender on {host}: {problems}; see {log}'

    joined = {'problems': '; '}


# Provider: libvirt.

class ProviderError(TenksError):
    """The node provider (libvirt) failed."""


class LibvirtUnreachable(ProviderError):
    message = ('Cannot connect to libvirt at {uri}: {reason}. Is libvirtd '
               'running (tools/setup-host.sh starts it)?')


class LibvirtFailed(ProviderError):
    """``doing``: the operation and what it was on; '' when unknown."""

    message = 'libvirt{doing}: {reason}'

    def _values(self, **fields):
        doing = fields['doing']
        return dict(fields, doing=' (%s)' % doing if doing else '')


class LibvirtConnectionLost(LibvirtFailed):
    """A call on a connection whose libvirtd went away during the run."""

    message = ('Lost the connection to libvirt{doing}: {reason}. libvirtd '
               'stopped or restarted during the run: check that it runs '
               '(tools/setup-host.sh starts one; one in a container, that '
               'container), then run the same command again to finish.')


class ArchitectureUnsupported(ProviderError):
    message = ('Node type {node_type!r} is {arch}, which the libvirt of '
               'hypervisor {hypervisor} cannot run (it runs {offered}); '
               'install its QEMU there (tools/setup-host.sh) or choose '
               'another libvirt_vm_arch.')
    joined = {'offered': ', '}


class EngineUnsupported(ProviderError):
    message = ('Node type {node_type!r} is {arch}, which the libvirt of '
               'hypervisor {hypervisor} runs with {offered}, not '
               'libvirt_vm_engine {engine}.')
    joined = {'offered': ', '}


class FirmwareMissing(ProviderError):
    message = ('Node type {node_type!r} boots UEFI, but the libvirt of '
               'hypervisor {hypervisor} finds no UEFI firmware for {arch}; '
               'install {package} there (tools/setup-host.sh) or give '
               'libvirt_vm_ovmf_efi_firmware_path and '
               'libvirt_vm_ovmf_efi_variable_store_path.')


class PowerNotRestored(ProviderError):
    message = 'Could not restore the power state of {node} ({state}): {reason}'


class HypervisorUnreachable(ProviderError):
    message = 'Hypervisor {hypervisor} is out of reach: {reason}'


class NodeStatesUnreadable(ProviderError):
    message = 'Cannot read node states from {hypervisor} ({uri}): {reason}'


# BMC daemons: vbmcd, tenks-ipmi and sushy-emulator on a hypervisor.

class BMCError(TenksError):
    """A BMC emulator failed."""


class DaemonNotServing(BMCError):
    """``where``: what the daemon was to serve (a port, an address)."""

    message = '{daemon} did not start serving {where}; see {log} on {host}'


class DaemonSilent(BMCError):
    message = '{daemon} on {host} port {port} did not answer {request!r}'


class DaemonNotOurs(BMCError):
    """Another process holds the control port of a daemon Tenks runs."""

    message = ('{host}: {daemon} control port {port} is served by PID(s) '
               '{pids}, not by this cluster\'s {daemon} ({ours}); Tenks '
               'leaves the BMCs there alone. Give this cluster a free '
               '[ipmi] vbmcd_control_port, or unset it so that each cluster '
               'gets one of its own.')

    joined = {'pids': ', '}


class DaemonRefused(BMCError):
    message = '{daemon} {request} failed: {reasons}'

    def _values(self, **fields):
        return dict(fields, reasons='; '.join(
            fields['reasons'] or ['no reason given']))


class DaemonReportsFailures(BMCError):
    message = '{daemon} on {host}: {problems}'

    joined = {'problems': '; '}


# BMC probes: a node's BMC as a client sees it.

class ToolMissing(BMCError):
    message = '{tool} is not installed (tools/setup-host.sh installs it)'


class BMCTimeout(BMCError):
    message = 'no answer in {timeout} s'


class IPMIToolFailed(BMCError):
    """``line``: the last line ipmitool wrote."""

    message = 'ipmitool {request} failed: {line}{hint}'

    def _values(self, **fields):
        # ipmitool says the same whether nothing answered or the BMC
        # refused the credentials.
        hint = (' (no BMC answering, or credentials refused)'
                if 'session' in fields['line'] else '')
        return dict(fields, hint=hint)


class UnexpectedAnswer(BMCError):
    message = 'unexpected answer {answer!r}'


class RedfishHTTPError(BMCError):
    message = '{url} answered HTTP {code}{hint}'

    def _values(self, **fields):
        hint = ' (credentials refused)' if fields['code'] == 401 else ''
        return dict(fields, hint=hint)


class RedfishNoAnswer(BMCError):
    message = '{url}: no answer: {reason}'


class RedfishNoPowerState(BMCError):
    message = '{url}: no PowerState in the answer'


# Ironic (and the Nova and Placement around it).

class IronicError(TenksError):
    """Ironic refused an operation or cannot be reached."""


class IronicCallFailed(IronicError):
    message = 'Ironic: {reason}'


class IronicUnavailable(IronicError):
    message = ('Ironic unavailable ({reason}): check its API service and '
               'log, then run the same command again to finish')


class CloudUnusable(IronicError):
    message = 'Cannot use cloud {cloud!r}: {reason}'


class IronicFailures(IronicError):
    """``failures``: one line per node or port Ironic refused."""

    message = '{failures}'

    joined = {'failures': '; '}


class NodeStuck(IronicError):
    message = 'node {node} stayed {state} for {timeout} s'


class ProvisionFailed(IronicError):
    message = 'Ironic moved the node to {state}: {error}'


class ProvisionTimedOut(IronicError):
    message = 'still {state} after {timeout} s (asked to {verb})'


class DiskBootNotSeen(IronicError):
    message = ('the console showed no {marker!r} within {timeout} s of '
               'active')


class NodeNotDeletable(IronicError):
    message = ('Ironic node {node} is {state} and Ironic will not delete '
               'it: undeploy it first, or tear down with --force to put it '
               'in maintenance and delete it.')


class MoveInterrupted(IronicError):
    """Waiting for a provision state move failed with ``reason``."""

    message = '{move}: {reason}'


class MoveFailed(IronicError):
    message = '{move} failed: {reason}'


class PlacementMissing(IronicError):
    message = ('Placement lacks the resource provider, resource class '
               'inventory or traits of nodes {nodes} after {timeout} s; is '
               'nova-compute (ironic driver) running?')

    joined = {'nodes': ', '}


# Boot artefacts: the deploy kernel, ramdisk and ISO Tenks builds.

class ArtefactError(TenksError):
    """A boot artefact cannot be built."""


class KernelCommandLineInvalid(ArtefactError):
    message = ("the ISO's kernel command line must be one printable line, "
               "not {append!r}")


class NotOneKernel(ArtefactError):
    """``where``: where the kernel was looked for."""

    message = 'expected one kernel {where}, found {found}'


class PackageStanzaIncomplete(ArtefactError):
    message = 'apt-cache show: no {missing} in {stanza!r}'

    joined = {'missing': ', '}


class PackagesUnknown(ArtefactError):
    message = ("Debian package {packages} is not in apt's lists; run apt-get "
               "update or check the name")

    joined = {'packages': ', '}


class PackageNotDownloaded(ArtefactError):
    message = 'apt-get download gave no single .deb for {package}'


class ModulesDepLine(ArtefactError):
    message = 'modules.dep: line without a colon: {line!r}'


class ModulesDepLoop(ArtefactError):
    message = 'modules.dep: dependency loop through {module}'


class ModulesDepUnlisted(ArtefactError):
    message = 'modules.dep: {module} needs {needed}, which is not listed'


class ModuleUnknown(ArtefactError):
    message = 'kernel module {module} is not in modules.dep'


class InitSlotMissing(ArtefactError):
    message = 'init script has no {slot} slot'


class AgentPythonMismatch(ArtefactError):
    message = ("the agent's wheels are for Python {want}, but the Debian "
               "packages unpacked hold {found}")

    joined = {'found': ', '}


class AgentLibraryUnlisted(ArtefactError):
    message = ("{library} is not in the agent ramdisk's ldconfig cache: "
               "the agent could not load it")
