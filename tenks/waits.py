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

"""The one way Tenks waits for something to become true.

Every wait in Tenks polls: a daemon starting, a domain changing power, an
Ironic node settling, Placement learning of a node. They differ only in
what they ask, how often, for how long, and when waiting more is
pointless (the daemon died); tenacity does the looping.
"""

import tenacity


def until(probe, timeout, interval, give_up=None):
    """probe()'s first truthy answer within timeout seconds, else None.

    give_up(), when given, is asked after each unsuccessful probe: once it
    is true, waiting longer cannot help and None comes back at once.
    """
    stop = tenacity.stop_after_delay(timeout)
    if give_up is not None:
        stop = stop | (lambda retry_state: give_up())
    retrying = tenacity.Retrying(
        stop=stop, wait=tenacity.wait_fixed(interval),
        retry=tenacity.retry_if_result(lambda answer: not answer),
        retry_error_callback=lambda retry_state: None)
    return retrying(probe)
