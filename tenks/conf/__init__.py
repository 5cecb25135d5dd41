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

"""tenks.conf: site defaults, read through oslo.config."""

import difflib
import logging
import os

from oslo_config import cfg

from tenks.conf import opts
from tenks import exception

LOG = logging.getLogger(__name__)

DEFAULT_CONFIG_FILE = '/etc/tenks/tenks.conf'


def load(config_file=None):
    """Return a ConfigOpts with every Tenks option, read from config_file.

    Without config_file, /etc/tenks/tenks.conf is read when it exists, so a
    host without one works on defaults.
    """
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    files = []
    if config_file:
        files = [config_file]
    elif os.path.exists(DEFAULT_CONFIG_FILE):
        files = [DEFAULT_CONFIG_FILE]
    conf(args=[], project='tenks', default_config_files=files,
         use_env=False)
    for path in files:
        check_file(path)
    return conf


def check_file(path):
    """Every value path sets, checked now; a name Tenks lacks, warned of.

    oslo.config parses a value only when it is read, so a bad one would
    fail in the middle of a run with oslo's own wording, and it ignores
    names it does not know, so a typo would silently keep the default.
    """
    sections = {}
    cfg.ConfigParser(path, sections).parse()
    known = _known_options()
    for section, values in sections.items():
        if section not in known:
            _warn_unknown(path, 'section', '[%s]' % section, section, known)
            continue
        for name, raw in values.items():
            opt = known[section].get(name.replace('-', '_'))
            if opt is None:
                _warn_unknown(path, 'option', '[%s] %s' % (section, name),
                              name, known[section])
                continue
            for value in raw:
                _check_value(path, section, name, opt, value)


def _known_options():
    """{section: {name: opt}}, deprecated names included."""
    known = {}
    for group, group_opts in opts.list_opts():
        group = getattr(group, 'name', group)
        names = known.setdefault(group, {})
        for opt in group_opts:
            names[opt.dest] = opt
            for old in opt.deprecated_opts:
                if old.group in (None, group) and old.name:
                    names[old.name.replace('-', '_')] = opt
    return known


def _check_value(path, section, name, opt, value):
    try:
        opt.type(value)
    except ValueError as err:
        problem = str(err)
        if problem.startswith('invalid literal for int()'):
            problem = 'not an integer'
        raise exception.ConfigError(
            source=path, path='[%s] %s' % (section, name),
            problem='%r is not valid: %s' % (value, problem))


def _warn_unknown(path, kind, what, name, choices):
    hint = difflib.get_close_matches(name, list(choices), 1)
    LOG.warning('%s: %s is not a tenks.conf %s, and is ignored%s', path,
                what, kind, '; did you mean %r?' % hint[0] if hint else '')
