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

"""tools/benchmark.py --lifecycle-nodes: Ironic's lifecycle, timed.

For each count N: N IPMI nodes (BIOS, iPXE, direct deploy, agent
inspection) run through `tenks verify --deploy` at once, against the
benchmark's standalone Ironic with fast track. Reported per node: each
step's seconds (from verify), and where the time of each agent boot went,
from the moments (host clock) the node's console first showed each
marker and Ironic's provision states changed (polled each second):
firmware and iPXE's download up to the kernel's first line, the kernel
and its ramdisk's decompression (guest uptime when init starts), udev
and DHCP, the agent's start until Ironic acts on its heartbeat; the
image write (as the agent logs it) and the reboot into the disk.
"""

import json
import os
import re
import shutil
import subprocess
import threading
import time

from tenks.artefacts.ipa import build as agent_build
from tenks.artefacts.ipa import disk_image
from tenks import lifecycle
from tenks.standalone import loopback

SETTINGS = {
    'DEFAULT': {
        'enabled_inspect_interfaces': 'fake,no-inspect,redfish,agent'},
    'deploy': {'fast_track': 'true'},
}
# 203.0.113.30 and up: outside the DHCP range (.100-.199).
AGENT_BASE = 30
STEP_TIMEOUT = 1200
# (kind, pattern): the first group, if any, is the guest's uptime.
MARKERS = (
    ('kernel', re.compile(r'Linux version \d')),
    ('init', re.compile(r'TENKS-AGENT: booted \S+ after ([\d.]+) s')),
    ('lease', re.compile(r'TENKS-AGENT: lease \S+ after ([\d.]+) s')),
    ('agent', re.compile(
        r'TENKS-AGENT: starting ironic-python-agent after ([\d.]+) s')),
    # IPA 13 logs no duration: the moment it logged this counts.
    ('written', re.compile(r'\) written to device \S+')),
    ('disk', re.compile(re.escape(disk_image.DISK_MARKER))),
)
WAITS = ('inspect wait', 'clean wait', 'wait call-back')
SECONDS = re.compile(r' in (\d+) s$|after (\d+) s$')


class Watch(threading.Thread):
    """Timestamps of console markers and provision states, per node."""

    def __init__(self, conn, consoles):
        super().__init__(daemon=True)
        self.conn = conn
        self.consoles = consoles      # {name: console log path}
        self.events = {name: [] for name in consoles}
        self.offsets = dict.fromkeys(consoles, 0)
        self.states = {}
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(1):
            now = time.monotonic()
            for name, path in self.consoles.items():
                self._read(name, path, now)
            for node in self.conn.baremetal.nodes(
                    fields=['name', 'provision_state']):
                if node.name in self.events and \
                        self.states.get(node.name) != node.provision_state:
                    self.states[node.name] = node.provision_state
                    self.events[node.name].append(
                        (now, 'state', node.provision_state))

    def _read(self, name, path, now):
        try:
            with open(path, 'rb') as stream:
                stream.seek(self.offsets[name])
                text = stream.read()
        except FileNotFoundError:
            return
        # Only whole lines: a marker may be half written.
        text = text[:text.rfind(b'\n') + 1]
        self.offsets[name] += len(text)
        for line in text.decode(errors='replace').splitlines():
            for kind, pattern in MARKERS:
                found = pattern.search(line)
                if found:
                    value = found.group(1) if found.groups() else None
                    self.events[name].append((now, kind, value))


def boots(events):
    """Each boot's phases in seconds, from a node's (time, kind, value)."""
    found, waiting_since, current, written = [], None, None, None
    for when, kind, value in events:
        if kind == 'state' and value in WAITS:
            waiting_since = when
        elif kind == 'kernel':
            current = {'power_on_to_kernel_s': _since(waiting_since, when)}
            found.append(current)
            current['_kernel'] = when
        elif current is None:
            continue
        elif kind == 'init':
            current['kernel_and_ramdisk_unpack_s'] = float(value)
        elif kind == 'lease':
            current['udev_and_dhcp_s'] = round(
                float(value) - current.get('kernel_and_ramdisk_unpack_s',
                                           0), 1)
        elif kind == 'agent':
            current['_agent'] = when
        elif kind == 'state' and '_agent' in current and \
                'agent_start_to_heartbeat_s' not in current:
            current['agent_start_to_heartbeat_s'] = _since(
                current['_agent'], when)
        elif kind == 'written' and \
                'image_download_and_write_s' not in current:
            # Asked to write once Ironic moved the node to wait call-back.
            current['image_download_and_write_s'] = _since(waiting_since,
                                                           when)
            written = when
        elif kind == 'disk' and 'booted_from_disk' not in current:
            current['booted_from_disk'] = True
            current['written_to_disk_boot_s'] = _since(written, when)
    return [{key: value for key, value in boot.items()
             if not key.startswith('_')} for boot in found]


