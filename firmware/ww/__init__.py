"""Watchword token firmware (MicroPython). See docs/DESIGN.md for the layers."""

__version__ = "0.1.0"
