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

"""What `tenks verify -f json` says about a cluster, per kind of check.

Pure, and free of Tempest and Tenks imports, so that it is unit-tested
on its own: the plugin needs neither Tenks nor libvirt-python installed
where Tempest runs.
"""

import collections
import json
import shlex

# What tenks verify says of a check it could not run (a remote hypervisor,
# a node not enrolled).
SKIPPED = 'skipped'

Result = collections.namedtuple('Result', 'node check status ok detail')


def command(tenks_command, config_file=None, overrides=None,
            cluster_file=None, power=False, pxe=False):
    """The verify command line; overrides names an extra tenks.conf."""
    argv = shlex.split(tenks_command)
    for path in (config_file, overrides):
        if path:
            argv += ['--config-file', path]
    argv += ['verify', '-f', 'json']
    if power:
        argv.append('--power')
    if pxe:
        argv.append('--pxe')
    if cluster_file:
        argv.append(cluster_file)
    return argv


def overrides(state_file=None, cloud=None):
    """tenks.conf lines for [tenks] state_file and cloud, or None."""
    lines = []
    if state_file:
        lines += ['[DEFAULT]', 'state_file_path = %s' % state_file]
    if cloud:
        lines += ['[ironic]', 'cloud = %s' % cloud]
    return '\n'.join(lines) + '\n' if lines else None


def results(stdout):
    """The rows tenks verify printed, as Results."""
    return [Result(row['Node'], row['Check'], row['Status'], row['OK'],
                   row['Detail']) for row in json.loads(stdout)]


def failure(results, check):
    """A message naming every node that failed check, or None."""
    ran = [result for result in results if result.check == check]
    failed = [result for result in ran if not result.ok]
    if not failed:
        return None
    return '%s check failed on %d of %d node(s):\n%s' % (
        check, len(failed), len(ran), '\n'.join(
            '%s: %s' % (result.node, result.detail) for result in failed))


def skip_reason(results, check):
    """Why check says nothing about any node, or None when it does."""
    ran = [result for result in results if result.check == check]
    if not ran:
        return 'tenks verify ran no %s check' % check
    if all(result.status == SKIPPED for result in ran):
        return '; '.join('%s: %s' % (result.node, result.detail)
                         for result in ran)
    return None
