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

"""Forward TCP from an address inside a network namespace to one here.

    python -m tenks.standalone.forward NETNS LISTEN_HOST PORT TARGET_HOST
    python -m tenks.standalone.forward --into NETNS LISTEN_HOST PORT \
        TARGET_HOST [TARGET_PORT]

With --into, the other way round: listening here, connecting to
TARGET_HOST:TARGET_PORT (PORT unless given) inside NETNS (how Ironic on
loopback reaches an agent on the provisioning network, and the image
server there when it checks the URL it gives the agent).

The listening socket is made inside NETNS (this process enters it for that
one call and comes back), every connection to TARGET_HOST:PORT from the
namespace the process started in. So Ironic can stay on loopback, never
exposed on the host's own interfaces, and still be reached from the
provisioning network: no route, address or firewall rule on the host.
"""

import asyncio
import ctypes
import os
import socket
import sys

CLONE_NEWNET = 0x40000000
CHUNK = 65536


def _setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET):
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _in(netns, make):
    """make()'s socket, made inside the namespace netns.

    A socket stays in the namespace it was made in; only this thread
    enters netns, and only for the call.
    """
    home = os.open('/proc/self/ns/net', os.O_RDONLY)
    try:
        target = os.open('/run/netns/%s' % netns, os.O_RDONLY)
        try:
            _setns(target)
            try:
                return make()
            finally:
                _setns(home)
        finally:
            os.close(target)
    finally:
        os.close(home)


def listen_in(netns, host, port):
    """A listening TCP socket on host:port inside the namespace netns."""
    return _in(netns, lambda: socket.create_server((host, port)))


async def _connect_in(netns, host, port):
    sock = _in(netns, socket.socket)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
    except OSError:
        sock.close()
        raise
    return await asyncio.open_connection(sock=sock)


async def _pipe(reader, writer):
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        # Pass the half-close on: the other way may still be talking.
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()


async def _serve(sock, host, port, into=None):
    async def handle(reader, writer):
        try:
            if into:
                up_reader, up_writer = await _connect_in(into, host, port)
            else:
                up_reader, up_writer = await asyncio.open_connection(
                    host, port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer),
                             _pipe(up_reader, writer))
        up_writer.close()
        writer.close()

    server = await asyncio.start_server(handle, sock=sock)
    async with server:
        await server.serve_forever()


def main(argv=None):
    argv = list(argv or sys.argv[1:])
    if argv[0] == '--into':
        netns, listen_host, port, target_host = argv[1:5]
        target_port = int((argv[5:] or [port])[0])
        sock = socket.create_server((listen_host, int(port)))
        asyncio.run(_serve(sock, target_host, target_port, into=netns))
        return
    netns, listen_host, port, target_host = argv
    sock = listen_in(netns, listen_host, int(port))
    asyncio.run(_serve(sock, target_host, int(port)))


if __name__ == '__main__':
    main()
