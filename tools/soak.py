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

"""Soak and load: what repeated runs leak, and what Ironic's polling sees.

Against a throwaway standalone Ironic on this machine, printed as one
JSON object:

- cycles: --cycles deploy/teardown cycles of a small mixed cluster (IPMI
  and Redfish, enrolled); after each teardown nothing of the cluster may
  be left (BMC processes, links, domains, the pool, Ironic nodes and
  ports), and Ironic's and libvirtd's open file descriptors are sampled.
- reconfigurations: --reconfigurations changes in a row (count up and
  down, memory, a physnet added and removed, the IPMI emulator switched);
  after each the plan must be empty, and the BMC emulators' memory and
  file descriptors are sampled.
- power_sync: Ironic's power sync at its fastest (every second, as many
  workers as nodes) on every BMC of a --power-nodes cluster for
  --power-minutes while the cluster is reconfigured; every failed power
  call Ironic logs is counted.

    tools/soak.py [--cycles 50] [--reconfigurations 200]
                  [--power-nodes 30] [--power-minutes 10]

Run as root on a host prepared by tools/setup-host.sh, with Tenks and
Ironic installed in the Python running it (the functional tox env).
Exits non-zero if a check failed.
"""

import argparse
import datetime
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time

import yaml

from tenks.standalone import ironic as standalone_ironic
from tenks.standalone import loopback

import hostprobe

TENKS = os.path.join(os.path.dirname(sys.executable), 'tenks')
# What Ironic's conductor logs when a power call fails, during its power
# sync or otherwise.
POWER_FAILURES = re.compile(
    r'could not get power state|max retries exceeded|'
    r'IPMI power (status|on|off) failed|Failed to get power state|'
    r'Redfish exception occurred|power failure')


class FastSyncIronic(standalone_ironic.StandaloneIronic):
    """The standalone Ironic, polling every node's power every second."""

    workers = 8

    def ironic_config(self):
        conf = super().ironic_config()
        conf['conductor'].update(sync_power_state_interval='1',
                                 sync_power_state_workers=str(self.workers),
                                 periodic_max_workers=str(self.workers))
        return conf


