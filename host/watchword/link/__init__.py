"""The host end of the token's links: transport (pyserial), protocol client, port discovery."""

from watchword.link.client import Client, LinkTimeout, TokenError

__all__ = ["Client", "LinkTimeout", "TokenError"]
