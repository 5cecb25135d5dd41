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

"""Running commands on a hypervisor.

Commands are argument lists, never shell strings. Every command is counted
so that benchmarks can report how much host work a change cost.
"""

import logging
import os
import shlex
import subprocess

from tenks import exception

LOG = logging.getLogger(__name__)


class LocalHost:
    """The machine Tenks runs on."""

    name = 'localhost'

    def __init__(self):
        self.commands = 0

    def run(self, argv, input=None, check=True, env=None):
        """Run argv; return its stdout, raising HostError on failure."""
        self.commands += 1
        LOG.debug('%s: %s', self.name, shlex.join(argv))
        full_env = dict(os.environ, **env) if env else None
        try:
            result = subprocess.run(argv, input=input, capture_output=True,
                                    text=True, env=full_env)
        except FileNotFoundError:
            raise exception.HostError(host=self.name, command=argv[0],
                                      code=127, stderr='command not found')
        if check and result.returncode:
            raise exception.HostError(
                host=self.name, command=shlex.join(argv),
                code=result.returncode,
                stderr=result.stderr.strip() or result.stdout.strip())
        return result.stdout

    def succeeds(self, argv):
        """Whether argv exits 0; for probes whose failure is an answer."""
        self.commands += 1
        LOG.debug('%s: %s', self.name, shlex.join(argv))
        return subprocess.run(argv, capture_output=True).returncode == 0
