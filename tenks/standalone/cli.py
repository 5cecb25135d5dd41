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

"""Run a throwaway standalone Ironic for development and functional tests.

    standalone_ironic.py start  --workdir DIR [--port 6385] [--keystone]
                                [--provisioning-network DEVICE]
                                [--boot-artefacts [CACHE_DIR]]
    standalone_ironic.py status --workdir DIR
    standalone_ironic.py stop   --workdir DIR [--purge]

status and stop find the port, and any Keystone and provisioning
network, in what start wrote.
"""

import argparse
import pathlib
import sys
import urllib.parse

from tenks.artefacts import build
from tenks import exception as tenks_exception
from tenks.standalone import clouds
from tenks.standalone import config
from tenks.standalone import exception
from tenks.standalone import ironic
from tenks.standalone import keystone
from tenks.standalone import loopback
from tenks.standalone import provisioning


def _read_config(workdir):
    return config.read(pathlib.Path(workdir) / 'ironic.conf')


def _port_from_config(workdir):
    """Return the port a previous start wrote, so stop/status need none."""
    return _read_config(workdir).getint('api', 'port',
                                        fallback=ironic.DEFAULT_PORT)


def _keystone_from_config(workdir):
    """The Keystone a previous start ran beside Ironic, or None."""
    parser = _read_config(workdir)
    if parser.get('DEFAULT', 'auth_strategy', fallback='') != 'keystone':
        return None
    port = urllib.parse.urlsplit(
        parser.get('keystone_authtoken', 'auth_url')).port
    return keystone.StandaloneKeystone(pathlib.Path(workdir) / 'keystone',
                                       port)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=['start', 'stop', 'status'])
    parser.add_argument('--workdir', required=True,
                        help='Directory for config, database, log and PID.')
    parser.add_argument('--port', type=int,
                        help='API port on %s (start only; default %d, '
                             '0 picks a free one).' % (
                                 loopback.HOST, ironic.DEFAULT_PORT))
    parser.add_argument('--keystone', action='store_true',
                        help='start: run Keystone beside Ironic (on a free '
                             'port) and make Ironic authenticate with it.')
    parser.add_argument('--provisioning-network', metavar='DEVICE',
                        help='start: also a provisioning network (DHCP, '
                             'TFTP, iPXE, HTTP in a namespace of its own) '
                             'behind a new veth DEVICE, for a cluster\'s '
                             'physnet_mappings to name.')
    parser.add_argument('--boot-artefacts', metavar='CACHE_DIR',
                        nargs='?', const=build.default_cache_dir(),
                        help='start: build (or reuse) the boot artefacts '
                             'in CACHE_DIR (default $TENKS_BOOT_ARTEFACTS_'
                             'DIR or %s) and have Ironic build virtual '
                             'media ISOs with their EFI system partition '
                             'and isolinux.' % build.DEFAULT_CACHE_DIR)
    parser.add_argument('--purge', action='store_true',
                        help='stop: also remove the work directory.')
    parser.add_argument('--timeout', type=int, default=60,
                        help='Seconds to wait for the API to answer.')
    return parser.parse_args(argv)


def _service(args):
    """The Ironic (and Keystone) the arguments name."""
    port = args.port
    if port is None:
        port = _port_from_config(args.workdir)
    elif port == 0:
        port = loopback.find_free_port()
    device, artefacts = args.provisioning_network, None
    media_port = proxy_port = None
    if args.action != 'start':
        front = _keystone_from_config(args.workdir)
        device, media_port, proxy_port = provisioning.recorded(
            pathlib.Path(args.workdir).absolute() / 'provisioning') or (
                None, None, None)
    elif args.keystone:
        front = keystone.StandaloneKeystone(
            pathlib.Path(args.workdir) / 'keystone',
            loopback.find_free_port())
    else:
        front = None
    if args.action == 'start' and args.boot_artefacts:
        artefacts = build.ensure(args.boot_artefacts)
    return ironic.StandaloneIronic(args.workdir, port, front, device,
                                   artefacts, media_port,
                                   proxy_port=proxy_port)


def _act(args, service):
    """Carry out the action; return the exit status."""
    if args.action == 'start':
        pid = service.start(timeout=args.timeout)
        print('Ironic PID %d at %s' % (pid, service.endpoint))
        print('export OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=%s'
              % (service.clouds_yaml, clouds.CLOUD_NAME))
        if service.provisioning:
            print('Provisioning network on %s (ramdisk callback URL %s)'
                  % (service.provisioning.device,
                     service.provisioning.callback_url))
        if service.boot_artefacts:
            print('Virtual media ISOs built with the boot artefacts in %s'
                  % service.boot_artefacts.directory)
    elif args.action == 'stop':
        if not service.stop(purge=args.purge):
            print('Ironic was not running')
    else:
        status = service.status()
        for key, value in status.items():
            print('%s: %s' % (key, value))
        return 0 if status['running'] else 3
    return 0


def main(argv=None):
    args = parse_args(argv)
    try:
        return _act(args, _service(args))
    except (exception.StandaloneIronicError, tenks_exception.TenksError,
            OSError) as e:
        print('ERROR: %s' % e, file=sys.stderr)
        return 1
