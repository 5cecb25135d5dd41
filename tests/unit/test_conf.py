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

import io
import os
import tempfile

import fixtures
import testtools

from tenks.cmd import main
from tenks import conf
from tenks import exception


class TestCheckFile(testtools.TestCase):
    """tenks.conf is checked whole when read, not option by option later."""

    def setUp(self):
        super().setUp()
        self.logs = self.useFixture(fixtures.FakeLogger(name='tenks.conf'))

    def load(self, text):
        fd, path = tempfile.mkstemp(suffix='.conf')
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, 'w') as stream:
            stream.write(text)
        return path, conf.load(path)

    def assert_refused(self, text, message):
        err = self.assertRaises(exception.ConfigError, self.load, text)
        self.assertRegex(str(err), '^.*\\.conf: ' + message + '$')

    def test_good_values_load(self):
        _, loaded = self.load('[DEFAULT]\nstate_dir = /tmp/s\n'
                              '[ipmi]\nport_range_start = 7000\n')
        self.assertEqual(7000, loaded.ipmi.port_range_start)
        self.assertEqual('', self.logs.output)

    def test_bad_integer(self):
        self.assert_refused('[ipmi]\nport_range_start = abc\n',
                            r"\[ipmi\] port_range_start: 'abc' is not "
                            r"valid: not an integer")

    def test_bad_choice(self):
        self.assert_refused('[network]\nbridge_type = hub\n',
                            r"\[network\] bridge_type: 'hub' is not valid: "
                            r"Valid values are .*, but found 'hub'")

    def test_unknown_option_warned_with_suggestion(self):
        path, loaded = self.load('[ipmi]\nport_rang_start = 7000\n')
        self.assertEqual(
            "%s: [ipmi] port_rang_start is not a tenks.conf option, and is "
            "ignored; did you mean 'port_range_start'?\n" % path,
            self.logs.output)
        self.assertNotEqual(7000, loaded.ipmi.port_range_start)

    def test_unknown_section_warned_with_suggestion(self):
        path, _ = self.load('[ipmii]\nport_range_start = 7000\n')
        self.assertEqual(
            "%s: [ipmii] is not a tenks.conf section, and is ignored; did "
            "you mean 'ipmi'?\n" % path, self.logs.output)


class TestCommandWithBadConf(testtools.TestCase):

    def test_one_line_and_exit_1(self):
        workdir = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(workdir, 'tenks.conf')
        with open(path, 'w') as stream:
            stream.write('[libvirt]\npool_name = p\n[ipmi]\n'
                         'port_range_end = lots\n')
        stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr))
        status = main.main(['--config-file', path, 'validate',
                            os.path.join(workdir, 'cluster.yaml')])
        self.assertEqual(1, status)
        self.assertEqual(
            ["ERROR: %s: [ipmi] port_range_end: 'lots' is not valid: not "
             "an integer" % path], stderr.getvalue().splitlines())