def _since(start, end):
    return None if start is None else round(end - start, 1)


def steps(rows):
    """{node: {step: seconds}} from `tenks verify --deploy -f json`."""
    found = {}
    for row in rows:
        if row['Check'] in lifecycle.STEPS:
            seconds = SECONDS.search(row['Detail'])
            found.setdefault(row['Node'], {})[row['Check']] = (
                int(seconds.group(1) or seconds.group(2))
                if seconds and row['Status'] == 'passed' else row['Status'])
    return found


class LifecycleBench:

    def __init__(self, bench, ironic, conn, tenks):
        self.bench = bench
        self.ironic = ironic
        self.conn = conn
        self.tenks = tenks
        # Never an address a node of an earlier count leased.
        self.next_address = AGENT_BASE
        self.artefacts = agent_build.ensure(agent_build.DEFAULT_CACHE_DIR)
        published = ironic.workdir / 'httpboot' / 'images'
        published.mkdir(exist_ok=True)
        for path in (self.artefacts.kernel, self.artefacts.ramdisk,
                     self.artefacts.disk):
            shutil.copy(path, published)
        self.image_url = '%s/images/%s' % (
            loopback.endpoint(ironic.provisioning.media_port),
            os.path.basename(self.artefacts.disk))

    def cluster(self, count):
        return self.bench.cluster(
            count, 'ipmi', node_type={
                'memory_mb': 1024, 'console_log_enabled': True,
                'volumes': [{'capacity': '5GiB'}]},
            ironic_config={'boot_interface': 'ipxe',
                           'deploy_interface': 'direct',
                           'inspect_interface': 'agent'},
            physnet_mappings={'physnet1': self.ironic.provisioning.device},
            ironic_target_state='manageable')

    def prepare(self, nodes):
        images = self.ironic.workdir / 'httpboot' / 'images'
        for name, node in sorted(nodes.items()):
            params = self.ironic.provisioning.reach_agent(
                node['nics'][0]['mac'], '203.0.113.%d' % self.next_address,
                loopback.find_free_port())
            self.next_address += 1
            info = {
                'deploy_kernel': 'file://%s' % (
                    images / os.path.basename(self.artefacts.kernel)),
                'deploy_ramdisk': 'file://%s' % (
                    images / os.path.basename(self.artefacts.ramdisk)),
                'kernel_append_params': 'console=ttyS0 no_timer_check '
                'ipa-debug=1 ' + params}
            # A patch: the driver_info Ironic shows masks the password.
            self.conn.baremetal.patch_node(name, [
                {'op': 'add', 'path': '/driver_info/' + key, 'value': value}
                for key, value in info.items()] + [
                {'op': 'replace', 'path': '/automated_clean',
                 'value': True}])

    def run(self, count):
        path = self.cluster(count)
        self.bench.phase('deploy', path)
        with open(os.path.join(self.bench.workdir, 'state',
                               'state.json')) as stream:
            nodes = json.load(stream)['nodes']
        self.prepare(nodes)
        watch = Watch(self.conn, {name: os.path.join(
            self.bench.workdir, 'log', 'console', name + '.log')
            for name in nodes})
        watch.start()
        started = time.monotonic()
        result = subprocess.run(
            [self.tenks, '--config-file', self.bench.conf, 'verify',
             path, '--deploy', self.image_url,
             '--image-checksum', self.artefacts.disk_sha256,
             '--disk-marker', disk_image.DISK_MARKER,
             '--deploy-timeout', str(STEP_TIMEOUT), '-f', 'json'],
            capture_output=True, text=True, env=self.bench.env)
        wall = round(time.monotonic() - started, 1)
        watch.done.set()
        watch.join()
        self.bench.phase('teardown', path)
        return {'nodes': count, 'wall_s': wall,
                'verify_exit': result.returncode,
                'steps_s': steps(json.loads(result.stdout or '[]')),
                'boots': {name: boots(events)
                          for name, events in watch.events.items()},
                'events': {name: [(round(when - started, 1), kind, value)
                                  for when, kind, value in events]
                           for name, events in watch.events.items()}}
