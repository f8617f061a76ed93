"""`watchword portal`: the login portal on 127.0.0.1, backed by the verifier's store."""

from __future__ import annotations

import errno
import socket

import click

from watchword.cli.common import fails_cleanly
from watchword.cli.server import db_option
from watchword.server import Verifier, open_store

HOST = "127.0.0.1"


@click.command()
@db_option
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--token-port",
    metavar="PORT",
    help="Serial port of a token for connected mode (default: the one token found, if any).",
)
@fails_cleanly
def portal(db: str | None, key_file: str | None, port: int, token_port: str | None) -> None:
    """Serve the login portal: password, then a challenge for the token, then its response."""
    from werkzeug.serving import make_server

    from watchword.portal import create_app

    listening = _listen(port)  # werkzeug prints two lines and exits on a port in use
    store = open_store(db, key_file=key_file)
    app = create_app(Verifier(store), token_port=token_port)
    httpd = make_server(HOST, port, app, threaded=True, fd=listening.fileno())
    listening.close()  # the server holds its own copy
    click.echo(f"Watchword portal on http://{HOST}:{httpd.port}/ (store {store.describe()})")
    click.echo("Press Ctrl-C to stop.")
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        store.close()


def _listen(port: int) -> socket.socket:
    """A socket listening on HOST:port, or ValueError saying why not (one line)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ValueError(
                f"port {port} on {HOST} is in use by another program: pick another with --port"
                " (0 picks a free one)"
            ) from None
        raise ValueError(f"cannot listen on {HOST}:{port}: {e.strerror or e}") from None
    return sock


COMMANDS = [portal]
