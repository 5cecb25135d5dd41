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

"""zuul.d against Zuul's configuration schema and this repository."""

import copy
import pathlib

import testtools

from tests.zuul import zuul_config

ROOT = pathlib.Path(__file__).resolve().parents[2]
ZUUL_D = ROOT / 'zuul.d'


class TestZuulConfig(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.items = zuul_config.load(str(ZUUL_D))

    def item(self, kind, name=None):
        for item in self.items:
            if item.kind == kind and (name is None
                                      or item.body.get('name') == name):
                return item
        self.fail('no %s %s in zuul.d' % (kind, name))

    def test_files_match_zuul_schema(self):
        self.assertEqual([], zuul_config.schema_problems(self.items))

    def test_references_resolve(self):
        self.assertEqual([], zuul_config.reference_problems(self.items,
                                                            str(ROOT)))

    def test_jobs_the_issue_asks_for(self):
        jobs = {item.body['name']: item.body for item in self.items
                if item.kind == 'job'}
        base = jobs['tenks-deploy-base']
        self.assertTrue(base['abstract'])
        self.assertEqual(
            ['playbooks/tenks-deploy/%s.yaml' % name
             for name in ('pre', 'run', 'post')],
            [base['pre-run'], base['run'], base['post-run']])
        # Children in other projects reach the role from their own run.
        self.assertEqual([{'zuul': 'opendev.org/openstack/tenks'}],
                         base['roles'])
        for name in ('tenks-deploy-ovs-bios',
                     'tenks-deploy-linuxbridge-uefi'):
            self.assertEqual('tenks-deploy-base', jobs[name]['parent'])
        cluster = jobs['tenks-deploy-ovs-bios']['vars']['tenks_cluster']
        self.assertEqual(('openvswitch', 'bios'), (
            cluster['bridge_type'], cluster['default_boot_mode']))
        cluster = jobs['tenks-deploy-linuxbridge-uefi']['vars'][
            'tenks_cluster']
        self.assertEqual(('linuxbridge', 'uefi'), (
            cluster['bridge_type'], cluster['default_boot_mode']))
        devstack = jobs['tenks-devstack']
        self.assertEqual('devstack', devstack['parent'])
        self.assertIn('tenks', devstack['vars']['devstack_plugins'])
        self.assertIn('opendev.org/openstack/ironic',
                      devstack['required-projects'])
        # The role installs with the requirements checkout's constraints.
        self.assertIn('opendev.org/openstack/requirements',
                      base['required-projects'])
        project = self.item('project').body
        for pipeline in ('check', 'gate'):
            names = [next(iter(job)) if isinstance(job, dict) else job
                     for job in project[pipeline]['jobs']]
            for job in ('openstack-tox-pep8', 'tenks-functional',
                        'tenks-tox-zuul', 'tenks-deploy-ovs-bios',
                        'tenks-deploy-linuxbridge-uefi', 'tenks-devstack'):
                self.assertIn(job, names, pipeline)
            # tenks-devstack votes.
            self.assertIn('tenks-devstack', project[pipeline]['jobs'])

    def broken(self, kind, name=None, **changes):
        """A copy of this repository's items with one item changed."""
        items = copy.deepcopy(self.items)
        for item in items:
            if item.kind == kind and (name is None
                                      or item.body.get('name') == name):
                item.body.update(changes)
                return items, item
        self.fail('no %s %s in zuul.d' % (kind, name))

    def assert_schema_problem(self, items, item, text):
        problems = zuul_config.schema_problems(items)
        self.assertEqual(1, len(problems), problems)
        self.assertIn(item.where, problems[0])
        self.assertIn(text, problems[0])

    def test_schema_rejects_a_broken_job(self):
        items, item = self.broken('job', 'tenks-deploy-base',
                                  pre_run='playbooks/tenks-deploy/pre.yaml')
        self.assert_schema_problem(items, item, "extra keys not allowed @ "
                                   "data['pre_run']")
        items, item = self.broken('job', 'tenks-functional', timeout='1h')
        self.assert_schema_problem(items, item, "data['timeout']")
        items, item = self.broken('job', 'tenks-functional',
                                  run={'playbook': 'x.yaml'})
        self.assert_schema_problem(items, item, "data['run']")

    def test_schema_rejects_a_broken_nodeset_and_project(self):
        items, item = self.broken('nodeset', nodes=[{'name': 'controller'}])
        self.assert_schema_problem(items, item, 'nodes')
        items, item = self.broken('project', check={'jobs': 'tenks-x'})
        self.assert_schema_problem(items, item, "data['check']")

    def test_schema_rejects_an_unknown_item(self):
        items = copy.deepcopy(self.items)
        items.append(zuul_config.Item('x.yaml', 'jobs', {'name': 'x'}))
        self.assertEqual(["x.yaml: not a job, project or nodeset: 'jobs'"],
                         zuul_config.schema_problems(items))

    def test_references_must_exist(self):
        items, item = self.broken('job', 'tenks-deploy-base',
                                  parent='tenks-nowhere',
                                  nodeset='tenks-nowhere',
                                  run='playbooks/tenks-deploy/nowhere.yaml')
        self.assertEqual([
            '%s: run playbook playbooks/tenks-deploy/nowhere.yaml does not '
            'exist' % item.where,
            '%s: parent tenks-nowhere is neither defined here nor a '
            'standard OpenDev job' % item.where,
            '%s: nodeset tenks-nowhere is not defined here' % item.where,
        ], zuul_config.reference_problems(items, str(ROOT)))
        items, item = self.broken('project', gate={'jobs': ['tenks-x']})
        self.assertEqual(['%s: gate job tenks-x is neither defined here nor '
                          'a standard OpenDev job' % item.where],
                         zuul_config.reference_problems(items, str(ROOT)))
        items = copy.deepcopy(self.items)
        items.append(copy.deepcopy(self.item('nodeset')))
        self.assertEqual(['%s is defined twice' % items[-1].where],
                         zuul_config.reference_problems(items, str(ROOT)))
