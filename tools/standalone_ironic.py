#!/usr/bin/env python3
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

"""Run a throwaway standalone Ironic for development and functional tests.

One all-in-one ``ironic`` process (API and conductor, no RPC bus, SQLite),
everything it writes kept under one work directory::

    standalone_ironic.py start  --workdir DIR [--port 6385] [--keystone]
    standalone_ironic.py status --workdir DIR
    standalone_ironic.py stop   --workdir DIR [--purge]

Without ``--keystone`` Ironic takes requests unauthenticated (noauth). With
it, a real Keystone (files in DIR/keystone) runs beside it, Ironic
validates tokens with it, and the cloud is password-auth.

Clients then use ``OS_CLIENT_CONFIG_FILE=DIR/clouds.yaml`` and
``OS_CLOUD=tenks-standalone``. The code is the package tenks.standalone
(run with a Python that has Tenks installed); import that, not this.
"""

import sys

from tenks.standalone import cli

if __name__ == '__main__':
    sys.exit(cli.main())
