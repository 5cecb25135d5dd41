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

"""`tenks verify --deploy`: can Ironic really deploy these nodes?

Ironic's whole lifecycle on each chosen node, the nodes at once, each step
a check: inspect (when the node has an in-band inspect interface), clean
(automated cleaning on provide), deploy (the image given, its checksum
checked by Ironic and the agent), boot-from-disk (the node's console, if
Tenks logs it, shows what the image prints once booted from the disk the
agent wrote) and undeploy (cleaning back to available). A step that fails
ends its node's run: the later ones are reported as not run. Each
passed step's detail names the provision states seen and its seconds.
"""

import dataclasses
import time
import typing

from tenks import checks
from tenks import exception
from tenks import waits

STEPS = ('inspect', 'clean', 'deploy', 'boot-from-disk', 'undeploy')
POLL_INTERVAL = 3
LOCKED_TIMEOUT = 60
# Interfaces that inspect without booting the node (or not at all).
NOT_IN_BAND = ('no-inspect', 'fake')
FAILED_STATES = ('inspect failed', 'clean failed', 'deploy failed',
                 'error')


@dataclasses.dataclass(frozen=True)
class Image:
    """A whole-disk image to deploy and what proves a node booted it."""
    url: str
    # Its hex digest (md5, sha256, sha512), or the URL of a checksum file.
    checksum: str
    # Text the node's console shows once booted from it; None: no check.
    marker: typing.Optional[str] = None


@dataclasses.dataclass
class Target:
    """One node to run through: its state record and how to see it."""
    node: object            # tenks.records node (name, outcome.ironic_uuid)
    console: typing.Optional[typing.Callable[[], str]] = None
    # Why there is no console to read, when console is None.
    no_console: str = "the node's console is not logged"


def instance_info(image):
    return {'image_source': image.url, 'image_checksum': image.checksum}


def run(baremetal, target, image, timeout):
    """[Result] of each step for target; baremetal: openstacksdk's proxy."""
    runner = _Runner(baremetal, target, image, timeout)
    results, failed = [], None
    for step in STEPS:
        if failed:
            results.append(checks.skipped(target.node, step,
                                          'not run: %s failed' % failed))
            continue
        try:
            results.append(getattr(runner, step.replace('-', '_'))())
        except exception.TenksError as err:
            results.append(checks.failed(target.node, step, str(err)))
        # openstacksdk's own (a refused transition, Ironic unreachable):
        # its first line says what.
        except Exception as err:
            results.append(checks.failed(target.node, step, '%s: %s' % (
                type(err).__name__, (str(err).splitlines() or [''])[0])))
        if not results[-1].ok:
            failed = step
    return results


class _Runner:

    def __init__(self, baremetal, target, image, timeout):
        self.baremetal = baremetal
        self.target = target
        self.node = target.node
        self.uuid = target.node.outcome.ironic_uuid
        self.image = image
        self.timeout = timeout
        self.console_offset = 0

    def _show(self, deadline=None):
        """The node; a read that fails is tried again until deadline.

        The all-in-one Ironic under load drops a connection now and then;
        a GET is safe to repeat, and one failed read must not fail a step
        that takes minutes.
        """
        if deadline is None:
            return self.baremetal.get_node(self.uuid)
        return waits.retried_for(
            lambda: self.baremetal.get_node(self.uuid),
            lambda err: True, deadline - time.monotonic(), POLL_INTERVAL)

    def _act(self, verb, wanted):
        """Ask Ironic for verb; (states seen, seconds) once it is wanted."""
        started = time.monotonic()
        self._ask(verb)
        seen = []

        def settled():
            shown = self._show(started + self.timeout)
            state = shown.provision_state
            if not seen or seen[-1] != state:
                seen.append(state)
            if state == wanted and not shown.target_provision_state:
                return True
            if state in FAILED_STATES:
                raise exception.ProvisionFailed(
                    state=state, error=shown.last_error or 'no error '
                    'recorded')
            return False

        # The step's time runs from the request, as its figure does.
        left = self.timeout - (time.monotonic() - started)
        if not waits.until(settled, left, POLL_INTERVAL):
            raise exception.ProvisionTimedOut(
                state=seen[-1], timeout=self.timeout, verb=verb)
        return seen, round(time.monotonic() - started)

    def _ask(self, verb):
        """Ask, again while the node is locked (Ironic answers 409)."""
        # A power sync or a heartbeat holds the node for moments.
        return waits.retried_for(
            lambda: self.baremetal.set_node_provision_state(self.uuid, verb),
            lambda err: getattr(err, 'status_code', None) == 409,
            LOCKED_TIMEOUT, POLL_INTERVAL)

    def _passed(self, step, seen, seconds, what=''):
        return checks.passed(self.node, step, '%s%s in %d s' % (
            what, ' -> '.join(seen), seconds))

    def inspect(self):
        shown = self._show()
        if shown.inspect_interface in NOT_IN_BAND:
            return checks.skipped(self.node, 'inspect', 'inspect interface '
                                  '%s boots no agent' %
                                  shown.inspect_interface)
        if shown.provision_state in ('enroll', 'available'):
            self._act('manage', 'manageable')
        seen, seconds = self._act('inspect', 'manageable')
        return self._passed('inspect', seen, seconds)

    def clean(self):
        if self._show().provision_state != 'manageable':
            self._act('manage', 'manageable')
        seen, seconds = self._act('provide', 'available')
        if 'cleaning' not in seen and 'clean wait' not in seen:
            return checks.skipped(self.node, 'clean', 'Ironic did not clean '
                                  'on provide (automated cleaning is off)')
        return self._passed('clean', seen, seconds)

    def deploy(self):
        shown = self._show()
        wanted = dict(shown.instance_info or {}, **instance_info(self.image))
        self.baremetal.update_node(self.uuid, instance_info=wanted)
        if self.target.console:
            self.console_offset = len(self.target.console())
        seen, seconds = self._act('active', 'active')
        return self._passed('deploy', seen, seconds,
                            '%s written; ' % self.image.url)

    def boot_from_disk(self):
        if not self.image.marker:
            return checks.skipped(self.node, 'boot-from-disk', 'no disk '
                                  'marker given: nothing to look for')
        if not self.target.console:
            return checks.skipped(self.node, 'boot-from-disk',
                                  self.target.no_console)
        started = time.monotonic()
        if not waits.until(lambda: self.image.marker in self.target.console()[
                self.console_offset:], self.timeout, POLL_INTERVAL):
            raise exception.DiskBootNotSeen(marker=self.image.marker,
                                            timeout=self.timeout)
        return checks.passed(self.node, 'boot-from-disk', 'console shows '
                             '%r after %d s' % (self.image.marker, round(
                                 time.monotonic() - started)))

    def undeploy(self):
        seen, seconds = self._act('deleted', 'available')
        return self._passed('undeploy', seen, seconds)
