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

"""A throwaway standalone Ironic, and a Keystone for it, on loopback.

For development and the functional tests, never for production: one
all-in-one ``ironic`` process (API and conductor, no RPC bus, SQLite),
optionally behind a Keystone of its own, every file it writes under one
work directory. tools/standalone_ironic.py is its command (cli).

Modules: ironic (the Ironic process: start, find, stop, status), keystone
(the Keystone beside it), config (ironic.conf and keystone.conf),
clouds (the clouds.yaml clients use), process (daemons by PID file),
loopback (addresses, free ports, health checks), serve_keystone (the
Keystone server process), provisioning (the network Ironic boots nodes on:
namespace, veth, dnsmasq, HTTP), forward (Ironic's API into that network),
cli (start/status/stop), exception.
"""
