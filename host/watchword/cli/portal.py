"""`watchword portal`: the login portal on 127.0.0.1, backed by the verifier's store."""

from __future__ import annotations

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
def portal(db: str | None, port: int, token_port: str | None) -> None:
    """Serve the login portal: password, then a challenge for the token, then its response."""
    from werkzeug.serving import make_server

    from watchword.portal import create_app

    store = open_store(db)
    app = create_app(Verifier(store), token_port=token_port)
    try:
        httpd = make_server(HOST, port, app, threaded=True)
    except OSError as e:
        raise ValueError(f"cannot listen on {HOST}:{port}: {e.strerror or e}") from None
    click.echo(f"Watchword portal on http://{HOST}:{httpd.server_port}/ (store {store.describe()})")
    click.echo("Press Ctrl-C to stop.")
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        store.close()


COMMANDS = [portal]
