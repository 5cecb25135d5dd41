#!/usr/bin/env python3
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

"""What Tenks costs, phase by phase, printed as one JSON object.

On this machine, against a throwaway standalone Ironic: deploy N nodes
(IPMI, one physnet, enrolled to `enroll`), deploy again unchanged, add a
node, remove it, tear down; then the same for a Redfish cluster. IPMI
nodes get VirtualBMC unless --ipmi-emulators names others (tenks-ipmi);
each is reported apart, VirtualBMC as "ipmi", another as "ipmi+NAME". Each
phase reports its wall time, the host commands, libvirt calls and Ironic
writes of the run (from its debug log), the actions it took, Tenks' peak
RSS, and after a deploy the resident memory of BMC emulation per node.

With --boot-nodes, Ironic also gets its provisioning network and, for
each count N, deploys N IPMI nodes at once with iPXE and the ramdisk of
the boot artefacts: reported are the seconds from each node's `deploy`
until it is active and until its ramdisk called back, and the largest N
whose nodes all called back.

With --lifecycle-nodes, for each count N, N IPMI nodes go through
Ironic's whole lifecycle at once with the agent built here (`tenks verify
--deploy`): each step's seconds per node, and where each agent boot's
time went (tools/benchmark_lifecycle.py).

    tools/benchmark.py [--nodes 10 30] [--redfish-nodes 10]
                       [--ipmi-emulators virtualbmc tenks-ipmi]
                       [--boot-nodes 1 2 4] [--lifecycle-nodes 1 2]

Run as root on a host prepared by tools/setup-host.sh, with Tenks and
Ironic installed in the Python running it.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import yaml

import benchmark_lifecycle
from tenks.artefacts import build
from tenks.standalone import ironic as standalone_ironic
from tenks.standalone import loopback

import hostprobe

TENKS = os.path.join(os.path.dirname(sys.executable), 'tenks')
COST = re.compile(r'Run cost: (\d+) host commands, (\d+) libvirt calls, '
                  r'(\d+) Ironic writes; peak RSS (\d+) KiB')
CHANGES = re.compile(r'(\d+) change\(s\) made')
BRIDGE = 'tkbench0'
# The host end of the provisioning network, for --boot-nodes.
BOOT_DEVICE = 'tkbench0pn'
BOOT_TIMEOUT = 600
PREFIX = 'tkbench-'


class Bench:

    def __init__(self, workdir, env):
        self.workdir = workdir
        self.env = env
        self.redfish_port = loopback.find_free_port()
        self.conf = hostprobe.write_tenks_conf(workdir, 'enroll')

    def cluster(self, count, driver, emulator=None, node_type=None,
                ironic_config=None, **overrides):
        path = os.path.join(self.workdir, 'cluster.yaml')
        with open(path, 'w') as stream:
            yaml.safe_dump(dict({
                'node_types': {'bench': dict({
                    'memory_mb': 256, 'vcpus': 1,
                    'volumes': [{'capacity': '1GiB'}],
                    'physical_networks': ['physnet1'],
                    'ironic_driver': driver}, **(node_type or {}))},
                'specs': [{'type': 'bench', 'count': count,
                           'ironic_config': dict({'resource_class': 'bench'},
                                                 **(ironic_config or {}))}],
                'physnet_mappings': {'physnet1': BRIDGE},
                'node_name_prefix': PREFIX, 'bridge_prefix': 'tkbenchbr',
                'libvirt_pool_name': 'tkbench',
                'libvirt_pool_path': os.path.join(self.workdir, 'pool'),
                'log_directory': os.path.join(self.workdir, 'log'),
                'state_file_path': os.path.join(self.workdir, 'state',
                                                'state.json'),
                'ipmi_port_range_start': 16230,
                'ipmi_port_range_end': 16230 + 2 * count,
                'redfish_port': self.redfish_port,
                'libvirt_vm_engine': 'qemu',
                'default_boot_mode': 'bios',
                'bmc_emulators': {driver: emulator} if emulator else {},
            }, **overrides), stream)
        return path

    def phase(self, command, path):
        started = time.monotonic()
        child = subprocess.Popen(
            [TENKS, '--debug', '--config-file', self.conf, command, path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=self.env)
        out, err = child.communicate()
        wall = time.monotonic() - started
        if child.returncode:
            raise SystemExit('tenks %s failed: %s' % (
                command, err.strip().splitlines()[-1]))
        cost = COST.search(err)
        if not cost:
            raise SystemExit('tenks %s logged no run cost' % command)
        hosts, libvirt_calls, writes, rss = (int(n) for n in cost.groups())
        return {
            'wall_s': round(wall, 3),
            'actions': int(CHANGES.search(out).group(1))
            if CHANGES.search(out) else 0,
            'host_commands': hosts,
            'libvirt_calls': libvirt_calls,
            'ironic_writes': writes,
            'peak_rss_mb': round(rss / 1024, 1),
        }

    def bmc_rss_per_node(self, count):
        total = sum(rss for rss, _ in hostprobe.bmc_processes(
            self.workdir.encode()).values())
        return round(total / 1024 / count, 1)

    def run(self, count, driver, emulator=None):
        def cluster(count):
            return self.cluster(count, driver, emulator)

        result = {}
        result['deploy'] = self.phase('deploy', cluster(count))
        result['bmc_rss_mb_per_node'] = self.bmc_rss_per_node(count)
        result['noop_deploy'] = self.phase('deploy', cluster(count))
        result['add_one'] = self.phase('deploy', cluster(count + 1))
        result['remove_one'] = self.phase('deploy', cluster(count))
        result['teardown'] = self.phase('teardown', cluster(count))
        return result


class BootBench:
    """N nodes deployed at once through Ironic, booted for real.

    iPXE and the ramdisk deploy interface, the boot artefacts' kernel
    and initramfs; a node counts once its ramdisk has called back to the
    provisioning network with the node's MAC.
    """

    def __init__(self, bench, ironic, artefacts):
        self.bench = bench
        self.ironic = ironic
        self.artefacts = artefacts
        import openstack    # Only this phase needs the SDK itself.
        os.environ.update(OS_CLIENT_CONFIG_FILE=str(ironic.clouds_yaml))
        self.conn = openstack.connect(cloud=ironic.cloud_name)

    def cluster(self, count):
        return self.bench.cluster(
            count, 'ipmi', node_type={'memory_mb': 512,
                                      'console_log_enabled': True},
            ironic_config={'boot_interface': 'ipxe',
                           'deploy_interface': 'ramdisk'},
            physnet_mappings={'physnet1': self.ironic.provisioning.device},
            ironic_target_state='available')

    def run(self, count):
        path = self.cluster(count)
        result = {'tenks_deploy_s': self.bench.phase('deploy', path)['wall_s']}
        with open(os.path.join(self.bench.workdir, 'state',
                               'state.json')) as stream:
            nodes = {name: node['nics'][0]['mac'] for name, node in
                     json.load(stream)['nodes'].items()}
        # no_timer_check: under QEMU without KVM on busy cores Linux may
        # find its timer too slow at boot and panic ("IO-APIC + timer
        # doesn't work"); seen here with 4 nodes at once.
        append = 'console=ttyS0 no_timer_check tenks_callback=%s' % (
            self.ironic.provisioning.callback_url)
        for name in nodes:
            self.conn.baremetal.update_node(name, instance_info={
                'kernel': 'file://' + self.artefacts.kernel,
                'ramdisk': 'file://' + self.artefacts.initramfs,
                'kernel_append_params': append})
        started = {}
        for name in nodes:
            started[name] = time.monotonic()
            self.conn.baremetal.set_node_provision_state(name, 'deploy')
        result.update(self.watch(nodes, started))
        undeploy = time.monotonic()
        for name in nodes:
            self.conn.baremetal.set_node_provision_state(name, 'undeploy')
        self.wait_state(nodes, 'available')
        result['undeploy_s'] = round(time.monotonic() - undeploy, 1)
        result['tenks_teardown_s'] = self.bench.phase('teardown',
                                                      path)['wall_s']
        return result

    def watch(self, nodes, started):
        """Seconds from deploy to active and to callback, per node."""
        active, called, failed = {}, {}, {}
        deadline = time.monotonic() + BOOT_TIMEOUT
        while len(called) + len(failed) < len(nodes) and \
                time.monotonic() < deadline:
            now = time.monotonic()
            for node in self.conn.baremetal.nodes(fields=[
                    'name', 'provision_state', 'last_error']):
                if node.name not in nodes:
                    continue
                if node.provision_state == 'active':
                    active.setdefault(node.name, now - started[node.name])
                elif node.provision_state in ('deploy failed', 'error'):
                    failed[node.name] = node.last_error
            macs = {call.get('mac') for call in
                    self.ironic.provisioning.callbacks()}
            for name, mac in nodes.items():
                if mac in macs:
                    called.setdefault(name, now - started[name])
            time.sleep(1)
        for name in set(nodes) - set(called) - set(failed):
            failed[name] = 'no callback within %d s%s' % (
                BOOT_TIMEOUT, self.panic(name))

        def seconds(found):
            return sorted(round(value, 1) for value in found.values())
        return {'nodes': len(nodes), 'called_back': len(called),
                'deploy_to_active_s': seconds(active),
                'deploy_to_callback_s': seconds(called),
                'failed': failed}

    def panic(self, name):
        """': <the panic>' if the node's console shows Linux panicked."""
        try:
            with open(os.path.join(self.bench.workdir, 'log', 'console',
                                   name + '.log'), errors='replace') as log:
                found = re.search(r'Kernel panic - [^\r\n\]]*', log.read())
        except FileNotFoundError:
            return ''
        return ': ' + found.group(0).strip() if found else ''

    def wait_state(self, nodes, wanted):
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            states = {node.name: node.provision_state for node in
                      self.conn.baremetal.nodes(fields=[
                          'name', 'provision_state'])
                      if node.name in nodes}
            if set(states.values()) == {wanted}:
                return
            time.sleep(2)
        raise SystemExit('nodes not %s after %d s: %s'
                         % (wanted, BOOT_TIMEOUT, states))


