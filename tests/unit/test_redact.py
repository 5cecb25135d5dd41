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
import logging

import testtools

from tenks import redact


class RedactTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.addCleanup(redact._SECRETS.clear)
        self.stream = io.StringIO()
        handler = logging.StreamHandler(self.stream)
        handler.addFilter(redact.Filter())
        self.logger = logging.getLogger('tenks-redact-test')
        self.logger.addHandler(handler)
        self.addCleanup(self.logger.removeHandler, handler)
        self.logger.setLevel(logging.DEBUG)

    def test_secret_masked_in_formatted_message(self):
        redact.secret('s3cret')
        self.logger.debug('REQ: -d %s', '{"ipmi_password": "s3cret"}')
        self.assertEqual('REQ: -d {"ipmi_password": "***"}\n',
                         self.stream.getvalue())

    def test_longest_secret_masked_whole(self):
        redact.secret('abc')
        redact.secret('abcdef')
        self.assertEqual('*** ***', redact.mask('abcdef abc'))

    def test_nothing_to_hide(self):
        redact.secret(None)
        redact.secret('')
        self.logger.info('plain %d', 1)
        self.assertEqual('plain 1\n', self.stream.getvalue())

    def test_vetted_record_left_alone(self):
        redact.secret('password')
        self.logger.warning('ipmi_password is weak', extra=redact.VETTED)
        self.logger.warning('ipmi_password is weak')
        self.assertEqual('ipmi_password is weak\nipmi_*** is weak\n',
                         self.stream.getvalue())
