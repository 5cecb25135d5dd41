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

import contextlib
import logging
import os
import shlex
import subprocess
import tempfile

from tenks import exception

LOG = logging.getLogger(__name__)


@contextlib.contextmanager
def _stdin(text):
    """text as a file the command reads, or no stdin at all.

    A file rather than a pipe: the command gets all of its input even if
    Tenks is killed while it runs, so an `ip -batch` never stops half way
    through a link's creation and marking.
    """
    if text is None:
        yield subprocess.DEVNULL
        return
    with tempfile.TemporaryFile('w+') as stream:
        stream.write(text)
        stream.seek(0)
        yield stream


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
            with _stdin(input) as stdin:
                result = subprocess.run(argv, stdin=stdin,
                                        capture_output=True, text=True,
                                        env=full_env)
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
