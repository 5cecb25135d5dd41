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

"""Forgetting idle IPMI sessions of the tenks-ipmi emulator.

pyghmi's BMC server keeps every session it ever opened (a few KB each),
even once the client closed it. Ironic opens one per ipmitool call, so an
emulator serving many nodes for days would grow without end. A session
idle for longer than IPMI's usual inactivity timeout is dropped.
"""

# Seconds without a request after which a session is dropped.
IDLE = 60


class Sessions:
    """The last activity of each session, by session object."""

    def __init__(self, idle=IDLE):
        self.idle = idle
        self.seen = {}

    def touch(self, session, now):
        self.seen[session] = now

    def sweep(self, handlers, now):
        """Drop idle sessions from pyghmi's {client: {port: session}}.

        A session first met here counts as active now; entries of the
        BMCs' own sockets (servers, not sessions) are left alone.
        """
        dropped = 0
        live = {}
        for client, entry in list(handlers.items()):
            for port, session in list(entry.items()):
                if getattr(session, 'bmc', None) is None:
                    continue
                last = self.seen.get(session, now)
                if now - last > self.idle:
                    del entry[port]
                    dropped += 1
                else:
                    live[session] = last
            if not entry:
                del handlers[client]
        # Sessions gone with their BMC are forgotten here too.
        self.seen = live
        return dropped
