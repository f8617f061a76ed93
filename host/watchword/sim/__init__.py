"""The emulated board: MicroPython module shims, chip models, wiring and a virtual clock.

The firmware runs unchanged under CPython on top of this package.
"""
