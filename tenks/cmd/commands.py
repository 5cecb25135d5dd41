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

"""The commands of `tenks`: each parses its arguments and forwards."""

import logging
import os

from cliff import command
from cliff import lister

from tenks.artefacts.ipa import disk_image
from tenks import checks
from tenks import config
from tenks.config import settings as config_settings
from tenks import deploy
from tenks import exception
from tenks import inventory
from tenks import lifecycle
from tenks import ngs
from tenks import ngs_files
from tenks import verify

LOG = logging.getLogger(__name__)


class _ClusterCommand(command.Command):

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('cluster_file', metavar='CLUSTER_FILE',
                            help='YAML cluster file (Tenks variables).')
        parser.add_argument(
            '--playbook-dir', metavar='DIR',
            help='What playbook_dir is in the file\'s Jinja values: '
                 'Tenks\' ansible/ directory unless given (the Ansible '
                 'entry points give theirs).')
        return parser

    def cluster(self, parsed_args):
        return config.load(parsed_args.cluster_file, self.app.conf,
                           playbook_dir=parsed_args.playbook_dir)


class Validate(_ClusterCommand):
    """Check a cluster file and report what it describes."""

    def take_action(self, parsed_args):
        cluster = self.cluster(parsed_args)
        count = sum(spec.count for spec in cluster.specs)
        self.app.stdout.write('%s: valid: %d node(s) in %d spec(s), %d '
                              'physical network(s)\n' % (
                                  cluster.source, count, len(cluster.specs),
                                  len(cluster.physnets)))


class Plan(lister.Lister, _ClusterCommand):
    """Show what deploy (or teardown) would change; change nothing."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--teardown', action='store_true',
                            help='Plan a teardown instead of a deploy.')
        return parser

    def take_action(self, parsed_args):
        cluster = self.cluster(parsed_args)
        with deploy.session(self.app.conf, cluster, parsed_args.teardown,
                            write=False) as ctx:
            actions = deploy.plan(ctx)
        if not actions:
            LOG.warning('No changes: the cluster matches %s.',
                        cluster.source)
        return (('Action', 'Kind', 'Name', 'Hypervisor', 'Reason'),
                [(a.verb, a.kind, a.name, a.hypervisor, a.reason)
                 for a in actions])


class Deploy(_ClusterCommand):
    """Create or update the cluster until it matches the file."""

    teardown = False

    def take_action(self, parsed_args):
        cluster = self.cluster(parsed_args)
        leave_ironic = getattr(parsed_args, 'leave_ironic', False)
        with deploy.session(self.app.conf, cluster, self.teardown,
                            force=getattr(parsed_args, 'force', False),
                            leave_ironic=leave_ironic) as ctx:
            if leave_ironic:
                for line in deploy.left_to_ironic(ctx.state):
                    LOG.warning('Left to Ironic\'s own clean-up: %s', line)
            actions = deploy.converge(ctx, self._progress)
        if actions:
            self.app.stdout.write('%s: %d change(s) made.\n' % (
                'teardown' if self.teardown else 'deploy', len(actions)))
        elif self.teardown:
            self.app.stdout.write('teardown: nothing to remove.\n')
        else:
            self.app.stdout.write('deploy: no changes; the cluster already '
                                  'matches %s.\n' % cluster.source)

    def _progress(self, line):
        # A reader that went away (`| head`) must not stop the run half way.
        try:
            self.app.stdout.write('  %s\n' % line)
            self.app.stdout.flush()
        except BrokenPipeError:
            self.app.stdout = open(os.devnull, 'w')


class Teardown(Deploy):
    """Remove everything Tenks made for the cluster, and nothing else."""

    teardown = True

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--force', action='store_true',
            help='Put Ironic nodes that Ironic will not delete in their '
                 'state (deployed, failed) into maintenance, then delete.')
        parser.add_argument(
            '--leave-ironic', action='store_true',
            help='Remove only what Tenks made on the hypervisors, for when '
                 'Ironic is gone: its nodes, ports and flavors are left to '
                 'Ironic\'s own clean-up, each named.')
        return parser


class SwitchConfig(lister.Lister, _ClusterCommand):
    """Write what networking-generic-switch needs to drive the bridges."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--user', metavar='USER',
            help='The user NGS logs in as on every hypervisor: each '
                 'hypervisor\'s SSH user unless given, root on the local '
                 'one.')
        parser.add_argument(
            '--local-address', metavar='ADDRESS', default=ngs.LOCAL_ADDRESS,
            help='The address NGS reaches the local hypervisor at '
                 '(default: %(default)s).')
        parser.add_argument(
            '--port', metavar='PORT', type=int,
            help='The SSH port: each hypervisor\'s own unless given.')
        return parser

    def take_action(self, parsed_args):
        files = ngs_files.write(self.cluster(parsed_args), parsed_args.user,
                                parsed_args.local_address, parsed_args.port)
        return ('File', 'Holds'), files


