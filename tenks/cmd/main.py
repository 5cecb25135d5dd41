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

"""The `tenks` command: a cliff application whose commands are plugins."""

import contextlib
import logging
import os
import sys

from cliff import app
from cliff import commandmanager
from oslo_config import cfg

import tenks
from tenks import conf as tenks_conf
from tenks import exception
from tenks import redact


class TenksApp(app.App):

    CONSOLE_MESSAGE_FORMAT = '%(levelname)s: %(message)s'

    def __init__(self):
        super().__init__(
            description='Virtual bare-metal clusters for testing Ironic.',
            version=tenks.version(),
            command_manager=commandmanager.CommandManager('tenks.cli'),
            deferred_help=True)
        self.conf = None

    def build_option_parser(self, description, version, argparse_kwargs=None):
        parser = super().build_option_parser(description, version,
                                             argparse_kwargs)
        parser.add_argument(
            '--config-file', metavar='PATH',
            help='tenks.conf with site defaults (default: %s when it '
                 'exists).' % tenks_conf.DEFAULT_CONFIG_FILE)
        return parser

    def configure_logging(self):
        # As with the OpenStack clients, --debug also shows debug logs.
        if self.options.debug:
            self.options.verbose_level = 2
        super().configure_logging()
        for handler in logging.getLogger('').handlers:
            handler.addFilter(redact.Filter())
            if not self.options.debug:
                handler.addFilter(_quiet_retries)

    def prepare_to_run_command(self, cmd):
        try:
            self.conf = tenks_conf.load(self.options.config_file)
        except cfg.Error as err:
            raise exception.ConfigError(
                source=self.options.config_file or 'tenks.conf',
                path='(file)', problem=str(err).splitlines()[0])


def _quiet_retries(record):
    """Whether to show a record: not keystoneauth's retry notices.

    It retries a 503 itself, with a warning a line each time; the run's
    one error line says what came of it, and --debug shows them all.
    """
    return not str(record.msg).startswith('Retriable status code')


def main(argv=None):
    return TenksApp().run(sys.argv[1:] if argv is None else argv)


def console():
    """The `tenks` command: main(), then an exit without the teardown.

    Unwinding openstacksdk's and libvirt's modules at exit took a fifth
    of a second of every command, and nothing Tenks needs runs then: a
    run has closed its hosts, connections and lock before main returns.
    """
    status = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):   # a reader gone (`| head`)
            stream.flush()
    os._exit(status)


if __name__ == '__main__':
    console()
