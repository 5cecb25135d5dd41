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

"""Tenks: virtual bare-metal clusters for testing OpenStack Ironic.

A `tenks deploy` goes tenks.cmd -> tenks.deploy (schedule, plan, apply
under the state's lock) -> the resource kinds of tenks.kinds, each
planned and applied on every hypervisor of tenks.hypervisors; README.rst,
"How the code is laid out", follows it step by step.
"""


def version():
    import pbr.version
    return pbr.version.VersionInfo('tenks').version_string()
