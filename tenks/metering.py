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

"""What a run cost: libvirt calls counted, for the benchmark.

A run's cost should follow the change, not the size of the cluster; the
benchmark reads these counts from the run's debug log.
"""

import threading

import libvirt

_LIBVIRT_OBJECTS = (libvirt.virDomain, libvirt.virStoragePool,
                    libvirt.virStorageVol)


class Counter:

    def __init__(self):
        self.value = 0
        self._lock = threading.Lock()

    def add(self):
        with self._lock:
            self.value += 1


class Counted:
    """A libvirt object whose calls, and those of what they return, count."""

    def __init__(self, target, counter):
        self._target = target
        self._counter = counter

    def __getattr__(self, name):
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            self._counter.add()
            return _counted(value(*args, **kwargs), self._counter)
        return call


def _counted(result, counter):
    if isinstance(result, list):
        return [_counted(item, counter) for item in result]
    if isinstance(result, _LIBVIRT_OBJECTS):
        return Counted(result, counter)
    return result
