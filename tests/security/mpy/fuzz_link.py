# The firmware's link and app under the MicroPython unix port, fed a corpus of fuzz chunks.
# Run by tests/security/test_fuzz_link.py: argv[1] is an empty directory for the vault,
# argv[2] the corpus, argv[3] the output. The corpus is records of a 2-byte big-endian
# pause (ms), a 4-byte length and that many bytes; each record is one read of the stream.
# The output is, per record, a 4-byte length and what the link wrote during that poll.
# The last line on stdout is "ok N" (records fed) or the exception that stopped the run.
import sys

import framebuf

from ww.app import App
from ww.link import PROTOCOL, Link
from ww.vault import Vault

ROOT, CORPUS, OUT = sys.argv[1], sys.argv[2], sys.argv[3]


class Stream:
    def __init__(self):
        self.data = None
        self.out = bytearray()

    def read(self):
        d, self.data = self.data, None
        return d

    def write(self, b):
        self.out.extend(b)


vault = Vault(ROOT + "/v")
vault.set_pin("2580")
vault.add("alpha", "OCRA-1:HOTP-SHA1-6:C-QN08", b"12345678901234567890")
vault.add("bravo", "OCRA-1:HOTP-SHA1-6:QN08", b"abcdefghijabcdefghij")
fb = framebuf.FrameBuffer(bytearray(1024), 128, 64, framebuf.MONO_VLSB)
now = 1000
app = App(vault, fb, now)
stream = Stream()
link = Link(stream, app, {"protocol": PROTOCOL, "firmware": "fuzz", "board": "unix"})

n = 0
with open(CORPUS, "rb") as src, open(OUT, "wb") as dst:
    while True:
        head = src.read(6)
        if len(head) < 6:
            break
        pause = head[0] << 8 | head[1]
        size = head[2] << 24 | head[3] << 16 | head[4] << 8 | head[5]
        stream.data = src.read(size) if size else None
        now += pause
        try:
            link.poll(now)
            app.tick(now)
        except Exception as e:
            print("crash at record", n, repr(e))
            sys.exit(1)
        dst.write(len(stream.out).to_bytes(4, "big"))
        dst.write(stream.out)
        stream.out = bytearray()
        n += 1
print("ok", n)
