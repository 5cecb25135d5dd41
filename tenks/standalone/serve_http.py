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

"""Serve a directory over HTTP, also to a client that talks as to a proxy.

    python -m tenks.standalone.serve_http --bind HOST --directory DIR PORT

The standard library's http.server, but a request line in absolute form
(``GET http://203.0.113.1:8080/x HTTP/1.1``, what an HTTP client sends
through a proxy) is served as its path. Ironic's conductor reaches the
provisioning network's image server that way: through a forwarder on
loopback that its environment names as HTTP proxy (see
tenks.standalone.provisioning). RFC 9112 asks every server to accept
that form; http.server takes the scheme and host for directories.
"""

import argparse
import functools
import http.server
import urllib.parse


def origin_form(target):
    """The path (and query) of a request target in absolute form."""
    parts = urllib.parse.urlsplit(target)
    if not parts.scheme or not parts.netloc:
        return target
    return urllib.parse.urlunsplit(('', '', parts.path or '/', parts.query,
                                    ''))


class Handler(http.server.SimpleHTTPRequestHandler):

    def parse_request(self):
        if not super().parse_request():
            return False
        self.path = origin_form(self.path)
        return True


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--bind', required=True)
    parser.add_argument('--directory', required=True)
    parser.add_argument('port', type=int)
    args = parser.parse_args(argv)
    handler = functools.partial(Handler, directory=args.directory)
    with http.server.ThreadingHTTPServer((args.bind, args.port),
                                         handler) as server:
        server.serve_forever()


if __name__ == '__main__':
    main()
