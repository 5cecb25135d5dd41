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

"""The table of the original's variables: known to config, and in README."""

import os
import re

import testtools

from tenks import config
from tenks.config import variables

README = os.path.join(os.path.dirname(__file__), '..', '..', 'README.rst')


def _section(title):
    with open(README) as stream:
        text = stream.read()
    start = text.index('\n%s\n' % title)
    rest = text[start + len(title) + 2:]
    following = re.search(r'\n[^\n]+\n={4,}\n', rest.split('\n', 1)[1])
    return rest if following is None else rest[:following.start() + 20]


class TestVariables(testtools.TestCase):

    def test_original_variables_are_read(self):
        self.assertEqual(set(), (variables.ORIGINAL
                                 | variables.ROLE_VARIABLES)
                         - config.TOP_LEVEL)

    def test_honoured_and_ignored_are_apart(self):
        self.assertEqual(set(), set(variables.ANSIBLE_ONLY)
                         & config.TOP_LEVEL)

    def test_readme_lists_every_variable(self):
        section = _section('Coming from the Ansible Tenks')
        names = (variables.ORIGINAL | variables.ROLE_VARIABLES
                 | set(variables.ANSIBLE_ONLY))
        self.assertEqual([], sorted(name for name in names
                                    if '``%s``' % name not in section))

    def test_ansible_prefix(self):
        self.assertEqual('it configures Ansible', variables.ansible_only(
            'ansible_python_interpreter'))
        self.assertIsNone(variables.ansible_only('specs'))
