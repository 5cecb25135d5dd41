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

"""Options of tenks.conf, published for oslo-config-generator."""

from tenks.conf import default
from tenks.conf import ipmi
from tenks.conf import ironic
from tenks.conf import libvirt
from tenks.conf import network
from tenks.conf import redfish
from tenks.conf import ssh

_GROUPED = (libvirt, network, ipmi, redfish, ironic, ssh)


def list_opts():
    return ([('DEFAULT', default.opts)]
            + [(module.group, module.opts) for module in _GROUPED])


def register_opts(conf):
    default.register(conf)
    for module in _GROUPED:
        module.register(conf)
