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

"""Capacities written the way people write them: 10GB, 1.5GiB, 512MiB."""

import decimal
import re

_FACTORS = {
    '': 1, 'b': 1,
    'kb': 1000, 'mb': 1000 ** 2, 'gb': 1000 ** 3, 'tb': 1000 ** 4,
    'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3, 't': 1024 ** 4,
    'kib': 1024, 'mib': 1024 ** 2, 'gib': 1024 ** 3, 'tib': 1024 ** 4,
}
_CAPACITY = re.compile(r'^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$')
GIB = 1024 ** 3


def parse_capacity(value):
    """Return a capacity in bytes; raise ValueError naming the problem.

    Decimal units (GB) are powers of 1000 and binary ones (GiB, G) powers
    of 1024, as libvirt reads them; a bare number is bytes.
    """
    if isinstance(value, bool):
        raise ValueError('is not a capacity')
    if not isinstance(value, (int, str)):
        raise ValueError('is not a capacity such as 10GiB or 5GB')
    if isinstance(value, int):
        number, unit = value, ''
    else:
        match = _CAPACITY.match(str(value))
        if not match:
            raise ValueError('is not a capacity such as 10GiB or 5GB')
        number, unit = match.group(1), match.group(2).lower()
        if unit not in _FACTORS:
            raise ValueError('has unknown unit %r (use B, MB, GB, TB, '
                             'MiB, GiB or TiB)' % match.group(2))
    # Decimal, so that 2.01GB is 2010000000 bytes, not one byte short.
    size = int(decimal.Decimal(number) * _FACTORS[unit])
    if size <= 0:
        raise ValueError('must be larger than zero')
    return size


def to_gib(size):
    """Whole GiB in size bytes, as Ironic's local_gb wants it."""
    return size // GIB
