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

"""What one kind of `tenks verify` check says about a cluster.

Pure, and free of Tempest imports, so that it is unit-tested with the
rest of Tenks.
"""

from tenks import config as tenks_config
# What tenks.verify says of a check it could not run (a remote hypervisor,
# a node not enrolled).
SKIPPED = 'skipped'


def state_path(conf, state_file=None, cluster_file=None):
    """The state file named by [tenks], or None when it names none."""
    if state_file:
        return state_file
    if cluster_file:
        return tenks_config.load(cluster_file, conf).state_file_path
    return None


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
