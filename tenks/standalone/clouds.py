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

"""The clouds.yaml that clients of the throwaway Ironic use.

    OS_CLIENT_CONFIG_FILE=WORKDIR/clouds.yaml OS_CLOUD=tenks-standalone
"""

import yaml

from tenks.standalone import config

CLOUD_NAME = 'tenks-standalone'
REGION = 'RegionOne'


def clouds(endpoint, admin_auth=None):
    """clouds.yaml's content for Ironic at endpoint.

    admin_auth is the password auth of a Keystone in front of Ironic;
    without it the cloud is unauthenticated.
    """
    if admin_auth:
        # The endpoint comes from Keystone's catalogue.
        cloud = {'auth_type': 'password', 'auth': admin_auth,
                 'region_name': REGION}
    else:
        cloud = {
            'auth_type': 'none',
            'endpoint': endpoint,
            'baremetal_endpoint_override': endpoint,
        }
    return {'clouds': {CLOUD_NAME: cloud}}


def write(path, content):
    # Private: a password cloud holds the admin's password.
    with config.open_private(path) as stream:
        yaml.safe_dump(content, stream, default_flow_style=False)
