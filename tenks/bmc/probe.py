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

"""A node's BMC as a client sees it: ipmitool for IPMI, HTTP for Redfish.

Used by `tenks verify` from where Tenks runs, as Ironic would reach it.
"""

import base64
import json
import os
import ssl
import subprocess
import urllib.error
import urllib.request

from tenks import exception

# ipmitool retries lost UDP packets itself; a loaded host answers late.
IPMI_RETRIES = ('-N', '2', '-R', '3')
TIMEOUT = 60


def for_node(node, credentials, ca_file=None):
    if node.bmc.driver == 'ipmi':
        return IPMI(node.bmc, credentials)
    return Redfish(node, credentials, ca_file)


class IPMI:

    def __init__(self, bmc, credentials):
        self.bmc = bmc
        self.username = credentials['ipmi_username']
        # Given in the environment (-E), never on a command line ps shows.
        self.env = dict(os.environ,
                        IPMI_PASSWORD=credentials['ipmi_password'])

    def _ipmitool(self, *args):
        argv = (['ipmitool', '-I', 'lanplus', '-H', self.bmc.address,
                 '-p', str(self.bmc.port), '-U', self.username, '-E']
                + list(IPMI_RETRIES) + list(args))
        try:
            result = subprocess.run(argv, capture_output=True, text=True,
                                    env=self.env, timeout=TIMEOUT)
        except FileNotFoundError:
            raise exception.ToolMissing(tool='ipmitool')
        except subprocess.TimeoutExpired:
            raise exception.BMCTimeout(timeout=TIMEOUT)
        if result.returncode:
            lines = (result.stderr or result.stdout).strip().splitlines()
            raise exception.IPMIToolFailed(
                request=' '.join(args),
                line=lines[-1] if lines else 'no output')
        return result.stdout

    def power_state(self):
        """'on' or 'off'; BMCError when the BMC does not say."""
        words = self._ipmitool('power', 'status').split()
        if words[-1:] in (['on'], ['off']):
            return words[-1]
        raise exception.UnexpectedAnswer(answer=' '.join(words))

    def set_power(self, on):
        self._ipmitool('power', 'on' if on else 'off')


class Redfish:

    def __init__(self, node, credentials, ca_file):
        self.url = (node.bmc.redfish_root(bool(ca_file))
                    + node.redfish_system_path)
        self.token = base64.b64encode(('%s:%s' % (
            credentials['redfish_username'],
            credentials['redfish_password'])).encode()).decode()
        self.context = (ssl.create_default_context(cafile=ca_file)
                        if ca_file else None)

    def _request(self, path='', body=None):
        request = urllib.request.Request(
            self.url + path, method='POST' if body else 'GET',
            data=json.dumps(body).encode() if body else None)
        request.add_header('Authorization', 'Basic ' + self.token)
        if body:
            request.add_header('Content-Type', 'application/json')
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT,
                                        context=self.context) as response:
                return response.read()
        except urllib.error.HTTPError as err:
            raise exception.RedfishHTTPError(url=self.url + path,
                                             code=err.code)
        except (OSError, ssl.SSLError) as err:
            raise exception.RedfishNoAnswer(
                url=self.url + path, reason=getattr(err, 'reason', err))

    def power_state(self):
        try:
            state = json.loads(self._request())['PowerState']
        except (ValueError, KeyError, TypeError):
            raise exception.RedfishNoPowerState(url=self.url)
        return 'on' if state == 'On' else 'off'

    def set_power(self, on):
        self._request('/Actions/ComputerSystem.Reset',
                      {'ResetType': 'On' if on else 'ForceOff'})
