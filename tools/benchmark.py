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

    tools/benchmark.py [--nodes 10 30] [--redfish-nodes 10]
                       [--ipmi-emulators virtualbmc tenks-ipmi]

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

from tenks.standalone import ironic as standalone_ironic
from tenks.standalone import loopback

TENKS = os.path.join(os.path.dirname(sys.executable), 'tenks')
COST = re.compile(r'Run cost: (\d+) host commands, (\d+) libvirt calls, '
                  r'(\d+) Ironic writes; peak RSS (\d+) KiB')
CHANGES = re.compile(r'(\d+) change\(s\) made')
BRIDGE = 'tkbench0'
PREFIX = 'tkbench-'
# What the command line of each BMC emulator's process holds.
BMC_MARKERS = (b'vbmcd', b'sushy-emulator', b'tenks.bmc.sushy_media',
               b'tenks.ipmi_emulator',
               b'tenks.bmc.ipmi_emulator')


class Bench:

    def __init__(self, workdir, env):
        self.workdir = workdir
        self.env = env
        self.conf = os.path.join(workdir, 'tenks.conf')
        with open(self.conf, 'w') as stream:
            # The nodes are never booted: memory may be promised freely.
            stream.write('[DEFAULT]\nstate_dir = %s\n'
                         'memory_overcommit_ratio = 10\n[ironic]\n'
                         'target_state = enroll\n' % os.path.join(
                             workdir, 'state'))

    def cluster(self, count, driver, emulator=None):
        path = os.path.join(self.workdir, 'cluster.yaml')
        with open(path, 'w') as stream:
            yaml.safe_dump({
                'node_types': {'bench': {
                    'memory_mb': 256, 'vcpus': 1,
                    'volumes': [{'capacity': '1GiB'}],
                    'physical_networks': ['physnet1'],
                    'ironic_driver': driver}},
                'specs': [{'type': 'bench', 'count': count,
                           'ironic_config': {'resource_class': 'bench'}}],
                'physnet_mappings': {'physnet1': BRIDGE},
                'node_name_prefix': PREFIX, 'bridge_prefix': 'tkbenchbr',
                'libvirt_pool_name': 'tkbench',
                'libvirt_pool_path': os.path.join(self.workdir, 'pool'),
                'log_directory': os.path.join(self.workdir, 'log'),
                'state_file_path': os.path.join(self.workdir, 'state',
                                                'state.json'),
                'ipmi_port_range_start': 16230,
                'ipmi_port_range_end': 16230 + 2 * count,
                'redfish_port': 18443,
                'libvirt_vm_engine': 'qemu',
                'default_boot_mode': 'bios',
                'bmc_emulators': {driver: emulator} if emulator else {},
            }, stream)
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
        total = 0
        marker = self.workdir.encode()
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                with open('/proc/%s/cmdline' % entry, 'rb') as stream:
                    cmdline = stream.read()
                with open('/proc/%s/environ' % entry, 'rb') as stream:
                    environ = stream.read()
                with open('/proc/%s/status' % entry) as stream:
                    status = stream.read()
            except OSError:
                continue
            if any(bmc in cmdline for bmc in BMC_MARKERS) and \
                    marker in cmdline + environ:
                rss = re.search(r'VmRSS:\s+(\d+) kB', status)
                total += int(rss.group(1)) if rss else 0
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--nodes', type=int, nargs='+', default=[10, 30])
    parser.add_argument('--redfish-nodes', type=int, default=10)
    parser.add_argument('--ipmi-emulators', nargs='+',
                        default=['virtualbmc'],
                        help='BMC emulator plugins to measure IPMI nodes '
                             'with, one after the other.')
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='tenks-bench-')
    os.chmod(workdir, 0o755)    # QEMU must reach the pool inside
    ironic = standalone_ironic.StandaloneIronic(
        os.path.join(workdir, 'ironic'), loopback.find_free_port())
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
