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

"""`tenks verify` on a real cluster: passes, then catches each breakage.

One cluster (two IPMI nodes and a Redfish one, enrolled into a standalone
Ironic) is broken one way at a time and repaired by `tenks deploy` before
the next.
"""

import fcntl
import json
import os
import time
import xml.etree.ElementTree as ET

from tests.functional import base
from tests.functional import servers
from tests.functional import test_ironic

CHECKS = ('domain', 'wiring', 'lldp', 'bmc', 'ironic-node', 'ironic-ports')


class TestVerify(test_ironic.IronicTestCase):

    def verify(self, path, *args):
        """(exit code, stderr, {(node, check): (ok, detail)})."""
        result = self.tenks('verify', path, '-f', 'json', *args, check=False)
        rows = json.loads(result.stdout)
        return result.returncode, result.stderr, {
            (row['Node'], row['Check']): (row['OK'], row['Detail'])
            for row in rows}

    def assert_passes(self, path, names, *args, checks=CHECKS):
        code, stderr, results = self.verify(path, *args)
        self.assertEqual({(name, check) for name in names
                          for check in checks}, set(results))
        self.assertEqual([], [(key, detail) for key, (ok, detail)
                              in results.items() if not ok])
        self.assertEqual((0, ''), (code, stderr))
        return results

    def assert_fails(self, path, name, check, detail, also=()):
        """Only name's check fails (and maybe also), saying detail."""
        code, stderr, results = self.verify(path)
        failing = {key for key, (ok, _) in results.items() if not ok}
        self.assertIn((name, check), failing)
        self.assertLessEqual(failing, {(name, other)
                                       for other in (check,) + also})
        self.assertIn(detail, results[(name, check)][1])
        self.assertEqual(1, code)
        self.assertEqual(1, len(stderr.strip().splitlines()), stderr)
        self.assertIn('verify failed: %s: %s' % (name, check), stderr)

    def test_verify_catches_breakage(self):
        path = self.mixed_cluster(ipmi=2, redfish=1)
        self.tenks('deploy', path)
        names = sorted(self.state()['nodes'])
        ipmi0, ipmi1, redfish = names
        self.assert_verified_while_locked(path, names)
        self.assert_power_and_pxe(path, names)
        self.assert_moved_veth(path, ipmi0)
        self.assert_changed_port_mac(path, ipmi1)
        self.assert_changed_memory(path, redfish)
        self.assert_stopped_bmc(path, ipmi1)
        self.assert_power_failure_repaired(path, names, ipmi1)

    def assert_verified_while_locked(self, path, names):
        # A deploy holding the lock neither blocks nor is disturbed.
        with open(self.state_file + '.lock', 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.assert_passes(path, names)

    def assert_power_and_pxe(self, path, names):
        running = names[1]
        base.run(['virsh', 'start', running])
        self.addCleanup(base.run, ['virsh', 'destroy', running], check=False)
        results = self.assert_passes(path, names, '--power',
                                     checks=CHECKS + ('power',))
        self.assertIn('power off and on', results[(running, 'power')][1])
        self.assertIn('power on and off', results[(names[0], 'power')][1])
        self.assertEqual('running', self.domstate(running))
        base.run(['virsh', 'destroy', running])
        node = self.state()['nodes'][names[2]]
        # A DHCP server on physnet1's bridge, for the reply pxe waits for.
        servers.Server(self, 'openvswitch', self.source_prefix + 'ov')
        results = self.assert_passes(path, [names[2]], '--pxe', '--node',
                                     names[2], checks=CHECKS + ('pxe',))
        self.assertIn('to %s reached veth %s (physnet1) intact' % (
            node['nics'][0]['mac'], node['nics'][0]['veth_node']),
            results[(names[2], 'pxe')][1])
        self.assertEqual(['shut off'] * 3,
                         [self.domstate(name) for name in names])
        self.assert_idempotent(path)

    def assert_moved_veth(self, path, name):
        nic = self.state()['nodes'][name]['nics'][0]
        other = self.source_prefix + 'ov'
        base.run(['ovs-vsctl', 'del-port', nic['bridge'], nic['veth_bridge'],
                  '--', 'add-port', other, nic['veth_bridge']])
        self.assert_fails(path, name, 'wiring', 'veth %s is on %s, not on '
                          'bridge %s' % (nic['veth_bridge'], other,
                                         nic['bridge']))
        self.tenks('deploy', path)

    def assert_changed_port_mac(self, path, name):
        mac = self.state()['nodes'][name]['nics'][0]['mac']
        port = self.baremetal('port', 'show', '--address', mac)['uuid']
        base.run([test_ironic.OPENSTACK, 'baremetal', 'port', 'set', port,
                  '--address', '52:54:00:fe:dc:ba'])
        self.assert_fails(path, name, 'ironic-ports',
                          'no Ironic port has MAC %s' % mac)
        self.tenks('deploy', path)

    def assert_changed_memory(self, path, name):
        root = ET.fromstring(base.run(['virsh', 'dumpxml', '--inactive',
                                       name]).stdout)
        for tag in ('memory', 'currentMemory'):
            element = root.find(tag)
            element.set('unit', 'MiB')
            element.text = '320'
        changed = os.path.join(self.workdir, 'changed.xml')
        with open(changed, 'w') as stream:
            stream.write(ET.tostring(root, encoding='unicode'))
        base.run(['virsh', 'define', changed])
        self.assert_fails(path, name, 'domain',
                          'memory_mb is 320, recorded 256')
        self.tenks('deploy', path)

    def assert_stopped_bmc(self, path, name):
        config = os.path.join(os.path.dirname(self.state_file), 'vbmc',
                              'virtualbmc.conf')
        base.run([os.path.join(os.path.dirname(base.TENKS), 'vbmc'), 'stop',
                  name], env=dict(os.environ, VIRTUALBMC_CONFIG=config))
        # Ironic, failing to reach the BMC, may put the node in maintenance.
        self.assert_fails(path, name, 'bmc', 'ipmitool power status failed',
                          also=('ironic-node',))

    def assert_power_failure_repaired(self, path, names, name):
        """Ironic's maintenance for the stopped BMC ends with its repair.

        Ironic would lift it itself only after its power failure recovery
        interval (300 s by default).
        """
        deadline = time.monotonic() + 180
        while self.baremetal('node', 'show', name)['fault'] != \
                'power failure':
            self.assertLess(time.monotonic(), deadline,
                            'Ironic never marked the power failure')
            time.sleep(2)
        plan = json.loads(self.tenks('plan', path, '-f', 'json').stdout)
        self.assertIn({'Action': 'update', 'Kind': 'ironic-state',
                       'Name': name, 'Hypervisor': 'localhost',
                       'Reason': 'maintenance after a power failure'}, plan)
        self.tenks('deploy', path)
        node = self.baremetal('node', 'show', name)
        self.assertEqual((False, None), (node['maintenance'], node['fault']))
        self.assert_passes(path, names)
