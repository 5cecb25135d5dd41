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

import inspect

import testtools

from tenks import exception as exc
from tenks.standalone import exception as sexc

# Every error class with a message of its own: its family (what callers
# catch), the fields a raise site passes, and the message they make.
CASES = [
    (exc.SwitchNotOpenvSwitch, exc.SwitchError,
     dict(source='c.yaml', bridge_type='linuxbridge'),
     "c.yaml: bridge_type is linuxbridge: networking-generic-switch drives "
     "Tenks' bridges with its Open vSwitch device only; set bridge_type: "
     "openvswitch."),
    (exc.SwitchHasNoPorts, exc.SwitchError, dict(source='c.yaml'),
     'c.yaml: no deployed node is enrolled in Ironic (none has '
     'ironic_config): there is no port for networking-generic-switch to '
     'drive; run tenks deploy first.'),
    (exc.SwitchKeyFailed, exc.SwitchError,
     dict(path='/s/ngs/key', reason='denied'),
     'ssh-keygen could not make the switch key /s/ngs/key: denied'),
    (exc.ConfigError, exc.TenksError,
     dict(source='c.yaml', path='specs', problem='not a list'),
     'c.yaml: specs: not a list'),
    (exc.IronicNotConfigured, exc.ConfigError, dict(source='c.yaml'),
     'c.yaml: specs: nodes with ironic_config need an Ironic: set OS_CLOUD '
     'or [ironic] cloud in tenks.conf (for a throwaway one, see '
     'tools/standalone_ironic.py)'),
    (exc.PhysnetsUnmapped, exc.ScheduleError,
     dict(source='c.yaml', node_type='small', physnets=['p1', 'p2']),
     "c.yaml: specs: node type 'small' uses physical network(s) p1, p2, "
     "which physnet_mappings does not map on any hypervisor."),
    (exc.PhysnetsUnmappedOnHypervisor, exc.ScheduleError,
     dict(source='c.yaml', node='tk0', spec='s/tk/1', hypervisor='hv1',
          physnets=['p1']),
     'c.yaml: node tk0 of spec s/tk/1 stays on hypervisor hv1, where '
     'physnet_mappings does not map p1.'),
    (exc.HypervisorRemoved, exc.ScheduleError,
     dict(source='c.yaml', node='tk0', hypervisor='hv1'),
     'c.yaml: node tk0 is on hypervisor hv1, which is no longer in the '
     'cluster; remove the node first.'),
    (exc.IPMIPortsTaken, exc.ScheduleError,
     dict(source='c.yaml', spec='s/tk/1', start=6230, end=6231),
     'c.yaml: no free IPMI port left for a node of spec s/tk/1: ports '
     '6230-6231 are all taken; widen ipmi_port_range_start/end.'),
    (exc.NoHypervisorFits, exc.ScheduleError,
     dict(source='c.yaml', spec='s/tk/1', node_type='small',
          needs='1 vCPU', reasons=['hv0 is full', 'hv1 is full']),
     "c.yaml: no hypervisor can take a new node of spec s/tk/1: node type "
     "'small' needs 1 vCPU; hv0 is full; hv1 is full."),
    (exc.NoFreeLinkName, exc.ScheduleError, dict(node='tk0'),
     'No free link name for node tk0'),
    (exc.AccountUnknown, exc.HostError,
     dict(key='libvirt_pool_owner', what='user', name='nova',
          hypervisor='hv0'),
     "libvirt_pool_owner: no user 'nova' on hypervisor hv0; name one that "
     "exists there, or its numeric id."),
    (exc.ArchitectureUnsupported, exc.ProviderError,
     dict(node_type='arm', arch='aarch64', hypervisor='hv0',
          offered=['i686', 'x86_64']),
     "Node type 'arm' is aarch64, which the libvirt of hypervisor hv0 "
     "cannot run (it runs i686, x86_64); install its QEMU there "
     "(tools/setup-host.sh) or choose another libvirt_vm_arch."),
    (exc.EngineUnsupported, exc.ProviderError,
     dict(node_type='arm', arch='aarch64', hypervisor='hv0', engine='kvm',
          offered=['qemu']),
     "Node type 'arm' is aarch64, which the libvirt of hypervisor hv0 "
     "runs with qemu, not libvirt_vm_engine kvm."),
    (exc.FirmwareMissing, exc.ProviderError,
     dict(node_type='arm', arch='aarch64', hypervisor='hv0',
          package='qemu-efi-aarch64'),
     "Node type 'arm' boots UEFI, but the libvirt of hypervisor hv0 finds "
     "no UEFI firmware for aarch64; install qemu-efi-aarch64 there "
     "(tools/setup-host.sh) or give libvirt_vm_ovmf_efi_firmware_path and "
     "libvirt_vm_ovmf_efi_variable_store_path."),
    (exc.StateUnreadable, exc.StateError,
     dict(path='/s.json', reason='denied'),
     'Cannot read state file /s.json: denied'),
    (exc.StateNotTenks, exc.StateError, dict(path='/s.json'),
     'State file /s.json does not hold a Tenks state (a JSON object).'),
    (exc.StateSchemaMismatch, exc.StateError,
     dict(path='/s.json', version=None, expected=1),
     'State file /s.json has schema version None; this Tenks reads '
     'version 1.'),
    (exc.StateSchemaNewer, exc.StateError,
     dict(path='/s.json', version=2, expected=1),
     'State file /s.json has schema version 2; this Tenks reads version 1. '
     'A newer Tenks wrote it: run that one; nothing was changed.'),
    (exc.StateDamaged, exc.StateError,
     dict(path='/s.json', problem='truncated after 10 bytes',
          teardown='tenks teardown c.yaml'),
     'Cannot read state file /s.json: truncated after 10 bytes; nothing was '
     'changed. Move it aside and run `tenks teardown c.yaml` to remove what '
     'Tenks made for the cluster, which it finds by its marks.'),
    (exc.StateOfAnotherCluster, exc.StateError,
     dict(path='/s.json', found='aaaa0000', expected='bbbb1111',
          teardown='tenks teardown c.yaml'),
     'State file /s.json holds the state of cluster aaaa0000, written at '
     'another path; the cluster at this path is bbbb1111. Nothing was '
     'changed: put it back where it was written, or move it aside and run '
     '`tenks teardown c.yaml` to remove what Tenks made for the cluster at '
     'this path, which it finds by its marks.'),
    (exc.StateHasNoNodes, exc.StateError, dict(path='/s.json'),
     'State file /s.json records no nodes: nothing to verify.'),
    (exc.StateHasNoSuchNode, exc.StateError,
     dict(path='/s.json', nodes=['tk7', 'tk9']),
     'State file /s.json has no node tk7, tk9.'),
    (exc.StateUnwritable, exc.StateError,
     dict(path='/s.json', reason='No space left on device'),
     'Cannot write /s.json: No space left on device; the state file still '
     'holds the state before this step. Make room there (or fix its '
     'directory), then run the same command again to finish.'),
    (exc.StateLocked, exc.StateError,
     dict(path='/s.json', pid=42, command='tenks deploy'),
     'State file /s.json is in use by PID 42 (tenks deploy); wait for it '
     'to finish or stop it.'),
    (exc.HostError, exc.TenksError,
     dict(host='hv0', command='ip link', code=2, stderr='no such device'),
     'hv0: `ip link` failed (exit 2): no such device'),
    (exc.HostDiskFull, exc.HostError,
     dict(host='hv1', path='/var/lib/tenks/vbmc/tk0/config'),
     'hv1: no space left on the device of /var/lib/tenks/vbmc/tk0/config; '
     'the file is as it was. Make room there, then run the same command '
     'again to finish.'),
    (exc.HostUnreachable, exc.HostError,
     dict(hypervisor='hv1', user='root', address='203.0.113.5', port=22,
          reason='refused'),
     'Hypervisor hv1 is out of reach over SSH (root@203.0.113.5:22): '
     'refused'),
    (exc.OpenvswitchUnreachable, exc.HostError,
     dict(host='hv1', command='ovs-vsctl add-port tkf0 tk0-0b',
          reason='database connection failed (Connection refused)'),
     'hv1: Open vSwitch did not answer `ovs-vsctl add-port tkf0 tk0-0b` '
     '(database connection failed (Connection refused)). Check that its '
     'ovsdb-server and ovs-vswitchd run (tools/setup-host.sh starts them; '
     'one in a container, that the container runs and the ovs-vsctl first '
     'on the PATH reaches it), then run the same command again to finish.'),
    (exc.HostConnectionLost, exc.HostError,
     dict(host='hv1', user='root', address='203.0.113.5', port=22,
          command='ip -batch -', stderr='the connection closed'),
     'Hypervisor hv1 dropped its SSH connection (root@203.0.113.5:22) '
     'during `ip -batch -` (the connection closed), again each time Tenks '
     'could safely retry. Check that it is up and its sshd reachable, then '
     'run the same command again: it re-reads what exists and finishes '
     'from there.'),
    (exc.OwnershipError, exc.TenksError,
     dict(kind='domain', name='tk0', host='hv0'),
     'domain tk0 exists on hv0 but was not created by this Tenks cluster; '
     'rename or remove it, or choose another name.'),
    (exc.LLDPNotSending, exc.TenksError,
     dict(host='hv0', log='/l/lldp-sender.log',
          problems=['tk0-0b: No such device']),
     'LLDP sender on hv0: tk0-0b: No such device; see /l/lldp-sender.log'),
    (exc.LibvirtUnreachable, exc.ProviderError,
     dict(uri='qemu:///system', reason='no socket'),
     'Cannot connect to libvirt at qemu:///system: no socket. Is libvirtd '
     'running (tools/setup-host.sh starts it)?'),
    (exc.LibvirtFailed, exc.ProviderError,
     dict(doing='apply of domain tk0', reason='invalid'),
     'libvirt (apply of domain tk0): invalid'),
    (exc.LibvirtConnectionLost, exc.ProviderError,
     dict(doing='domain apply on hv1', reason='client socket is closed'),
     'Lost the connection to libvirt (domain apply on hv1): client socket '
     'is closed. libvirtd stopped or restarted during the run: check that '
     'it runs (tools/setup-host.sh starts one; one in a container, that '
     'container), then run the same command again to finish.'),
    (exc.PowerNotRestored, exc.ProviderError,
     dict(node='tk0', state='shut off', reason='libvirt: gone'),
     'Could not restore the power state of tk0 (shut off): libvirt: gone'),
    (exc.HypervisorUnreachable, exc.ProviderError,
     dict(hypervisor='hv1', reason='no socket'),
     'Hypervisor hv1 is out of reach: no socket'),
    (exc.NodeStatesUnreadable, exc.ProviderError,
     dict(hypervisor='hv1', uri='qemu+ssh://hv1/system', reason='down'),
     'Cannot read node states from hv1 (qemu+ssh://hv1/system): down'),
    (exc.DaemonNotServing, exc.BMCError,
     dict(daemon='vbmcd', where='on port 50891', log='/l/vbmcd.log',
          host='hv0'),
     'vbmcd did not start serving on port 50891; see /l/vbmcd.log on hv0'),
    (exc.DaemonSilent, exc.BMCError,
     dict(daemon='vbmcd', host='hv0', port=50891, request='list'),
     "vbmcd on hv0 port 50891 did not answer 'list'"),
    (exc.DaemonNotOurs, exc.BMCError,
     dict(host='localhost', daemon='vbmcd', port=50991, pids=['7', '9'],
          ours='PID 12'),
     'localhost: vbmcd control port 50991 is served by PID(s) 7, 9, not by '
     'this cluster\'s vbmcd (PID 12); Tenks leaves the BMCs there alone. '
     'Give this cluster a free [ipmi] vbmcd_control_port, or unset it so '
     'that each cluster gets one of its own.'),
    (exc.DaemonRefused, exc.BMCError,
     dict(daemon='vbmcd', request='add', reasons=['exists', 'port taken']),
     'vbmcd add failed: exists; port taken'),
    (exc.DaemonReportsFailures, exc.BMCError,
     dict(daemon='tenks-ipmi emulator', host='hv0',
          problems=['tk0: port taken']),
     'tenks-ipmi emulator on hv0: tk0: port taken'),
    (exc.ToolMissing, exc.BMCError, dict(tool='ipmitool'),
     'ipmitool is not installed (tools/setup-host.sh installs it)'),
    (exc.BMCTimeout, exc.BMCError, dict(timeout=60), 'no answer in 60 s'),
    (exc.IPMIToolFailed, exc.BMCError,
     dict(request='power status', line='Unable to establish session'),
     'ipmitool power status failed: Unable to establish session (no BMC '
     'answering, or credentials refused)'),
    (exc.UnexpectedAnswer, exc.BMCError, dict(answer='Chassis Power'),
     "unexpected answer 'Chassis Power'"),
    (exc.RedfishHTTPError, exc.BMCError,
     dict(url='http://127.0.0.1:8000/x', code=401),
     'http://127.0.0.1:8000/x answered HTTP 401 (credentials refused)'),
    (exc.RedfishNoAnswer, exc.BMCError,
     dict(url='http://127.0.0.1:8000/x', reason='refused'),
     'http://127.0.0.1:8000/x: no answer: refused'),
    (exc.RedfishNoPowerState, exc.BMCError,
     dict(url='http://127.0.0.1:8000/x'),
     'http://127.0.0.1:8000/x: no PowerState in the answer'),
    (exc.IronicUnavailable, exc.IronicError,
     dict(reason='HttpException: 503: Service Unavailable'),
     'Ironic unavailable (HttpException: 503: Service Unavailable): check '
     'its API service and log, then run the same command again to finish'),
    (exc.IronicCallFailed, exc.IronicError, dict(reason='Conflict'),
     'Ironic: Conflict'),
    (exc.CloudUnusable, exc.IronicError,
     dict(cloud='tenks', reason='no such cloud'),
     "Cannot use cloud 'tenks': no such cloud"),
    (exc.IronicFailures, exc.IronicError,
     dict(failures=['tk0: refused', 'tk1: refused']),
     'tk0: refused; tk1: refused'),
    (exc.DeployNeedsChecksum, exc.ConfigError,
     dict(image='http://h/disk.img'),
     '--deploy http://h/disk.img: give its checksum with --image-checksum '
     '(Ironic refuses an image it cannot check)'),
    (exc.ProvisionFailed, exc.IronicError,
     dict(state='deploy failed', error='Image download failed'),
     'Ironic moved the node to deploy failed: Image download failed'),
    (exc.ProvisionTimedOut, exc.IronicError,
     dict(state='wait call-back', timeout=900, verb='active'),
     'still wait call-back after 900 s (asked to active)'),
    (exc.DiskBootNotSeen, exc.IronicError,
     dict(marker='tenks_booted_from=disk', timeout=900),
     "the console showed no 'tenks_booted_from=disk' within 900 s of "
     "active"),
    (exc.NodeStuck, exc.IronicError,
     dict(node='tk0', state='verifying', timeout=600),
     'node tk0 stayed verifying for 600 s'),
    (exc.NodeNotDeletable, exc.IronicError,
     dict(node='tk0', state='active'),
     'Ironic node tk0 is active and Ironic will not delete it: undeploy it '
     'first, or tear down with --force to put it in maintenance and delete '
     'it.'),
    (exc.MoveInterrupted, exc.IronicError,
     dict(move='manage', reason='gone'), 'manage: gone'),
    (exc.MoveFailed, exc.IronicError,
     dict(move='manage', reason='no BMC'), 'manage failed: no BMC'),
    (exc.PlacementMissing, exc.IronicError,
     dict(nodes=['u1', 'u2'], timeout=600),
     'Placement lacks the resource provider, resource class inventory or '
     'traits of nodes u1, u2 after 600 s; is nova-compute (ironic driver) '
     'running?'),
    (exc.KernelCommandLineInvalid, exc.ArtefactError,
     dict(append='a\nb'),
     "the ISO's kernel command line must be one printable line, not "
     "'a\\nb'"),
    (exc.NotOneKernel, exc.ArtefactError,
     dict(where='under /r', found='none'),
     'expected one kernel under /r, found none'),
    (exc.PackageStanzaIncomplete, exc.ArtefactError,
     dict(missing=['Version', 'SHA256'], stanza='Package: a'),
     "apt-cache show: no Version, SHA256 in 'Package: a'"),
    (exc.PackagesUnknown, exc.ArtefactError, dict(packages=['a', 'b']),
     "Debian package a, b is not in apt's lists; run apt-get update or "
     "check the name"),
    (exc.PackageNotDownloaded, exc.ArtefactError, dict(package='a'),
     'apt-get download gave no single .deb for a'),
    (exc.ModulesDepLine, exc.ArtefactError, dict(line='x'),
     "modules.dep: line without a colon: 'x'"),
    (exc.ModulesDepLoop, exc.ArtefactError, dict(module='a'),
     'modules.dep: dependency loop through a'),
    (exc.ModulesDepUnlisted, exc.ArtefactError,
     dict(module='a', needed='b.ko'),
     'modules.dep: a needs b.ko, which is not listed'),
    (exc.ModuleUnknown, exc.ArtefactError, dict(module='e1000'),
     'kernel module e1000 is not in modules.dep'),
    (exc.InitSlotMissing, exc.ArtefactError, dict(slot='@MODULES@'),
     'init script has no @MODULES@ slot'),
    (exc.AgentPythonMismatch, exc.ArtefactError,
     dict(want='3.11', found=['python3.12']),
     "the agent's wheels are for Python 3.11, but the Debian packages "
     "unpacked hold python3.12"),
    (exc.AgentLibraryUnlisted, exc.ArtefactError,
     dict(library='libudev.so.1'),
     "libudev.so.1 is not in the agent ramdisk's ldconfig cache: the agent "
     "could not load it"),
    # The throwaway Ironic's (tenks/standalone).
    (sexc.AlreadyRunning, sexc.StandaloneIronicError,
     dict(service='Ironic', workdir='/w', pid=7),
     'Ironic is already running from /w (PID 7)'),
    (sexc.PortInUse, sexc.StandaloneIronicError,
     dict(host='127.0.0.1', port=6385),
     'Port 127.0.0.1:6385 is already in use'),
    (sexc.PackageMissing, sexc.StandaloneIronicError,
     dict(missing='mkisofs', package='genisoimage',
          needed_for='Ironic builds virtual media ISOs with it'),
     'mkisofs is missing (Ironic builds virtual media ISOs with it): '
     'install genisoimage (tools/setup-host.sh)'),
    (sexc.ExecutableMissing, sexc.StandaloneIronicError,
     dict(name='ironic'), "Cannot find the 'ironic' executable"),
    (sexc.CommandFailed, sexc.StandaloneIronicError,
     dict(what='ironic-dbsync', code=2, output='no such table\n'),
     'ironic-dbsync failed (2):\nno such table\n'),
    (sexc.WouldNotExit, sexc.StandaloneIronicError, dict(pid=7),
     'PID 7 would not exit'),
    (sexc.IronicNotAnswering, sexc.StandaloneIronicError,
     dict(where='http://127.0.0.1:6385/v1', timeout=60, log='/w/ironic.log',
          excerpt='Traceback'),
     'Ironic did not answer on http://127.0.0.1:6385/v1 (waited up to 60 '
     's); from /w/ironic.log:\nTraceback'),
    (sexc.KeystoneNotAnswering, sexc.StandaloneIronicError,
     dict(where='http://127.0.0.1:5000/v3', timeout=60,
          log='/w/keystone.log'),
     'Keystone did not answer on http://127.0.0.1:5000/v3 (waited up to '
     '60 s); see /w/keystone.log'),
    (sexc.BadDeviceName, sexc.StandaloneIronicError, dict(name='a b'),
     "Provisioning network device 'a b': want 1-15 letters, digits, \".\", "
     "\"_\" or \"-\""),
    (sexc.DeviceNotOurs, sexc.StandaloneIronicError,
     dict(device='tkp0', workdir='/w'),
     'Device tkp0 already exists and is not the provisioning network of '
     '/w'),
    (sexc.NamespaceNotOurs, sexc.StandaloneIronicError,
     dict(namespace='tenks-prov-1'),
     'Network namespace tenks-prov-1 exists and is not ours'),
    (sexc.ServersDidNotStart, sexc.StandaloneIronicError,
     dict(namespace='tenks-prov-1', workdir='/w'),
     'Provisioning network servers in tenks-prov-1 did not start; see the '
     'logs in /w'),
    (sexc.DeviceNotRemoved, sexc.StandaloneIronicError,
     dict(device='tkp0'), 'Cannot remove device tkp0'),
    (sexc.UrlLeavesHost, sexc.StandaloneIronicError,
     dict(option='[deploy] http_url', url='http://203.0.113.1:8080',
          address='203.0.113.1', where='reached out of eth0 via 192.0.2.1',
          allowed='loopback'),
     '[deploy] http_url http://203.0.113.1:8080: 203.0.113.1 is reached '
     'out of eth0 via 192.0.2.1; the throwaway Ironic may reach only '
     'loopback'),
]
# What callers catch; they have no message of their own.
FAMILIES = {exc.TenksError, exc.ScheduleError, exc.StateError,
            exc.ProviderError, exc.BMCError, exc.IronicError,
            exc.ArtefactError, exc.SwitchError,
            sexc.StandaloneIronicError}


