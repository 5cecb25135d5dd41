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

"""What tools/benchmark.py and tools/soak.py share.

The tenks.conf both run Tenks with, and what they read of this host's
processes from /proc.
"""

import os
import re

from tenks.standalone import loopback

# What the command line of each BMC emulator's process holds.
BMC_MARKERS = (b'vbmcd', b'sushy-emulator', b'tenks.bmc.sushy_media',
               b'tenks.ipmi_emulator', b'tenks.bmc.ipmi_emulator')


def write_tenks_conf(workdir, target_state):
    """WORKDIR/tenks.conf, its state under WORKDIR/state; its path."""
    path = os.path.join(workdir, 'tenks.conf')
    with open(path, 'w') as stream:
        # The nodes are never booted: memory may be promised freely.
        # vbmcd's control port is picked here, free on loopback, rather
        # than left to Tenks: the figures stay comparable with runs from
        # before each cluster got a port of its own.
        stream.write('[DEFAULT]\nstate_dir = %s\n'
                     'memory_overcommit_ratio = 10\n[ironic]\n'
                     'target_state = %s\n[ipmi]\n'
                     'vbmcd_control_port = %d\n' % (
                         os.path.join(workdir, 'state'), target_state,
                         loopback.find_free_port()))
    return path


def processes():
    """(pid, cmdline, environ) of every process that can be read."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as stream:
                cmdline = stream.read()
            with open('/proc/%s/environ' % entry, 'rb') as stream:
                environ = stream.read()
        except OSError:
            continue
        yield int(entry), cmdline, environ


def bmc_processes(marker):
    """{pid: (RSS KiB, open fds)} of the BMC emulators marker names.

    marker: bytes in a BMC emulator's command line or environment, as a
    run's work directory.
    """
    return {pid: (rss(pid), fds(pid))
            for pid, cmdline, environ in processes()
            if any(m in cmdline for m in BMC_MARKERS)
            and marker in cmdline + environ}


def rss(pid):
    """The resident memory of pid in KiB, 0 if it is gone."""
    try:
        with open('/proc/%d/status' % pid) as stream:
            found = re.search(r'VmRSS:\s+(\d+) kB', stream.read())
    except OSError:
        return 0
    return int(found.group(1)) if found else 0


def fds(pid):
    """How many file descriptors pid holds open, 0 if it is gone."""
    try:
        return len(os.listdir('/proc/%d/fd' % pid))
    except OSError:
        return 0
