"""The portal for a WSGI server, e.g. `gunicorn 'watchword.portal.wsgi:app'`, with the store
named by $WATCHWORD_DB (a SQLite file, or postgresql://... for several portal processes)."""

from __future__ import annotations

from watchword.portal.app import create_app
from watchword.server import Verifier, open_store

app = create_app(Verifier(open_store()), token_finder=lambda: None)
