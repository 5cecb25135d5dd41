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

import testtools

from tenks import host_facts

# host_facts.COMMAND's output on this project's Debian 12 machine, and on
# a Rocky Linux 9 host (os-release as Rocky 9.4 ships it).
DEBIAN = '''@@tenks-fact architecture
x86_64
@@tenks-fact kernel
6.1.0-18-cloud-amd64
@@tenks-fact nodename
vm
@@tenks-fact fqdn
vm
@@tenks-fact user_uid
0
@@tenks-fact user_id
root
@@tenks-fact home
/root
@@tenks-fact os_release
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
'''
ROCKY = '''@@tenks-fact architecture
aarch64
@@tenks-fact nodename
hv1.example.org
@@tenks-fact fqdn
hv1.example.org
@@tenks-fact user_uid
1000
@@tenks-fact user_id
stack
@@tenks-fact os_release
NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
'''


class TestParse(testtools.TestCase):

    def test_debian(self):
        facts = host_facts.parse(DEBIAN)
        self.assertEqual({
            'architecture': 'x86_64', 'machine': 'x86_64',
            'kernel': '6.1.0-18-cloud-amd64', 'system': 'Linux',
            'hostname': 'vm', 'nodename': 'vm', 'fqdn': 'vm',
            'user_id': 'root', 'user_uid': 0, 'env': {'HOME': '/root'},
            'os_family': 'Debian', 'distribution': 'Debian',
            'distribution_version': '12',
            'distribution_major_version': '12',
            'distribution_release': 'bookworm'}, facts)

    def test_rocky(self):
        facts = host_facts.parse(ROCKY)
        self.assertEqual(
            ('RedHat', 'Rocky', '9', 'hv1', 'aarch64', 1000),
            (facts['os_family'], facts['distribution'],
             facts['distribution_major_version'], facts['hostname'],
             facts['architecture'], facts['user_uid']))

    def test_unknown_system(self):
        facts = host_facts.parse('@@tenks-fact os_release\nNAME=Plan9\n')
        self.assertEqual(('Plan9', 'Plan9', ''),
                         (facts['os_family'], facts['distribution'],
                          facts['architecture']))

    def test_one_command(self):
        self.assertEqual(['sh', '-c'], host_facts.COMMAND[:2])
        self.assertIn("echo '@@tenks-fact os_release'; cat /etc/os-release",
                      host_facts.COMMAND[2])
