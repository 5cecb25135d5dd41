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

"""Diffing what should exist against what does, into ordered actions.

Pure: facts come in, actions come out. Each resource kind states what it
wants and what it observed; an empty plan means the world already matches.
"""

import dataclasses
import typing

from tenks import exception

CREATE = 'create'
UPDATE = 'update'
DELETE = 'delete'


@dataclasses.dataclass(frozen=True)
class Observed:
    """A resource found on a host; owned if it carries this cluster's mark."""
    owned: bool
    facts: typing.Any = None


@dataclasses.dataclass(frozen=True)
class Action:
    kind: str
    verb: str
    name: str
    hypervisor: str
    reason: str = ''
    want: typing.Any = dataclasses.field(default=None, compare=False)
    have: typing.Any = dataclasses.field(default=None, compare=False)

    def describe(self):
        return '%s %s %s on %s%s' % (self.verb, self.kind, self.name,
                                     self.hypervisor,
                                     ' (%s)' % self.reason if self.reason
                                     else '')


def diff(kind, hypervisor, want, have, compare=None, shareable=False):
    """Actions turning the observed resources into the wanted ones.

    A resource that exists without this cluster's mark is never changed:
    it is an error, unless the kind is shareable (then it serves as is).
    """
    actions = []
    for name in sorted(want):
        seen = have.get(name)
        if seen is None:
            actions.append(Action(kind, CREATE, name, hypervisor,
                                  want=want[name]))
        elif not seen.owned:
            if not shareable:
                raise exception.OwnershipError(kind=kind, name=name,
                                               host=hypervisor)
        else:
            reason = compare(want[name], seen.facts) if compare else None
            if reason:
                actions.append(Action(kind, UPDATE, name, hypervisor, reason,
                                      want=want[name], have=seen.facts))
    for name in sorted(set(have) - set(want)):
        if have[name].owned:
            actions.append(Action(kind, DELETE, name, hypervisor,
                                  have=have[name].facts))
    return actions


def order(actions, kinds):
    """Deletions last-kind-first, then creations and updates in kind order."""
    rank = {kind: index for index, kind in enumerate(kinds)}
    deletes = [a for a in actions if a.verb == DELETE]
    others = [a for a in actions if a.verb != DELETE]
    deletes.sort(key=lambda a: -rank[a.kind])
    others.sort(key=lambda a: rank[a.kind])
    return deletes + others
