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

"""YAML of a cluster file: safe, and refusing a key given twice."""

import yaml

from tenks import exception


class _Loader(yaml.SafeLoader):
    """Safe YAML that rejects a key given twice in one mapping.

    Plain YAML keeps the last value silently, so a second ``specs:`` would
    quietly replace the first.
    """

    def construct_mapping(self, node, deep=False):
        keys = set()
        for key_node, _ in (node.value if isinstance(node, yaml.MappingNode)
                            else ()):
            if key_node.tag == 'tag:yaml.org,2002:merge':
                continue    # keys merged in (<<) may be overridden
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in keys
                keys.add(key)
            except TypeError:
                continue    # the base class reports an unhashable key
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, 'found duplicate key %r' % (key,),
                    key_node.start_mark)
        return super().construct_mapping(node, deep)


def load_file(path):
    """Return the parsed YAML mapping in path, or raise ConfigError."""
    try:
        with open(path) as stream:
            data = yaml.load(stream, Loader=_Loader)
    except OSError as err:
        raise exception.ConfigError(source=path, path='(file)',
                                    problem=err.strerror)
    except UnicodeDecodeError:
        raise exception.ConfigError(source=path, path='(file)',
                                    problem='not UTF-8 text')
    except yaml.YAMLError as err:
        mark = getattr(err, 'problem_mark', None)
        where = 'line %d' % (mark.line + 1) if mark else '(file)'
        raise exception.ConfigError(source=path, path=where,
                                    problem='not valid YAML: %s' % (
                                        getattr(err, 'problem', err)))
    return {} if data is None else data
