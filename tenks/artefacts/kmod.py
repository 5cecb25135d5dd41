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


"""Kernel modules an initramfs must carry, resolved from modules.dep.

Pure: modules.dep text in, the files to load (dependencies first) out.
"""

import os

from tenks import exception


def parse_modules_dep(text):
    """{module path: [paths it depends on]} from modules.dep text."""
    deps = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        path, sep, rest = line.partition(':')
        if not sep:
            raise exception.ModulesDepLine(line=line)
        deps[path.strip()] = rest.split()
    return deps


def module_name(path):
    """The name modprobe knows a module file by (a-b.ko.xz is a_b)."""
    base = os.path.basename(path)
    return base.split('.ko', 1)[0].replace('-', '_')


def load_order(deps, names):
    """Paths of names and everything they need, each after its needs."""
    by_name = {module_name(path): path for path in deps}
    order = []
    for name in names:
        path = by_name.get(name.replace('-', '_'))
        if path is None:
            raise exception.ModuleUnknown(module=name)
        _visit(deps, path, order, ())
    return order


def _visit(deps, path, order, stack):
    if path in order:
        return
    if path in stack:
        raise exception.ModulesDepLoop(module=module_name(path))
    for needed in deps.get(path, ()):
        if needed not in deps:
            raise exception.ModulesDepUnlisted(module=module_name(path),
                                               needed=needed)
        _visit(deps, needed, order, stack + (path,))
    order.append(path)
