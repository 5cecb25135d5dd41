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

"""Check zuul.d against Zuul's own schemas and against this repository.

Each check returns a list of problems, one line each, so that a test shows
them all at once and a deliberately broken item can be checked for the
problem it must cause.
"""

import os

import voluptuous
import yaml
from zuul import configloader

# Jobs defined outside this repository that ours may name as a parent or
# run: OpenDev's standard jobs.
STANDARD_JOBS = frozenset([
    # opendev/base-jobs: the root of every OpenDev job; its post-run
    # publishes ~/zuul-output/logs.
    'base',
    # openstack/openstack-zuul-jobs: tox with OpenStack's constraints.
    'openstack-tox',
    'openstack-tox-pep8',
    'openstack-tox-py311',
    'openstack-tox-py312',
    # openstack/devstack: DevStack with devstack_plugins, devstack_localrc.
    'devstack',
])
PLAYBOOK_ATTRIBUTES = ('pre-run', 'run', 'post-run', 'cleanup-run')


class Item:
    """One item of a zuul.d file: a job, project or nodeset."""

    def __init__(self, path, kind, body):
        self.path = path
        self.kind = kind
        self.body = body

    @property
    def where(self):
        name = self.body.get('name') if isinstance(self.body, dict) else None
        return '%s: %s %s' % (self.path, self.kind, name or '(unnamed)')


def schemas():
    """Zuul's schemas of the items this repository defines.

    The parsers keep their ParseContext only for loading; building the
    schema never reads it, so none is given.
    """
    return {
        'job': configloader.JobParser.schema,
        'project': configloader.ProjectParser(None).getSchema(),
        'nodeset': configloader.NodeSetParser(None).getSchema(),
    }


def load(zuul_dir):
    """Every item of every file in zuul_dir, in file order."""
    items = []
    for name in sorted(os.listdir(zuul_dir)):
        path = os.path.join(zuul_dir, name)
        with open(path) as stream:
            data = yaml.safe_load(stream)
        for element in data or []:
            if not isinstance(element, dict) or len(element) != 1:
                items.append(Item(path, None, element))
                continue
            (kind, body), = element.items()
            items.append(Item(path, kind, body))
    return items


def schema_problems(items):
    checkers = schemas()
    problems = []
    for item in items:
        checker = checkers.get(item.kind)
        if checker is None:
            problems.append('%s: not a job, project or nodeset: %r' % (
                item.path, item.kind or item.body))
            continue
        try:
            checker(item.body)
        except voluptuous.Invalid as err:
            problems.append('%s: %s' % (item.where, err))
    return problems


def reference_problems(items, root):
    """Playbooks, parents, nodesets and jobs that are named but absent."""
    named = [item for item in items if isinstance(item.body, dict)
             and 'name' in item.body]
    jobs = {item.body['name'] for item in named if item.kind == 'job'}
    nodesets = {item.body['name'] for item in named
                if item.kind == 'nodeset'}
    problems = []
    seen = set()
    for item in named:
        key = (item.kind, item.body['name'])
        if item.kind in ('job', 'nodeset') and key in seen:
            problems.append('%s is defined twice' % item.where)
        seen.add(key)
    for item in items:
        if item.kind == 'job' and isinstance(item.body, dict):
            problems += _job_problems(item, root, jobs, nodesets)
        elif item.kind == 'project' and isinstance(item.body, dict):
            problems += _project_problems(item, jobs)
    return problems


def _job_problems(item, root, jobs, nodesets):
    problems = []
    job = item.body
    for attribute in PLAYBOOK_ATTRIBUTES:
        playbooks = job.get(attribute, [])
        for playbook in playbooks if isinstance(playbooks, list) else [
                playbooks]:
            if isinstance(playbook, dict):
                playbook = playbook.get('name')
            if not os.path.isfile(os.path.join(root, str(playbook))):
                problems.append('%s: %s playbook %s does not exist' % (
                    item.where, attribute, playbook))
    parent = job.get('parent')
    if parent is not None and parent not in jobs | STANDARD_JOBS:
        problems.append('%s: parent %s is neither defined here nor a '
                        'standard OpenDev job' % (item.where, parent))
    nodeset = job.get('nodeset')
    if isinstance(nodeset, str) and nodeset not in nodesets:
        problems.append('%s: nodeset %s is not defined here' % (
            item.where, nodeset))
    return problems


def _project_problems(item, jobs):
    problems = []
    for pipeline, contents in item.body.items():
        if not isinstance(contents, dict):
            continue
        for entry in contents.get('jobs', []):
            name = next(iter(entry)) if isinstance(entry, dict) else entry
            if name not in jobs | STANDARD_JOBS:
                problems.append('%s: %s job %s is neither defined here nor '
                                'a standard OpenDev job' % (
                                    item.where, pipeline, name))
    return problems
