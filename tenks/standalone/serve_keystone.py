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

"""Serve Keystone's WSGI application with cheroot until SIGTERM.

    python3 -m tenks.standalone.serve_keystone HOST PORT KEYSTONE_CONF

Started by tenks.standalone.keystone (standalone_ironic.py --keystone).
cheroot's own command cannot serve Keystone: Keystone reads the process's
arguments as its own options and rejects cheroot's.
"""

import os
import signal
import sys

from cheroot import wsgi


def main(argv):
    host, port, config_file = argv
    # Keystone parses sys.argv and finds its files through the environment.
    sys.argv = sys.argv[:1]
    os.environ['OS_KEYSTONE_CONFIG_FILES'] = config_file
    from keystone.server import wsgi as keystone_wsgi
    application = keystone_wsgi.initialize_public_application()
    server = wsgi.Server((host, int(port)), application, numthreads=4)

    def stop(signum, frame):
        server.stop()
    signal.signal(signal.SIGTERM, stop)
    server.safe_start()


if __name__ == '__main__':
    main(sys.argv[1:])
