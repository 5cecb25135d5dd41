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

"""Broken cluster files: a clear one-line error and an untouched host.

The files are in bad_input/; its README.rst describes their format.
"""

import concurrent.futures
import json
import os
import re

from tests.functional import base

CORPUS = os.path.join(os.path.dirname(__file__), 'bad_input')
# Names that other functional tests, running beside this one, give to
# what they make (see base.TenksTestCase; the benchmark's are fixed), and
# tools/soak.py's (tksk and four hex digits), which may run beside them.
OTHER_TESTS = re.compile(
    r'^(tkf|tks)[0-9a-f]{4}|^f[0-9a-f]{4}-|^tkbench|^tksk')
PLACEHOLDER = re.compile(rb'@[A-Z_]+@')


def read_case(path):
    """The bytes of a corpus file, its expected error and its stage."""
    with open(path, 'rb') as stream:
        data = stream.read()
    lines = data.decode('utf-8', 'replace').splitlines() or ['']
    error = lines[0][len('# error: '):] if lines[0].startswith(
        '# error: ') else None
    stage = 'validate'
    for line in lines[1:]:
        if not line.startswith('#'):
            break
        if line.startswith('# stage: '):
            stage = line[len('# stage: '):]
    return data, error, stage


class HostSnapshot(base.TenksTestCase):
    """A test that checks a command changed nothing on the host."""

    def setUp(self):
        super().setUp()
        self.source = self.source_prefix + 'lb'
        self.linux_bridge(self.source)
        # Open vSwitch shows its userspace datapath as the link ovs-netdev
        # while any netdev bridge exists: one of our own keeps it there
        # while other tests' bridges come and go.
        self.ovs_bridge(self.source_prefix + 'ovs')
        self.corpus_dir = os.path.join(self.workdir, 'corpus')
        os.mkdir(self.corpus_dir)

    def _theirs(self, name):
        """Whether name is another test's, not this test's."""
        return bool(OTHER_TESTS.match(name)) and not name.startswith(
            (self.bridge_prefix, self.source_prefix, self.node_prefix,
             self.pool))

    def _their_link(self, link):
        """Another test's link, or one stacked on another test's.

        libvirt names the macvtap of a running node macvtapN, over the
        node's veth end, which bears its test's names.
        """
        return self._theirs(link['ifname']) or self._theirs(
            link.get('link') or '')

    def snapshot(self):
        """What a deploy could have changed on the host."""
        def names(argv):
            return sorted(name for name in base.run(argv).stdout.split()
                          if not self._theirs(name))
        links = json.loads(base.run(['ip', '-j', 'link', 'show']).stdout)
        return {
            'domains': names(['virsh', 'list', '--all', '--name']),
            'pools': names(['virsh', 'pool-list', '--all', '--name']),
            'links': sorted(link['ifname'] for link in links
                            if not self._their_link(link)),
            'ovs': self._ovs_show(),
            'files': self._files(),
            'daemons': self.daemon_pids(base.LEFTOVER_MARKERS),
        }

    def _ovs_show(self):
        """`ovs-vsctl show` without other tests' bridges and ports."""
        kept, hidden_below = [], None
        for line in base.run(['ovs-vsctl', 'show']).stdout.splitlines():
            depth = len(line) - len(line.lstrip())
            if hidden_below is not None and depth > hidden_below:
                continue
            hidden_below = None
            words = line.split()
            if (len(words) == 2 and words[0] in ('Bridge', 'Port',
                                                 'Interface')
                    and self._theirs(words[1].strip('"'))):
                hidden_below = depth
                continue
            kept.append(line)
        return kept

    def _files(self):
        """The work directory but for the corpus, and what is beside it."""
        found = []
        for directory, dirs, files in os.walk(self.workdir):
            dirs[:] = [d for d in dirs
                       if os.path.join(directory, d) != self.corpus_dir]
            found += [os.path.relpath(os.path.join(directory, name),
                                      self.workdir) for name in dirs + files]
        parent, name = os.path.split(self.workdir)
        found += ['../%s' % entry for entry in os.listdir(parent)
                  if entry.startswith(name) and entry != name]
        return sorted(found)


class TestBadInput(HostSnapshot):

    def check(self, filename):
        """What is wrong with how tenks treats one corpus file, if any."""
        data, expected, stage = read_case(os.path.join(CORPUS, filename))
        if not expected:
            return ['its first line is not "# error: <expected error>"']
        if stage not in ('validate', 'deploy'):
            return ['unknown stage %r' % stage]
        stem = os.path.splitext(filename)[0]
        state_file = os.path.join(self.workdir, 'state-' + stem,
                                  'state.json')
        values = {
            '@SOURCE@': self.source,
            '@BRIDGE_PREFIX@': self.bridge_prefix,
            '@NODE_PREFIX@': self.node_prefix,
            '@POOL@': self.pool,
            '@IPMI_START@': str(self.ipmi_start),
            '@IPMI_END@': str(self.ipmi_start + 3),
            '@STATE_FILE@': state_file,
            '@WORKDIR@': self.workdir,
        }
        for placeholder, value in values.items():
            data = data.replace(placeholder.encode(), value.encode())
            expected = expected.replace(placeholder, value)
        if PLACEHOLDER.search(data):
            return ['unknown placeholder %s'
                    % PLACEHOLDER.search(data).group().decode()]
        path = os.path.join(self.corpus_dir, filename)
        with open(path, 'wb') as stream:
            stream.write(data)
        problems = []
        if stage == 'deploy':
            # Only what deploy observes finds the fault: validate passes.
            result = self.tenks('validate', path, check=False)
            if result.returncode:
                problems.append('validate rejected it (exit %d): %s' % (
                    result.returncode, result.stderr.strip()))
        # Deploy reads the file as validate does, then may change the host.
        result = self.tenks('deploy', path, check=False)
        lines = result.stderr.splitlines()
        if result.returncode != 1:
            problems.append('deploy exited %d' % result.returncode)
        if 'Traceback' in result.stderr:
            problems.append('deploy printed a traceback')
        if len(lines) != 1:
            problems.append('deploy printed %d lines on stderr: %r' % (
                len(lines), result.stderr))
        elif expected not in lines[0]:
            problems.append('deploy said %r, not %r' % (lines[0], expected))
        if os.path.exists(os.path.dirname(state_file)):
            problems.append('the state directory was created')
        return problems

    def test_corpus(self):
        files = sorted(name for name in os.listdir(CORPUS)
                       if name.endswith('.yaml'))
        self.assertGreaterEqual(len(files), 30)
        before = self.snapshot()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = dict(zip(files, pool.map(self.check, files)))
        wrong = ['%s: %s' % (name, '; '.join(problems))
                 for name, problems in sorted(results.items()) if problems]
        after = self.snapshot()
        changed = sorted(key for key in before if before[key] != after[key])
        wrong += ['the host changed (%s): before %r, after %r' % (
            key, before[key], after[key]) for key in changed]
        if wrong:
            self.fail('%d of %d files misbehaved:\n%s' % (
                len(results) - list(results.values()).count([]),
                len(files), '\n'.join(wrong)))