def boot_report(bench, ironic, counts):
    """{N: figures} for each count, and the largest N that booted."""
    artefacts = ironic.boot_artefacts
    boot = BootBench(bench, ironic, artefacts)
    report = {'artefacts_build_s': artefacts.seconds}
    for count in counts:
        report[str(count)] = boot.run(count)
    report['max_nodes_booted'] = max(
        [count for count in counts
         if report[str(count)]['called_back'] == count], default=0)
    return report


def lifecycle_report(bench, ironic, counts):
    import openstack    # Only this phase needs the SDK itself.
    os.environ.update(OS_CLIENT_CONFIG_FILE=str(ironic.clouds_yaml))
    conn = openstack.connect(cloud=ironic.cloud_name)
    runner = benchmark_lifecycle.LifecycleBench(bench, ironic, conn, TENKS)
    report = {}
    for count in counts:
        report[str(count)] = runner.run(count)
        # Each count takes minutes: its figures as soon as they exist.
        print(json.dumps({'lifecycle': {str(count): report[str(count)]}}),
              file=sys.stderr, flush=True)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--nodes', type=int, nargs='*', default=[10, 30])
    parser.add_argument('--redfish-nodes', type=int, default=10)
    parser.add_argument('--ipmi-emulators', nargs='+',
                        default=['virtualbmc'],
                        help='BMC emulator plugins to measure IPMI nodes '
                             'with, one after the other.')
    parser.add_argument('--boot-nodes', type=int, nargs='*', default=[],
                        help='Node counts to deploy at once through Ironic '
                             'with the ramdisk, booting each.')
    parser.add_argument('--lifecycle-nodes', type=int, nargs='*',
                        default=[],
                        help='Node counts to run through inspection, '
                             'cleaning, deploy and undeploy at once.')
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='tenks-bench-')
    os.chmod(workdir, 0o755)    # QEMU must reach the pool inside
    boot = {}
    if args.boot_nodes:
        boot = {'provisioning_device': BOOT_DEVICE,
                'boot_artefacts': build.ensure(build.default_cache_dir())}
    if args.lifecycle_nodes:
        boot.update(provisioning_device=BOOT_DEVICE,
                    settings=benchmark_lifecycle.SETTINGS)
    ironic = standalone_ironic.StandaloneIronic(
        os.path.join(workdir, 'ironic'), loopback.find_free_port(), **boot)
    subprocess.run(['ip', 'link', 'add', BRIDGE, 'type', 'bridge'],
                   check=True)
    report = {'machine': {'cpus': os.cpu_count()}, 'ipmi': {},
              'redfish': {}}
    try:
        subprocess.run(['ip', 'link', 'set', BRIDGE, 'up'], check=True)
        started = time.monotonic()
        ironic.start()
        report['machine']['ironic_start_s'] = round(
            time.monotonic() - started, 1)
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(ironic.clouds_yaml),
                   OS_CLOUD=ironic.cloud_name)
        bench = Bench(workdir, env)
        for emulator in args.ipmi_emulators:
            key = 'ipmi' if emulator == 'virtualbmc' else 'ipmi+' + emulator
            for count in args.nodes:
                report.setdefault(key, {})[str(count)] = bench.run(
                    count, 'ipmi', emulator)
        if args.redfish_nodes:
            report['redfish'][str(args.redfish_nodes)] = bench.run(
                args.redfish_nodes, 'redfish')
        if args.boot_nodes:
            report['boot'] = boot_report(bench, ironic, args.boot_nodes)
        if args.lifecycle_nodes:
            report['lifecycle'] = lifecycle_report(bench, ironic,
                                                   args.lifecycle_nodes)
    finally:
        state = os.path.join(workdir, 'state', 'state.json')
        if os.path.exists(state):
            subprocess.run([TENKS, '--config-file',
                            os.path.join(workdir, 'tenks.conf'), 'teardown',
                            os.path.join(workdir, 'cluster.yaml')],
                           env=dict(os.environ,
                                    OS_CLIENT_CONFIG_FILE=str(
                                        ironic.clouds_yaml),
                                    OS_CLOUD=ironic.cloud_name))
        ironic.stop()
        subprocess.run(['ip', 'link', 'del', BRIDGE])
        subprocess.run(['rm', '-rf', workdir])
    json.dump(report, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == '__main__':
    main()
