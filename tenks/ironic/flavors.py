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

"""Nova flavors for the cluster's resource classes, when Nova exists.

Flavors are cluster-wide: a kind of cluster scope, planned once. Tenks
records the flavors it made and removes only those.
"""

from tenks import contracts
from tenks.ironic import client
from tenks.ironic import fields
from tenks import plan
from tenks import units

NO_NOVA = ('nova_flavors: the cloud has no compute (Nova) service; '
           'flavors are not created.')


def extra_specs(flavor):
    """Extra specs scheduling a flavor onto one node of its class."""
    specs = {'resources:%s' % fields.placement_class(
        flavor['resource_class']): '1', 'resources:VCPU': '0',
             'resources:MEMORY_MB': '0', 'resources:DISK_GB': '0'}
    for trait in flavor.get('required_traits') or []:
        specs['trait:%s' % trait] = 'required'
    for trait in flavor.get('forbidden_traits') or []:
        specs['trait:%s' % trait] = 'forbidden'
    specs.update({str(k): str(v)
                  for k, v in (flavor.get('custom_specs') or {}).items()})
    return specs


def wanted(cluster):
    flavors = {}
    for flavor in cluster.nova_flavors:
        node_type = cluster.node_types[flavor['node_type']]
        name = flavor.get('name') or flavor['resource_class']
        flavors[name] = {
            'ram': node_type.memory_mb, 'vcpus': node_type.vcpus,
            'disk': units.to_gib(node_type.volumes[0])
            if node_type.volumes else 0,
            'extra_specs': extra_specs(flavor)}
    return flavors


class Flavors(contracts.Kind):

    name = 'nova-flavor'
    scope = contracts.PER_CLUSTER
    lane = contracts.AFTER

    def relevant(self, ctx, hypervisor):
        if not (ctx.cluster.nova_flavors or ctx.state.made_flavors):
            return False
        ironic = ctx.ironic()
        if not ironic.has_service('compute'):
            ironic.warn_once(NO_NOVA)
            return False
        return True

    def want(self, ctx, hypervisor):
        return {} if ctx.teardown else wanted(ctx.cluster)

    def observe(self, ctx, hypervisor, want):
        return _observed(ctx.ironic(), want, ctx.state.made_flavors)

    @staticmethod
    def compare(want, have):
        return ', '.join(key for key in sorted(want) if want[key] != have[key])

    def apply(self, ctx, hypervisor, actions):
        ironic = ctx.ironic()
        made = ctx.state.made_flavors
        for action in actions:
            if action.verb != plan.CREATE:
                ironic.write('delete_flavor', action.have['id'],
                             ignore_missing=True, service='compute')
                if action.name in made:
                    made.remove(action.name)
                ctx.outcomes.cluster(flavors=list(made))
            if action.verb != plan.DELETE:
                made.append(action.name)
                ctx.outcomes.cluster(flavors=list(made))
                flavor = ironic.write(
                    'create_flavor', name=action.name,
                    ram=action.want['ram'], vcpus=action.want['vcpus'],
                    disk=action.want['disk'], service='compute')
                ironic.write('create_flavor_extra_specs', flavor,
                             action.want['extra_specs'], service='compute')


@client.translated
def _observed(ironic, want, made):
    """The flavors wanted or made by Tenks, as Nova has them."""
    compute = ironic.conn.compute
    have = {}
    for flavor in compute.flavors():
        if flavor.name in want or flavor.name in made:
            have[flavor.name] = plan.Observed(flavor.name in made, {
                'id': flavor.id, 'ram': flavor.ram, 'vcpus': flavor.vcpus,
                'disk': flavor.disk, 'extra_specs':
                    compute.fetch_flavor_extra_specs(flavor).extra_specs})
    return have