class Soak:

    def __init__(self, workdir, env, ironic, stop_by=None):
        self.workdir = workdir
        self.env = env
        self.ironic = ironic
        self.stop_by = stop_by
        tag = secrets.token_hex(2)
        self.prefix = 'tksk%s-' % tag
        self.bridge_prefix = 'tksk%s' % tag
        self.sources = ['tksks%s%d' % (tag, i) for i in (1, 2)]
        self.pool = 'tksk%s' % tag
        self.ipmi_start = 30000 + secrets.randbelow(3000) * 10
        self.conf = hostprobe.write_tenks_conf(workdir, 'manageable')
        self.state_file = os.path.join(workdir, 'state', 'state.json')
        self.path = os.path.join(workdir, 'cluster.yaml')
        self.failures = []

    def write_cluster(self, ipmi, redfish=1, memory=256,
                      physnets=('physnet1',), emulator='virtualbmc'):
        node_type = {'memory_mb': memory, 'vcpus': 1,
                     'volumes': [{'capacity': '1GiB'}],
                     'physical_networks': list(physnets)}
        with open(self.path, 'w') as stream:
            yaml.safe_dump({
                'node_types': {'ipmi': node_type,
                               'rf': dict(node_type, ironic_driver='redfish',
                                          physical_networks=['physnet1'])},
                'specs': [{'type': 'ipmi', 'count': ipmi,
                           'ironic_config': {'resource_class': 'soak'}},
                          {'type': 'rf', 'count': redfish,
                           'node_name_prefix': self.prefix + 'r',
                           'ironic_config': {'resource_class': 'soak'}}],
                'physnet_mappings': {'physnet1': self.sources[0],
                                     'physnet2': self.sources[1]},
                'node_name_prefix': self.prefix,
                'bridge_prefix': self.bridge_prefix,
                'libvirt_pool_name': self.pool,
                'libvirt_pool_path': os.path.join(self.workdir, 'pool'),
                'log_directory': os.path.join(self.workdir, 'log'),
                'state_file_path': self.state_file,
                'ipmi_port_range_start': self.ipmi_start,
                'ipmi_port_range_end': self.ipmi_start + 99,
                'redfish_port': self.ipmi_start + 100,
                'libvirt_vm_engine': 'qemu',
                'default_boot_mode': 'bios',
                'bmc_emulators': {'ipmi': emulator},
            }, stream)

    def tenks(self, *args):
        result = subprocess.run([TENKS, '--config-file', self.conf]
                                + list(args), capture_output=True,
                                text=True, env=self.env)
        if result.returncode:
            self.fail('tenks %s: %s' % (' '.join(args[:1]), (
                result.stderr.strip().splitlines() or ['?'])[-1]))
        return result

    def fail(self, line):
        self.failures.append(line)
        print('FAILED: %s' % line, file=sys.stderr)

    def out_of_time(self):
        """Whether --stop-by has come: no new round is begun then."""
        return bool(self.stop_by) and time.time() >= self.stop_by

    def check(self, what, expected, seen):
        if expected != seen:
            self.fail('%s: expected %r, saw %r' % (what, expected, seen))

    # What exists, read from the host and from Ironic.

    def bmc_processes(self):
        """{pid: (RSS KiB, open fds)} of this soak's BMC emulators."""
        return hostprobe.bmc_processes(self.workdir.encode())

    def leftovers(self):
        links = json.loads(subprocess.run(
            ['ip', '-j', 'link', 'show'], capture_output=True,
            text=True).stdout)
        domains = subprocess.run(['virsh', 'list', '--all', '--name'],
                                 capture_output=True, text=True).stdout
        pools = subprocess.run(['virsh', 'pool-list', '--all', '--name'],
                               capture_output=True, text=True).stdout
        conn = self.ironic_conn()
        return sorted(
            [link['ifname'] for link in links
             if link['ifname'].startswith((self.prefix, self.bridge_prefix))
             and link['ifname'] not in self.sources]
            + [d for d in domains.split() if d.startswith(self.prefix)]
            + [p for p in pools.split() if p == self.pool]
            + ['volume %s' % v for v in self.volume_files()]
            + ['process %d' % pid for pid in self.bmc_processes()]
            + ['ironic node %s' % n.name for n in conn.baremetal.nodes()]
            + ['ironic port %s' % p.address
               for p in conn.baremetal.ports()])

    def volume_files(self):
        # The pool's directory: a volume libvirt forgot is still a file.
        try:
            return os.listdir(os.path.join(self.workdir, 'pool'))
        except FileNotFoundError:
            return []

    def ironic_conn(self):
        import openstack
        return openstack.connect(cloud=self.ironic.cloud_name)

    def host_fds(self):
        # Ironic's API and conductor workers are children of its process.
        ironic = [pid for pid, cmdline, _ in hostprobe.processes()
                  if str(self.ironic.config_file).encode() in cmdline]
        libvirtd = [pid for pid, cmdline, _ in hostprobe.processes()
                    if cmdline.split(b'\0')[0].endswith(b'libvirtd')]
        return {'ironic': sum(hostprobe.fds(pid) for pid in ironic),
                'libvirtd': hostprobe.fds(libvirtd[0]) if libvirtd else None}

    # The three parts.

    def cycles(self, count):
        samples = []
        started = time.monotonic()
        for cycle in range(count):
            if self.out_of_time():
                break
            self.write_cluster(ipmi=2)
            self.tenks('deploy', self.path)
            # vbmcd, a process of its own per IPMI BMC, sushy-emulator.
            self.check('cycle %d BMC processes' % cycle, 4,
                       len(self.bmc_processes()))
            self.tenks('teardown', self.path)
            self.check('cycle %d leftovers' % cycle, [], self.leftovers())
            samples.append(self.host_fds())
        return {'cycles': len(samples), 'cycles_asked': count,
                'wall_s': round(time.monotonic() - started, 1),
                'ironic_fds': _trend([s['ironic'] for s in samples]),
                'libvirtd_fds (shared with other users)': _trend(
                    [s['libvirtd'] for s in samples])}

    # (what changes, the cluster's settings after it, BMC processes then)
    CHANGES = [
        ('count up', dict(ipmi=3), 5),
        ('memory changed', dict(ipmi=3, memory=288), 5),
        ('physnet added', dict(ipmi=3, memory=288,
                               physnets=('physnet1', 'physnet2')), 5),
        ('count down', dict(ipmi=2, memory=288,
                            physnets=('physnet1', 'physnet2')), 4),
        ('IPMI emulator switched', dict(ipmi=2, memory=288,
                                        physnets=('physnet1', 'physnet2'),
                                        emulator='tenks-ipmi'), 2),
        ('physnet removed', dict(ipmi=2, memory=288,
                                 emulator='tenks-ipmi'), 2),
        ('memory back', dict(ipmi=2, emulator='tenks-ipmi'), 2),
        ('IPMI emulator back', dict(ipmi=2), 4),
    ]

    def reconfigurations(self, count):
        self.write_cluster(ipmi=2)
        self.tenks('deploy', self.path)
        rss, fds, walls = [], [], []
        for index in range(count):
            if self.out_of_time():
                break
            what, settings, daemons = self.CHANGES[index % len(self.CHANGES)]
            self.write_cluster(**settings)
            started = time.monotonic()
            self.tenks('deploy', self.path)
            walls.append(time.monotonic() - started)
            planned = json.loads(self.tenks('plan', self.path, '-f',
                                            'json').stdout)
            self.check('%s (%d): plan after it' % (what, index), [],
                       planned)
            bmcs = self.bmc_processes()
            self.check('%s (%d): BMC processes' % (what, index), daemons,
                       len(bmcs))
            if index % len(self.CHANGES) == len(self.CHANGES) - 1:
                # Back where the sequence began: comparable samples.
                rss.append(sum(r for r, _ in bmcs.values()))
                fds.append(sum(f for _, f in bmcs.values()))
        self.tenks('teardown', self.path)
        self.check('after the reconfigurations: leftovers', [],
                   self.leftovers())
        return {'reconfigurations': len(walls),
                'reconfigurations_asked': count,
                'deploy_wall_s': _trend([round(w, 1) for w in walls]),
                'bmc_rss_kib_after_each_round': rss,
                'bmc_fds_after_each_round': fds}

    def power_sync(self, nodes, minutes):
        redfish = max(1, nodes // 5)
        self.write_cluster(ipmi=nodes - redfish, redfish=redfish)
        self.tenks('deploy', self.path)
        offset = os.path.getsize(self.ironic.log_file)
        started = time.monotonic()
        deadline = started + minutes * 60
        changes = 0
        while time.monotonic() < deadline and not self.out_of_time():
            step = changes % 4
            self.write_cluster(
                ipmi=nodes - redfish + (1 if step in (0, 1) else 0),
                redfish=redfish, memory=288 if step in (1, 2) else 256)
            self.tenks('deploy', self.path)
            changes += 1
        polled = time.monotonic() - started
        time.sleep(3)   # a last round of the power sync
        with open(self.ironic.log_file, errors='replace') as stream:
            stream.seek(offset)
            failures = [line.strip() for line in stream
                        if POWER_FAILURES.search(line)]
        conn = self.ironic_conn()
        broken = sorted(node.name for node in conn.baremetal.nodes(
            details=True) if node.is_maintenance or node.power_state is None)
        self.tenks('teardown', self.path)
        self.check('after the power sync: leftovers', [], self.leftovers())
        self.check('failed power calls', [], failures[:5])
        self.check('nodes in maintenance or of unknown power', [], broken)
        return {'nodes': nodes, 'redfish_nodes': redfish,
                'minutes': round(polled / 60, 1), 'minutes_asked': minutes,
                'sync_interval_s': 1,
                'reconfigurations_meanwhile': changes,
                'failed_power_calls': len(failures),
                'nodes_in_maintenance_or_unknown_power': len(broken)}


def _utc_today(hh_mm):
    """The epoch seconds of HH:MM UTC, the next one to come; or None."""
    if not hh_mm:
        return None
    now = datetime.datetime.now(datetime.timezone.utc)
    hour, minute = (int(part) for part in hh_mm.split(':'))
    when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if when < now:
        when += datetime.timedelta(days=1)
    return when.timestamp()


def _trend(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {'first': values[0], 'last': values[-1], 'max': max(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cycles', type=int, default=50)
    parser.add_argument('--reconfigurations', type=int, default=200)
    parser.add_argument('--power-nodes', type=int, default=30)
    parser.add_argument('--power-minutes', type=float, default=10)
    parser.add_argument('--stop-by', metavar='HH:MM',
                        help='UTC time after which no part begins another '
                        'round; each reports how many it ran')
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='tenks-soak-')
    os.chmod(workdir, 0o755)    # QEMU must reach the pool inside
    ironic = FastSyncIronic(os.path.join(workdir, 'ironic'),
                            loopback.find_free_port())
    ironic.workers = max(8, args.power_nodes)
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(ironic.clouds_yaml),
               OS_CLOUD=ironic.cloud_name)
    os.environ.update(OS_CLIENT_CONFIG_FILE=str(ironic.clouds_yaml))
    soak = Soak(workdir, env, ironic, _utc_today(args.stop_by))
    report = {'machine': {'cpus': os.cpu_count()}}
    made = []
    try:
        for bridge in soak.sources:
            subprocess.run(['ip', 'link', 'add', bridge, 'type', 'bridge'],
                           check=True)
            made.append(bridge)
            subprocess.run(['ip', 'link', 'set', bridge, 'up'], check=True)
        ironic.start()
        parts = [('cycles', args.cycles, soak.cycles, (args.cycles,)),
                 ('reconfigurations', args.reconfigurations,
                  soak.reconfigurations, (args.reconfigurations,)),
                 ('power_sync', args.power_nodes and args.power_minutes,
                  soak.power_sync, (args.power_nodes, args.power_minutes))]
        for name, wanted, part, part_args in parts:
            if wanted:
                report[name] = part(*part_args)
                # Each part's figures as they come: a long soak stopped
                # later has still reported these.
                print('%s: %s' % (name, json.dumps(report[name],
                                                   sort_keys=True)),
                      file=sys.stderr, flush=True)
    finally:
        if os.path.exists(soak.state_file):
            subprocess.run([TENKS, '--config-file', soak.conf, 'teardown',
                            soak.path], env=env)
        ironic.stop()
        for bridge in made:
            subprocess.run(['ip', 'link', 'del', bridge])
        subprocess.run(['rm', '-rf', workdir])
    report['failures'] = soak.failures
    json.dump(report, sys.stdout, indent=1, sort_keys=True)
    print()
    return 1 if soak.failures else 0


if __name__ == '__main__':
    sys.exit(main())