class TestMessages(testtools.TestCase):

    def test_every_class_has_a_case_or_is_a_family(self):
        classes = {cls for module in (exc, sexc)
                   for _, cls in inspect.getmembers(module, inspect.isclass)
                   if issubclass(cls, exc.TenksError)}
        self.assertEqual(classes - FAMILIES, {case[0] for case in CASES})
        self.assertEqual(len(CASES), len({case[0] for case in CASES}))

    def test_fields_make_the_message(self):
        for cls, family, fields, expected in CASES:
            err = cls(**fields)
            self.assertIsInstance(err, family, cls.__name__)
            self.assertEqual(expected, str(err), cls.__name__)

    def test_no_field_hides_an_attribute_of_the_error(self):
        reserved = set(dir(exc.TenksError()))
        for cls, _, fields, _ in CASES:
            self.assertEqual(set(), reserved & set(fields), cls.__name__)

    def test_fields_can_be_read_back(self):
        for cls, _, fields, _ in CASES:
            err = cls(**fields)
            self.assertEqual(fields, err.kwargs)
            for name, value in fields.items():
                self.assertEqual(value, getattr(err, name), cls.__name__)

    def test_a_missing_field_is_an_error_where_it_is_raised(self):
        for cls, _, fields, _ in CASES:
            for left_out in fields:
                given = {k: v for k, v in fields.items() if k != left_out}
                err = self.assertRaises(TypeError, cls, **given)
                self.assertEqual("%s needs the field '%s'" % (
                    cls.__name__, left_out), str(err))

    def test_optional_parts(self):
        self.assertEqual('libvirt: invalid', str(exc.LibvirtFailed(
            doing='', reason='invalid')))
        self.assertEqual('ipmitool power on failed: timeout', str(
            exc.IPMIToolFailed(request='power on', line='timeout')))
        self.assertEqual('http://h/x answered HTTP 500', str(
            exc.RedfishHTTPError(url='http://h/x', code=500)))
        self.assertEqual('vbmcd add failed: no reason given', str(
            exc.DaemonRefused(daemon='vbmcd', request='add', reasons=None)))

    def test_a_message_formatted_at_the_raise_site_is_refused(self):
        # Wording lives in the classes: a text made elsewhere is an error.
        self.assertRaises(TypeError, exc.StateError,
                          'State file /s.json records no nodes.')
