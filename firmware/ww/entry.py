"""Typing on the 4x4 keypad: digits, and for hex challenges A-F.

A-D are themselves; in hex entry `*` then 1 gives E, `*` then 2 gives F and `*` `*`
deletes. Otherwise `*` deletes the last character. `#` is never an entry key: the screen's
logic handles it.
"""

DIGITS = "0123456789"


class Entry:
    def __init__(self, limit, hex_keys=False):
        self.text = ""
        self.limit = limit
        self.hex_keys = hex_keys
        self.shift = False  # `*` pressed in hex entry, waiting for 1 (E), 2 (F) or `*`

    def key(self, k):
        """Apply one key; returns False when the entry did not use it (an empty `*`, `#`)."""
        if self.shift:
            self.shift = False
            if k in "12":
                return self._add("E" if k == "1" else "F")
            if k != "*":
                return True  # the shift is dropped, the key is swallowed
            return self._delete()
        if k in DIGITS or (self.hex_keys and k in "ABCD"):
            return self._add(k)
        if k == "*":
            if self.hex_keys:
                self.shift = True  # `*` `*` deletes (or, when empty, goes back)
                return True
            return self._delete()
        return False

    def _add(self, ch):
        if len(self.text) < self.limit:
            self.text += ch
        return True

    def _delete(self):
        if not self.text:
            return False
        self.text = self.text[:-1]
        return True
