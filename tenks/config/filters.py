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

"""Ansible's common Jinja filters and tests, for values of a cluster file.

A file written for the Ansible Tenks uses the filters Ansible adds to
Jinja; these are the ones such files use, written here because importing
Ansible would make it a dependency of Tenks' core.
"""

import base64
import json
import os
import re
import shlex

import yaml


def to_bool(value):
    """Ansible's ``bool``: yes/on/1/true (any case) are True."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('yes', 'on', '1', 'true', 'y')


def ternary(value, true_value, false_value, none_value=None):
    if value is None and none_value is not None:
        return none_value
    return true_value if value else false_value


def regex_replace(value, pattern, replacement='', ignorecase=False,
                  multiline=False):
    flags = (re.I if ignorecase else 0) | (re.M if multiline else 0)
    return re.sub(pattern, replacement, str(value), flags=flags)


def regex_search(value, pattern, ignorecase=False, multiline=False):
    flags = (re.I if ignorecase else 0) | (re.M if multiline else 0)
    match = re.search(pattern, str(value), flags=flags)
    return match.group(0) if match else None


def combine(*dicts, recursive=False):
    result = {}
    for each in dicts:
        for key, value in each.items():
            if (recursive and isinstance(value, dict)
                    and isinstance(result.get(key), dict)):
                value = combine(result[key], value, recursive=True)
            result[key] = value
    return result


def dict2items(mapping, key_name='key', value_name='value'):
    return [{key_name: key, value_name: value}
            for key, value in mapping.items()]


def items2dict(items, key_name='key', value_name='value'):
    return {item[key_name]: item[value_name] for item in items}


def flatten(items, levels=None):
    result = []
    for item in items:
        if isinstance(item, (list, tuple)) and levels != 0:
            result.extend(flatten(item, None if levels is None
                                  else levels - 1))
        elif item is not None:
            result.append(item)
    return result


def to_yaml(value, **kwargs):
    return yaml.safe_dump(value, default_flow_style=None, **kwargs)


def to_nice_yaml(value, indent=4, **kwargs):
    return yaml.safe_dump(value, indent=indent, default_flow_style=False,
                          **kwargs)


def to_nice_json(value, indent=4, **kwargs):
    return json.dumps(value, indent=indent, sort_keys=True, **kwargs)


def b64encode(value):
    return base64.b64encode(str(value).encode()).decode()


def b64decode(value):
    return base64.b64decode(str(value)).decode()


FILTERS = {
    'b64decode': b64decode,
    'b64encode': b64encode,
    'basename': os.path.basename,
    'bool': to_bool,
    'combine': combine,
    'dict2items': dict2items,
    'dirname': os.path.dirname,
    'expanduser': os.path.expanduser,
    'flatten': flatten,
    'from_json': json.loads,
    'from_yaml': yaml.safe_load,
    'items2dict': items2dict,
    'quote': lambda value: shlex.quote(str(value)),
    'realpath': os.path.realpath,
    'regex_replace': regex_replace,
    'regex_search': regex_search,
    'splitext': lambda value: list(os.path.splitext(value)),
    'ternary': ternary,
    'to_json': json.dumps,
    'to_nice_json': to_nice_json,
    'to_nice_yaml': to_nice_yaml,
    'to_yaml': to_yaml,
}

TESTS = {
    'match': lambda value, pattern: re.match(pattern, str(value))
    is not None,
    'search': lambda value, pattern: re.search(pattern, str(value))
    is not None,
    'regex': lambda value, pattern: re.search(pattern, str(value))
    is not None,
    'truthy': lambda value: to_bool(value) if isinstance(value, str)
    else bool(value),
    'falsy': lambda value: not (to_bool(value) if isinstance(value, str)
                                else bool(value)),
    'success': lambda value: not value.get('failed', False),
    'succeeded': lambda value: not value.get('failed', False),
}
