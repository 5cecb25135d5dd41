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

"""One openstacksdk connection per run, and Ironic's answers cached.

Every SDK or network failure becomes an IronicError with one line a user
can act on. Writes are counted for the benchmark.
"""

import concurrent.futures
import contextlib
import functools
import logging
import os
import threading
import time

from tenks import exception
from tenks.ironic import fields
from tenks import waits

LOG = logging.getLogger(__name__)

# Writes that leave Ironic in the same state however often they are sent.
# A server error on these is worth another try: Ironic on SQLite answers
# 500 "database is locked" when an API write meets a conductor write, and
# not every one of its database calls retries that itself.
IDEMPOTENT = frozenset(['patch_node', 'set_node_traits', 'update_port',
                        'set_node_maintenance', 'unset_node_maintenance',
                        'delete_node', 'delete_port', 'delete_flavor',
                        'create_flavor_extra_specs'])
RETRY_DELAYS = (0.5, 1, 2, 4)
# How often a node is looked at while Ironic moves it: openstacksdk's own
# waits look every 2 s, and a move to manageable takes well under one on
# a virtual BMC.
POLL_INTERVAL = 0.5
# Each holds its node's lock in Ironic's database while Ironic removes the
# node's records: sent together they queue on the database (10 deletes
# took 0.3 s one at a time, 0.8-1.1 s two or four at a time, against a
# standalone Ironic), so they go one at a time.
DELETES = frozenset(['delete_node', 'delete_port'])


def translated(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except exception.TenksError:
            raise
        except Exception as err:
            if not isinstance(err, _failures()):
                raise
            if _unavailable(err):
                raise exception.IronicUnavailable(reason=_one_line(err))
            raise exception.IronicCallFailed(reason=_one_line(err))
    return wrapper


def _unavailable(err):
    """Whether Ironic failed or was not there, rather than refused."""
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as sdk_exceptions
    if isinstance(err, sdk_exceptions.HttpException):
        return (err.status_code or 0) >= 500
    return isinstance(err, (ks_exceptions.ConnectionError,
                            ks_exceptions.ServiceUnavailable))


def _failures():
    # openstacksdk takes a third of a second to import: only runs that
    # talk to Ironic pay for it.
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as sdk_exceptions
    return (sdk_exceptions.SDKException, ks_exceptions.ClientException)


def _one_line(err):
    text = str(err).strip() or type(err).__name__
    return ' '.join(text.split())


def raise_failures(results):
    """One error naming every failure: results are error lines or None.

    Each node's writes are tried whatever became of the others'.
    """
    failures = [error for error in results if error]
    if failures:
        raise exception.IronicFailures(failures=failures)


def cloud_name(conf):
    return conf.ironic.cloud or os.environ.get('OS_CLOUD')


def configured(conf):
    """Whether any openstacksdk cloud configuration is at hand."""
    return bool(cloud_name(conf) or os.environ.get('OS_AUTH_URL')
                or os.environ.get('OS_ENDPOINT'))


class Ironic:

    def __init__(self, conf):
        self.cloud = cloud_name(conf)
        self.timeout = conf.ironic.wait_timeout
        self.writes = 0
        self._concurrency = conf.ironic.concurrent_writes
        self._pool = None
        self._deleting = threading.Lock()
        self._conn = None
        self._nodes = None
        self._ports = None
        self._warned = set()

    @property
    @translated
    def conn(self):
        if self._conn is None:
            import openstack
            try:
                self._conn = openstack.connect(cloud=self.cloud)
            except openstack.exceptions.ConfigException as err:
                raise exception.CloudUnusable(cloud=self.cloud,
                                              reason=_one_line(err))
        return self._conn

    @translated
    def nodes(self):
        if self._nodes is None:
            self._nodes = {node.name: node.to_dict(computed=False)
                           for node in self.conn.baremetal.nodes(
                               details=True)}
        return self._nodes

    @translated
    def ports(self):
        if self._ports is None:
            self._ports = {port.address: port.to_dict(computed=False)
                           for port in self.conn.baremetal.ports(
                               details=True)}
        return self._ports

    def forget(self):
        self._nodes = self._ports = None

    @translated
    def wait_for_node(self, node_id, done):
        """The node once done(node) holds; an error after wait_timeout."""
        last = []

        def node_done():
            last[:] = [self.conn.baremetal.get_node(node_id)]
            return last[0] if done(last[0]) else None
        node = waits.until(node_done, self.timeout, POLL_INTERVAL)
        if node is None:
            raise exception.NodeStuck(node=last[0].name,
                                      state=last[0].provision_state,
                                      timeout=self.timeout)
        return node

    def settled(self, node_id):
        """The node once Ironic has moved it out of a settling state."""
        return self.wait_for_node(
            node_id, lambda node: node.provision_state not in fields.SETTLING)

    @translated
    def has_service(self, service_type):
        """Whether the cloud offers service_type.

        Without Keystone there is no catalogue to ask, and openstacksdk
        would send every service's calls to the one endpoint: only the
        services given an endpoint of their own exist.
        """
        config = self.conn.config.config
        if config.get('auth_type') in ('none', 'noauth', 'http_basic'):
            key = '%s_endpoint_override' % service_type.replace('-', '_')
            return bool(config.get(key))
        return self.conn.has_service(service_type)

    def warn_once(self, message):
        if message not in self._warned:
            self._warned.add(message)
            LOG.warning(message)

    @translated
    def images(self):
        """Glance image names to IDs, or {} when there is no Glance."""
        if not self.has_service('image'):
            return {}
        return {image.name: image.id for image in self.conn.image.images()}

    def map(self, function, items):
        """function over items, at most [ironic] concurrent_writes at once.

        On a pool of the client's own: Ironic writes waiting their turn
        must not hold up the hypervisor steps on the run's pool.
        """
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                self._concurrency, thread_name_prefix='ironic')
        return list(self._pool.map(function, items))

    def close(self):
        if self._pool is not None:
            self._pool.shutdown()

    @translated
    def write(self, method, *args, service='baremetal', **kwargs):
        """Call a method that changes something, of service's proxy.

        Every write to the cloud goes through here, counted, with its
        errors translated and server errors retried where that is safe:
        Ironic's, and the Nova flavors Tenks makes for its nodes.
        """
        limit = (self._deleting if method in DELETES
                 else contextlib.nullcontext())
        with limit:
            return self._write(getattr(getattr(self.conn, service), method),
                               method, *args, **kwargs)

    def _write(self, call, method, *args, **kwargs):
        import openstack
        delays = RETRY_DELAYS if method in IDEMPOTENT else ()
        for delay in delays:
            self.writes += 1
            try:
                return call(*args, **kwargs)
            except openstack.exceptions.HttpException as err:
                if (err.status_code or 0) < 500:
                    raise
                LOG.debug('Ironic failed %s (%s); retrying in %ss',
                          method, _one_line(err), delay)
            time.sleep(delay)
        self.writes += 1
        return call(*args, **kwargs)
