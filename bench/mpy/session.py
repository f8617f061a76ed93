# Boot the firmware on the bench board under the MicroPython unix port, from the current
# folder's board.json and vault/; then (mode "session") type keys on the keypad matrix.
# Prints one JSON line: boot time, the keys' I2C bytes, and the framebuffer at the end.
import binascii
import gc
import json
import sys
import time

t0 = time.ticks_us()
import machine  # noqa: E402  (the bench board's, from MICROPYPATH)
import main  # noqa: E402

main.start("board.json", "vault")
boot_us = time.ticks_diff(time.ticks_us(), t0)
mode = sys.argv[1] if len(sys.argv) > 1 else "boot"
keys = sys.argv[2] if len(sys.argv) > 2 else ""
for k in keys:
    machine.press(k, main.step)
gc.collect()
out = {
    "boot_us": boot_us,
    "mode": mode,
    "keys": len(keys),
    "heap_after_gc": gc.mem_alloc(),
    "fb": binascii.hexlify(main.parts.display.buffer).decode(),
}
print(json.dumps(out))
