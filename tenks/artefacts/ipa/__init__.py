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


"""The Ironic Python Agent's artefacts, built from Debian and PyPI.

A Debian kernel, an agent ramdisk and a small whole-disk image for Ironic
to deploy, in a cache of their own (see ``tenks.artefacts.ipa.build``).
A package of its own, so that its code is no input of the boot
artefacts' cache key: changing one never rebuilds the other.
"""
