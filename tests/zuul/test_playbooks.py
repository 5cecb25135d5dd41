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

"""Every playbook passes ansible-playbook --syntax-check and ansible-lint.

tests/functional/test_zuul_playbooks.py runs tenks-deploy-base's
playbooks for real; here they (and the install path it skips) are only
parsed and linted.
"""

import os
import pathlib
import subprocess
import sys

import fixtures
import testtools

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.path.dirname(sys.executable)
PLAYBOOKS = sorted(str(path.relative_to(ROOT))
                   for path in (ROOT / 'playbooks').rglob('*.yaml'))
BROKEN_PLAYBOOK = '''---
- hosts: all
  tasks:
    - command: ip link del {{ bridge }}
'''


class TestPlaybooks(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        # Zuul puts a job's repository's roles/ on the roles path.
        self.environ = dict(os.environ, ANSIBLE_ROLES_PATH=str(ROOT / 'roles'),
                            ANSIBLE_LOCAL_TEMP=self.tmp, NO_COLOR='1',
                            ANSIBLE_NOCOLOR='1')

    def run_tool(self, argv, cwd=ROOT):
        return subprocess.run([os.path.join(BIN, argv[0])] + argv[1:],
                              cwd=cwd, env=self.environ, text=True,
                              capture_output=True, stdin=subprocess.DEVNULL)

    def syntax_check(self, playbooks, cwd=ROOT):
        return self.run_tool(['ansible-playbook', '--syntax-check', '-i',
                              'localhost,'] + playbooks, cwd)

    def test_playbooks_exist(self):
        self.assertIn('playbooks/tenks-deploy/pre.yaml', PLAYBOOKS)
        self.assertIn('playbooks/tenks-functional/run.yaml', PLAYBOOKS)

    def test_syntax_check(self):
        result = self.syntax_check(PLAYBOOKS)
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        for playbook in PLAYBOOKS:
            self.assertIn('playbook: %s' % playbook, result.stdout)

    def test_syntax_check_fails_on_a_broken_playbook(self):
        path = os.path.join(self.tmp, 'broken.yaml')
        with open(path, 'w') as stream:
            stream.write(BROKEN_PLAYBOOK.replace('command:', 'no_such:'))
        result = self.syntax_check([path], self.tmp)
        self.assertNotEqual(0, result.returncode)
        self.assertIn('no_such', result.stderr)

    def test_ansible_lint(self):
        # Playbooks, roles and zuul.d, as .ansible-lint configures.
        result = self.run_tool(['ansible-lint', '--offline'])
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.assertIn("Profile 'production' was required, and it passed",
                      result.stderr)

    def test_ansible_lint_fails_on_a_broken_playbook(self):
        path = os.path.join(self.tmp, 'broken.yaml')
        with open(path, 'w') as stream:
            stream.write(BROKEN_PLAYBOOK)
        result = self.run_tool(['ansible-lint', '--offline', '-c',
                                str(ROOT / '.ansible-lint'), path], self.tmp)
        self.assertNotEqual(0, result.returncode)
        for rule in ('fqcn[action-core]', 'name[play]', 'no-changed-when'):
            self.assertIn(rule, result.stdout)
