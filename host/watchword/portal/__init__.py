"""The login portal: username and password, then a challenge for the token, then the response.

`create_app(verifier)` gives the Flask app; `watchword portal` serves it on 127.0.0.1, and
`watchword.portal.wsgi:app` is the same app for a WSGI server (it reads $WATCHWORD_DB).
"""

from watchword.portal.app import create_app

__all__ = ["create_app"]
