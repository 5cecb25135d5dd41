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

import logging

import testtools

from tenks.cmd import main


def _record(msg):
    return logging.LogRecord('keystoneauth.session', logging.WARNING, 'x',
                             1, msg, ({'code': 503},), None)


class TestQuietRetries(testtools.TestCase):

    def test_retry_notice_hidden(self):
        self.assertFalse(main._quiet_retries(_record(
            'Retriable status code %(code)s. Retrying in 0.5s.')))

    def test_other_warnings_shown(self):
        self.assertTrue(main._quiet_retries(_record('Failure: %(code)s')))
