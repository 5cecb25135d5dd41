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
pointless (the daemon died); tenacity does the looping. A call that
failed on something transient (a dropped SSH connection) is tried again
the same way, a bounded number of times.
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


def retried(call, transient, attempts, first_wait, on_retry=None):
    """call()'s result, calling again while it raises a transient error.

    transient(error) says which errors are worth another call; at most
    attempts calls are made, the waits between them doubling from
    first_wait seconds. The last error is raised as it came.
    on_retry(error, attempt, wait), when given, is told of each retry.
    """
    def before_sleep(retry_state):
        if on_retry is not None:
            on_retry(retry_state.outcome.exception(),
                     retry_state.attempt_number,
                     retry_state.next_action.sleep)
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_exponential(multiplier=first_wait),
        retry=tenacity.retry_if_exception(transient),
        before_sleep=before_sleep, reraise=True)
    return retrying(call)


def retried_for(call, transient, timeout, interval):
    """call()'s result, calling again while it raises a transient error.

    As retried(), but for as long as timeout seconds, every interval
    seconds: for an error that lasts as long as something else holds
    on (a node locked by a power sync), however many calls that takes.
    """
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(timeout),
        wait=tenacity.wait_fixed(interval),
        retry=tenacity.retry_if_exception(transient), reraise=True)
    return retrying(call)
