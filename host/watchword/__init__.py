"""Watchword host tools: enroll and drive tokens, verify responses, emulate the board."""

__version__ = "0.1.0"
