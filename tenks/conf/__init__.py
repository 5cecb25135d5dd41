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

import os

from oslo_config import cfg

from tenks.conf import opts

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
    return conf
