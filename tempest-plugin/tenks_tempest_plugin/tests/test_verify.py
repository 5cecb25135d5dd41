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

"""One Tempest test per kind of `tenks verify` check.

The cluster is verified once per class by the tenks command ([tenks]
tenks_command), in Tenks' own environment: libvirt, the bridges and the
BMCs are read on this host, and Ironic is asked through the openstacksdk
cloud Tenks enrols with ([tenks] cloud, else tenks.conf's [ironic] cloud
or OS_CLOUD), the same client and credentials that enrolled the nodes.
Tempest's own credentials are not used, so the class asks for none.
"""

import os
import subprocess
import tempfile

from tempest import config
from tempest.lib import decorators
from tempest import test

from tenks_tempest_plugin import outcome

CONF = config.CONF
# Powering and PXE checks wait on the nodes; a whole cluster takes time.
TIMEOUT = 1800


class TenksVerifyTest(test.BaseTestCase):
    """Every node of the [tenks] cluster passes each check."""

    credentials = []

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.tenks:
            raise cls.skipException('service_available.tenks is False')
        if not (CONF.tenks.state_file or CONF.tenks.cluster_file):
            raise cls.skipException('[tenks] names no state_file or '
                                    'cluster_file: no cluster to verify')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        extra = outcome.overrides(CONF.tenks.state_file, CONF.tenks.cloud)
        with tempfile.TemporaryDirectory() as tmp:
            path = None
            if extra:
                path = os.path.join(tmp, 'overrides.conf')
                with open(path, 'w') as stream:
                    stream.write(extra)
                # Readable by the user sudo runs tenks as.
                os.chmod(tmp, 0o755)
                os.chmod(path, 0o644)
            argv = outcome.command(
                CONF.tenks.tenks_command, CONF.tenks.config_file, path,
                None if CONF.tenks.state_file else CONF.tenks.cluster_file,
                power=CONF.tenks.power_cycle, pxe=CONF.tenks.pxe)
            result = subprocess.run(argv, capture_output=True, text=True,
                                    timeout=TIMEOUT, check=False)
        try:
            cls.results = outcome.results(result.stdout)
        except ValueError:
            raise RuntimeError('%s exited %d: %s' % (
                ' '.join(argv), result.returncode, result.stderr.strip()))

    def assert_check(self, check):
        message = outcome.failure(self.results, check)
        if message:
            self.fail(message)
        reason = outcome.skip_reason(self.results, check)
        if reason:
            raise self.skipException(reason)

    @decorators.idempotent_id('fda4f261-9b46-48e7-a1b0-be3f79823b71')
    def test_domain(self):
        self.assert_check('domain')

    @decorators.idempotent_id('410660d9-1821-422a-9132-23c47fb460a3')
    def test_wiring(self):
        self.assert_check('wiring')

    @decorators.idempotent_id('376c0643-c19f-4420-a913-d047cb86ce14')
    def test_bmc(self):
        self.assert_check('bmc')

    @decorators.idempotent_id('d5cade8c-7157-4573-afd2-22393121a8e0')
    def test_power(self):
        if not CONF.tenks.power_cycle:
            raise self.skipException('[tenks] power_cycle is off')
        self.assert_check('power')

    @decorators.idempotent_id('320d0d7b-e6f0-4875-99f4-c81ff70f596d')
    def test_ironic_node(self):
        self.assert_check('ironic-node')

    @decorators.idempotent_id('4a986133-6d7b-45b9-ac16-f4abaea04a62')
    def test_ironic_ports(self):
        self.assert_check('ironic-ports')

    @decorators.idempotent_id('a4d2f9a3-acba-432b-a222-68f456eae288')
    def test_pxe(self):
        if not CONF.tenks.pxe:
            raise self.skipException('[tenks] pxe is off')
        self.assert_check('pxe')
