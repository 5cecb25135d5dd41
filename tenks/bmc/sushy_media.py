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

"""sushy-emulator as Tenks runs it: virtual media kept to Tenks' nodes.

sushy-tools' libvirt driver uploads an inserted image into a volume of
its storage pool named ``<image>-<domain UUID>.img`` and, on eject, only
detaches it: the volume stays until the next insert of the same name.
Its virtual media endpoints also skip the allowed-instances check the
rest of its API makes. Run as ``python3 -m tenks.bmc.sushy_media``, the
emulator refuses virtual media of other domains and deletes a node's
uploaded volumes once no longer attached, after each insert and eject.
"""

import xml.etree.ElementTree as ET

import flask
import libvirt
from sushy_tools.emulator import api_utils
from sushy_tools.emulator import main as sushy_main

from tenks.providers import libvirt_storage

# The endpoints of sushy-tools' virtual media blueprint.
BLUEPRINT = 'VirtualMedia'
CHANGES = ('%s.virtual_media_insert' % BLUEPRINT,
           '%s.virtual_media_eject' % BLUEPRINT)


def stale_volumes(names, uuid, attached_names):
    """Of a pool's volume names, uuid's uploads no longer attached."""
    suffix = libvirt_storage.media_volume_suffix(uuid)
    return sorted(name for name in names
                  if name.endswith(suffix) and name not in attached_names)


def refuse_foreign():
    """Deny virtual media of a domain the emulator does not serve."""
    endpoint = flask.request.endpoint or ''
    identity = (flask.request.view_args or {}).get('identity')
    if (endpoint.startswith(BLUEPRINT + '.')
            and api_utils.instance_denied(identity=identity)):
        return 'Not found', 404
    return None


def prune_after_change(response):
    if flask.request.endpoint in CHANGES and response.status_code < 400:
        app = flask.current_app
        prune(app.config.get('SUSHY_EMULATOR_LIBVIRT_URI'),
              app.config['SUSHY_EMULATOR_STORAGE_POOL'],
              app.systems.uuid(flask.request.view_args['identity']))
    return response


def prune(uri, pool_name, uuid):
    """Delete uuid's uploaded volumes its domain no longer uses."""
    conn = libvirt.open(uri)
    try:
        pool = conn.storagePoolLookupByName(pool_name)
        domain = conn.lookupByUUIDString(uuid)
        tree = ET.fromstring(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        attached = {source.get('file') for source in
                    tree.findall('devices/disk/source')}
        volumes = {volume.name(): volume for volume in pool.listAllVolumes()}
        used = {name for name, volume in volumes.items()
                if volume.path() in attached}
        for name in stale_volumes(volumes, uuid, used):
            volumes[name].delete()
    finally:
        conn.close()


def main():
    sushy_main.app.before_request(refuse_foreign)
    sushy_main.app.after_request(prune_after_change)
    return sushy_main.main()


if __name__ == '__main__':
    main()
