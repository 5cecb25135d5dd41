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

"""The tenks-ipmi emulator: the program Tenks runs on each hypervisor.

    python3 -m tenks.ipmi_emulator --config FILE --status FILE

One process serves every BMC listed in the configuration (see config),
each on its own address and port, through one libvirt connection. SIGHUP
rereads the configuration: BMCs whose settings did not change keep their
sockets and sessions. SIGTERM stops it; SIGUSR1 logs every thread's
stack. After every (re)load it writes a status file: its PID, its count
of loads, the digest of the configuration it last read, the error that
kept it from loading that (it serves on as before), the BMCs serving and
those that failed to start, so whoever changed the configuration can tell
when, and how, it took effect. Logs go to stderr.

Its modules import nothing of Tenks outside this package, which the
hypervisor side of Tenks (tenks.bmc.ipmi_daemon) starts and configures:
main (the process), emulator (the BMCs of one configuration), bmc (one
BMC), domain (libvirt), sessions (idle IPMI sessions), config (the file,
shared with Tenks).
"""
