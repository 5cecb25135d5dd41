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

"""Secrets kept out of everything Tenks logs.

Libraries log what they send at debug level (keystoneauth logs request
bodies, BMC passwords included), so secrets are masked by value in every
log record, whoever wrote it.
"""

import logging

MASK = '***'
# extra= of a record built to hold no secret, left as it is: a weak
# password is also a common word that its own warning names.
VETTED = {'tenks_vetted': True}
_SECRETS = set()


def secret(value):
    """Never log value from now on."""
    if value:
        _SECRETS.add(str(value))


def mask(text):
    # Longest first, so a secret containing another is masked whole.
    for value in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


class Filter(logging.Filter):
    """Masks the secrets in each record a handler emits."""

    def filter(self, record):
        if _SECRETS and not getattr(record, 'tenks_vetted', False):
            message = record.getMessage()
            masked = mask(message)
            if masked != message:
                record.msg, record.args = masked, None
        return True
