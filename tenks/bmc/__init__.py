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

"""Virtual BMCs: the emulator plugins and the daemons they run.

Plugins (virtualbmc, sushy, tenks_ipmi) are the kinds deploy plans; the
daemon managers (vbmcd, sushy_daemon, ipmi_daemon, process) start, reload
and stop the programs on each hypervisor; probe is the client verify asks
a BMC with. The program tenks-ipmi runs is tenks.ipmi_emulator.
"""
