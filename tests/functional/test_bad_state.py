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

"""A deployed cluster's state file damaged: every command refuses it.

Each refusal is one line naming the file, exits 1 and changes nothing:
the cluster's domain, links, bridges, BMC daemon and files stay as the
deploy left them, and the damaged file stays as it was.
"""

import json
import os

from tests.functional import test_bad_input

COMMANDS = (('deploy',), ('teardown',), ('plan',), ('list',), ('verify',))


class TestDamagedState(test_bad_input.HostSnapshot):

    def _theirs(self, name):
        # Tests of branches not merged yet run beside this one with names
        # of their own (tksk...); what the commands here could make bears
        # this test's prefixes, or none Tenks gives.
        return super()._theirs(name) or name.startswith('tk') and not (
            name.startswith((self.bridge_prefix, self.source_prefix,
                             self.pool)))

    def deploy(self):
        path = self.cluster(
            node_types={'small': {'memory_mb': 256, 'vcpus': 1,
                                  'volumes': [{'capacity': '64MiB'}],
                                  'physical_networks': ['physnet1']}},
            specs=[{'type': 'small', 'count': 1}],
            physnet_mappings={'physnet1': self.source})
        self.tenks('deploy', path)
        return path

    def damages(self, good):
        """(name, how the file is damaged, what the error says, hint)."""
        data = json.loads(good)
        other = dict(data, cluster_id='0badc0de')
        newer = dict(data, schema_version=data['schema_version'] + 1)
        return [
            ('truncated', good[:len(good) // 2], 'truncated after %d bytes'
             % (len(good) // 2), True),
            ('not JSON', b'<html>502 Bad Gateway</html>\n', 'not JSON (',
             True),
            ("another cluster's", json.dumps(other).encode(),
             'holds the state of cluster 0badc0de, written at another path; '
             'the cluster at this path is %s' % data['cluster_id'], True),
            ('newer schema', json.dumps(newer).encode(),
             'A newer Tenks wrote it', False),
            ('unreadable', None, 'Too many levels of symbolic links', False),
        ]

    def damage(self, content):
        os.unlink(self.state_file)
        if content is None:
            # Root reads any file whatever its mode: a loop cannot be read.
            os.symlink(self.state_file, self.state_file)
        else:
            with open(self.state_file, 'wb') as stream:
                stream.write(content)

    def restore(self, good):
        if os.path.lexists(self.state_file):
            os.unlink(self.state_file)
        with open(self.state_file, 'wb') as stream:
            stream.write(good)
        os.chmod(self.state_file, 0o600)

    def refusals(self, path, name, content, expected, hint):
        """What is wrong with how each command treats the damage."""
        problems = []
        for command in COMMANDS:
            result = self.tenks(*(command + (path,)), check=False)
            lines = result.stderr.splitlines()
            what = '%s, %s' % (name, command[0])
            if result.returncode != 1:
                problems.append('%s: exit %d' % (what, result.returncode))
            if len(lines) != 1:
                problems.append('%s: %r' % (what, result.stderr))
                continue
            for part in (self.state_file, expected) + (
                    ('`tenks teardown %s`' % path,) if hint else ()):
                if part not in lines[0]:
                    problems.append('%s: %r lacks %r' % (what, lines[0],
                                                         part))
            if content is not None and content != open(
                    self.state_file, 'rb').read():
                problems.append('%s: the state file changed' % what)
        return problems

    def test_each_damage_refused_and_nothing_changed(self):
        path = self.deploy()
        with open(self.state_file, 'rb') as stream:
            good = stream.read()
        self.addCleanup(self.restore, good)
        before = self.snapshot()
        self.assertEqual(1, len(before['domains']))
        self.assertTrue(before['daemons'])
        problems = []
        for name, content, expected, hint in self.damages(good):
            self.damage(content)
            problems += self.refusals(path, name, content, expected, hint)
            after = self.snapshot()
            problems += ['%s: the host changed (%s): %r became %r' % (
                name, key, before[key], after[key])
                for key in sorted(before) if before[key] != after[key]]
        self.assertEqual([], problems)
        # The way out the errors give: the cluster is still Tenks' to keep.
        self.restore(good)
        self.tenks('deploy', path)
        after = self.snapshot()
        self.assertEqual((before['domains'], before['daemons']),
                         (after['domains'], after['daemons']))
        self.assertEqual(json.loads(good), self.state())

    def test_moved_aside_then_teardown_removes_the_cluster(self):
        # The way out the damaged-file errors give.
        path = self.deploy()
        self.damage(b'{"schema_version": 1, "nodes": {"')
        self.assertEqual(1, self.tenks('deploy', path,
                                       check=False).returncode)
        os.rename(self.state_file, self.state_file + '.damaged')
        self.tenks('teardown', path)
        self.assertEqual([], self.leftovers())