class _StateCommand(lister.Lister):
    """A command reading the state file an optional cluster file names."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('cluster_file', metavar='CLUSTER_FILE',
                            nargs='?',
                            help='Cluster file naming the state file; '
                                 'tenks.conf\'s state file otherwise.')
        return parser

    def state_file(self, parsed_args):
        if parsed_args.cluster_file:
            return config.load(parsed_args.cluster_file,
                               self.app.conf).state_file_path
        return config_settings.default_state_file(self.app.conf)


class List(_StateCommand):
    """List the nodes of a cluster with their hardware, BMC and wiring."""

    def take_action(self, parsed_args):
        return inventory.COLUMNS, inventory.rows(
            self.state_file(parsed_args), self.app.conf,
            parsed_args.cluster_file)


class Verify(_StateCommand):
    """Check each node against the state: domain, wiring, BMC, Ironic."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--power', action='store_true',
            help='Also power each node off and on (or on and off) through '
                 'its BMC; its power state is restored.')
        parser.add_argument(
            '--pxe', action='store_true',
            help='Also power each node on through its BMC and wait for a '
                 'DHCP DISCOVER from its PXE NIC on its bridge; its power '
                 'state is restored.')
        parser.add_argument(
            '--node', action='append', metavar='NAME', dest='nodes',
            help='Check only this node (repeatable).')
        deploy = parser.add_argument_group(
            'lifecycle', 'With --deploy, Ironic inspects, cleans, deploys '
            'and undeploys each node (at once), reported step by step; '
            'they end available. Each needs its deploy kernel and ramdisk '
            'in Ironic.')
        deploy.add_argument(
            '--deploy', metavar='IMAGE_URL',
            help='Deploy this whole-disk image (a URL Ironic\'s conductor '
                 'reaches).')
        deploy.add_argument(
            '--image-checksum', metavar='CHECKSUM',
            help='Its md5, sha256 or sha512 digest, or the URL of a '
                 'checksum file (needed with --deploy).')
        deploy.add_argument(
            '--disk-marker', metavar='TEXT',
            help='What a node\'s console shows once booted from the image '
                 '(Tenks\' own image: %s); without it, boot-from-disk is '
                 'skipped.' % disk_image.DISK_MARKER)
        deploy.add_argument(
            '--deploy-timeout', type=int, default=1800, metavar='SECONDS',
            help='For each step (default 1800: an agent boot under plain '
                 'QEMU takes minutes).')
        return parser

    def take_action(self, parsed_args):
        image = None
        if parsed_args.deploy:
            if not parsed_args.image_checksum:
                raise exception.DeployNeedsChecksum(
                    image=parsed_args.deploy)
            image = lifecycle.Image(parsed_args.deploy,
                                    parsed_args.image_checksum,
                                    parsed_args.disk_marker)
        results = verify.verify(self.app.conf, self.state_file(parsed_args),
                                power=parsed_args.power, pxe=parsed_args.pxe,
                                nodes=parsed_args.nodes,
                                cluster_file=parsed_args.cluster_file,
                                deploy=image,
                                deploy_timeout=parsed_args.deploy_timeout)
        self.failure = checks.summary(results)
        # OK stays beside Status for the scripts that read it.
        return (('Node', 'Check', 'Status', 'OK', 'Detail'),
                [(result.node, result.check, result.status, result.ok,
                  result.detail) for result in results])

    def run(self, parsed_args):
        self.failure = None
        code = super().run(parsed_args)
        if self.failure:
            self.app.stderr.write(self.failure + '\n')
            return 1
        return code
