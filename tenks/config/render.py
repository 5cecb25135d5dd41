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

"""Jinja in a cluster file's values, rendered as Ansible would render it.

Ansible renders every value holding ``{{`` or ``{%`` when it is used,
with the variables of the play: the file's other variables, the facts of
the host concerned (``ansible_facts.os_family``, and ``ansible_os_family``
beside it), and magic variables such as ``playbook_dir``. This does the
same in a sandbox, with Ansible's common filters (tenks.config.filters),
and keeps Ansible's result types (``"{{ 6230 }}"`` is a number). A name
nothing defines is an error naming the key and the name.
"""

import os

import jinja2
from jinja2 import meta
from jinja2 import nativetypes
from jinja2 import sandbox

from tenks.config import filters
from tenks import exception

MARKS = ('{{', '{%')
FACTS = 'ansible_facts'
_MISSING = object()


class _Environment(sandbox.ImmutableSandboxedEnvironment):
    """A sandbox keeping native types, as Ansible's templating does."""

    code_generator_class = nativetypes.NativeCodeGenerator
    concat = staticmethod(nativetypes.native_concat)


def _environment():
    env = _Environment(undefined=jinja2.StrictUndefined)
    env.template_class = nativetypes.NativeTemplate
    env.filters.update(filters.FILTERS)
    env.tests.update(filters.TESTS)
    env.globals['lookup'] = _lookup
    return env


def _lookup(name, *terms, **kwargs):
    """Ansible's lookup(), for the one plugin such files use: env."""
    if name != 'env':
        raise jinja2.TemplateError(
            'lookup(%r) is not supported; only lookup(\'env\', ...)' % name)
    values = [os.environ.get(term, kwargs.get('default', ''))
              for term in terms]
    return values[0] if len(values) == 1 else ','.join(values)


def has_templates(value):
    """Whether value, or anything in it, is a string Jinja would render."""
    if isinstance(value, str):
        return any(mark in value for mark in MARKS)
    if isinstance(value, dict):
        return any(has_templates(each) for each in value.values())
    if isinstance(value, list):
        return any(has_templates(each) for each in value)
    return False


class Renderer:
    """The file's variables, each rendered once, on one host's facts.

    facts is a callable returning the host's facts, called only if a value
    uses them; None when no host is concerned (then using them is an
    error). magic holds the magic variables (playbook_dir...).
    """

    def __init__(self, source, data, facts=None, magic=None):
        self.source = source
        self.data = data
        self._facts = facts
        self._facts_value = None
        self.magic = dict(magic or {})
        self.referenced = set()
        self._done = {}
        self._busy = []
        self._env = _environment()

    def value(self, key):
        """The rendered value of the file's top-level variable key."""
        if key not in self._done:
            if key in self._busy:
                loop = self._busy[self._busy.index(key) + 1:] + [key]
                self.fail(str(key), 'refers to itself through %s'
                          % ' -> '.join(str(each) for each in loop))
            self._busy.append(key)
            try:
                self._done[key] = self.render(str(key), self.data[key])
            finally:
                self._busy.pop()
        return self._done[key]

    def render(self, path, value):
        if isinstance(value, dict):
            return {k: self.render('%s.%s' % (path, k), v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.render('%s[%d]' % (path, i), v)
                    for i, v in enumerate(value)]
        if not has_templates(value):
            return value
        return self._template(path, value)

    def _template(self, path, text):
        try:
            names = meta.find_undeclared_variables(self._env.parse(text))
            template = self._env.from_string(text)
        except jinja2.TemplateSyntaxError as err:
            self.fail(path, 'not valid Jinja: %s' % err.message)
        context = {}
        for name in sorted(names - set(self._env.globals)):
            value = self._variable(path, name)
            if value is not _MISSING:
                context[name] = value
        try:
            result = template.render(context)
            if isinstance(result, jinja2.Undefined):
                # A lone {{ name }} comes back unrendered as native.
                result._fail_with_undefined_error()
            return result
        except jinja2.UndefinedError as err:
            self.fail(path, '%s, in %r' % (err.message, text))
        except (jinja2.TemplateError, ArithmeticError, TypeError,
                ValueError, LookupError) as err:
            self.fail(path, 'cannot be rendered: %s, in %r' % (err, text))

    def _variable(self, path, name):
        if name in self.data:
            self.referenced.add(name)
            return self.value(name)
        if name in self.magic:
            return self.magic[name]
        if name == FACTS:
            return self.facts(path)
        if name.startswith('ansible_') and self._facts is not None:
            # Ansible puts each fact beside ansible_facts, so prefixed.
            return self.facts(path).get(name[len('ansible_'):], _MISSING)
        # Left undefined: "is defined" and default() may handle it, and
        # anything else fails naming it.
        return _MISSING

    def facts(self, path):
        if self._facts is None:
            self.fail(path, 'uses %s, but says how Tenks reaches a '
                      'hypervisor, which comes before its facts' % FACTS)
        if self._facts_value is None:
            self._facts_value = self._facts()
        return self._facts_value

    def fail(self, path, problem):
        raise exception.ConfigError(source=self.source, path=path,
                                    problem=problem)


def render_cluster(source, data, facts_for, playbook_dir, wanted):
    """The file's data, its values Tenks reads rendered; names they use.

    Values of keys wanted(key) are rendered (others, such as those only
    Ansible used, stay as written), on each hypervisor's facts
    (facts_for(name)); a hypervisor's own entry on its own. A
    cluster-wide value must come out the same on every hypervisor.
    Returns (data, variables that values refer to).
    """
    if not isinstance(data, dict) or not has_templates(data):
        return data, frozenset()
    entries = data.get('hypervisors')
    entries = entries if isinstance(entries, dict) and entries else {}
    names = [str(name) for name in entries] or ['localhost']
    groups = {'all': names, 'hypervisors': names, 'libvirt': names}
    rendered, referenced, seen = {}, set(), {}
    for name in names:
        renderer = Renderer(
            source, data, lambda name=name: facts_for(name),
            {'playbook_dir': playbook_dir, 'inventory_hostname': name,
             'inventory_hostname_short': name.split('.')[0],
             'groups': groups})
        for key in data:
            if key != 'hypervisors' and wanted(key):
                _agree(renderer, key, name, rendered, seen)
        for key, entry in entries.items():
            if str(key) == name:
                rendered.setdefault('hypervisors', {})[key] = \
                    renderer.render('hypervisors.%s' % name, entry)
        referenced |= renderer.referenced
    return ({key: rendered.get(key, data[key]) for key in data},
            frozenset(referenced))


def _agree(renderer, key, name, rendered, seen):
    """Render key on hypervisor name; as it came out on the others."""
    value = renderer.value(key)
    if key in seen and value != rendered[key]:
        renderer.fail(str(key), (
            'comes out as %r on hypervisor %s but %r on %s: Tenks applies '
            'one value to the whole cluster' % (rendered[key], seen[key],
                                                value, name)))
    rendered.setdefault(key, value)
    seen.setdefault(key, name)


def without_facts(source, data, path, value):
    """value rendered with the file's variables, where facts cannot be."""
    return Renderer(source, data).render(path, value)
