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

"""Typed reading of one mapping of a file, naming where an error is."""

import difflib

from tenks import exception


class Reader:
    """Typed access to one mapping of the file, naming where errors are."""

    def __init__(self, source, path, data):
        self.source, self.path = source, path
        if not isinstance(data, dict):
            self.fail('must be a mapping, not %s' % _kind(data))
        self.data = data

    def fail(self, problem, key=None):
        path = self.path if key is None else _join(self.path, key)
        raise exception.ConfigError(source=self.source, path=path or '(top)',
                                    problem=problem)

    def check_keys(self, allowed, ignored=frozenset()):
        for key in self.data:
            if key in allowed or key in ignored:
                continue
            # An ignored key is still what a misspelt one may have meant.
            hint = difflib.get_close_matches(
                str(key), sorted(set(allowed) | set(ignored)), n=1)
            self.fail('unknown key%s' % (
                '; did you mean %r?' % hint[0] if hint else ''),
                'null' if key is None else key)

    def child(self, key, default=None):
        value = self.data.get(key)
        return Reader(self.source, _join(self.path, key),
                      default if value is None else value)

    def get(self, key, kind, default=None, required=False):
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail('is required', key)
            return default
        if not _is(value, kind):
            self.fail('%r is not %s' % (value, _KIND_NAMES.get(kind, 'valid')),
                      key)
        return value

    def integer(self, key, default=None, minimum=0, required=False,
                maximum=None):
        value = self.get(key, int, default, required)
        if value is not None and value < minimum:
            self.fail('%r must be at least %d' % (value, minimum), key)
        if value is not None and maximum is not None and value > maximum:
            self.fail('%r must be at most %d' % (value, maximum), key)
        return value

    def choice(self, key, choices, default):
        value = self.get(key, str, default)
        if value not in choices:
            self.fail('%r is not one of %s' % (value, ', '.join(choices)),
                      key)
        return value

    def string_list(self, key):
        values = self.get(key, list, [])
        for index, value in enumerate(values):
            if not isinstance(value, str):
                self.fail('%r is not a string' % (value,),
                          '%s[%d]' % (key, index))
        return tuple(values)

    def string_map(self, key):
        mapping = self.get(key, dict, {})
        for name, value in mapping.items():
            if not isinstance(value, str) or not value:
                self.fail('%r is not a device name' % (value,),
                          _join(key, name))
        return dict(mapping)


_KIND_NAMES = {int: 'an integer', str: 'a string', bool: 'true or false',
               list: 'a list', dict: 'a mapping'}


def _is(value, kind):
    if isinstance(kind, tuple):
        return any(_is(value, each) for each in kind)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _kind(value):
    names = {list: 'a list', str: 'a string', int: 'an integer',
             float: 'a number', bool: 'a boolean', type(None): 'empty'}
    return names.get(type(value), type(value).__name__)


def _join(path, key):
    if isinstance(key, str) and key.startswith('['):
        return path + key
    return '%s.%s' % (path, key) if path else str(key)
