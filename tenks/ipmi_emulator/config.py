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

"""The configuration of the tenks-ipmi emulator, and changes to it.

Pure: Tenks renders the file, the emulator parses it and works out which
BMCs a reload must stop and start. Both sides name a configuration by the
digest of its text, so Tenks can tell when the emulator has loaded what
Tenks wrote.
"""

import hashlib
import json

# What one BMC is made of; every key is required.
FIELDS = {'address': str, 'port': int, 'username': str, 'password': str,
          'libvirt_uri': str}


class Invalid(ValueError):
    """The configuration file is not one the emulator can serve."""


def render(bmcs):
    """The file's text for {domain name: settings}; stable for one input."""
    return json.dumps({'bmcs': {name: {key: settings[key] for key in FIELDS}
                                for name, settings in bmcs.items()}},
                      indent=1, sort_keys=True) + '\n'


def parse(text):
    """{domain name: settings} of the file's text, or raise Invalid."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise Invalid('not JSON: %s' % err)
    bmcs = data.get('bmcs') if isinstance(data, dict) else None
    if not isinstance(bmcs, dict):
        raise Invalid('no "bmcs" mapping')
    for name, settings in bmcs.items():
        if not isinstance(settings, dict):
            raise Invalid('BMC %s: not a mapping' % name)
        for key, kind in FIELDS.items():
            value = settings.get(key)
            # bool is an int to Python, never a port.
            if not isinstance(value, kind) or isinstance(value, bool):
                raise Invalid('BMC %s: %s must be a %s, not %r' % (
                    name, key, kind.__name__, value))
    _check_endpoints(bmcs)
    return bmcs


def _check_endpoints(bmcs):
    seen = {}
    for name in sorted(bmcs):
        # The IPMI sessions of one process are told apart by port alone.
        port = bmcs[name]['port']
        if port in seen:
            raise Invalid('BMCs %s and %s both use port %d' % (
                seen[port], name, port))
        seen[port] = name


def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def changes(running, wanted):
    """What a reload does: (names to stop, names to start).

    A BMC whose settings are unchanged keeps running, so its clients see
    no gap; a changed one is stopped and started afresh.
    """
    stop = sorted(name for name in running
                  if wanted.get(name) != running[name])
    start = sorted(name for name in wanted
                   if running.get(name) != wanted[name])
    return stop, start


def apply_actions(bmcs, removed, added):
    """bmcs without the removed names, with the added {name: settings}."""
    result = {name: settings for name, settings in bmcs.items()
              if name not in removed}
    result.update(added)
    return result
