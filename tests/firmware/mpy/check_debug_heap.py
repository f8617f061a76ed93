# The debug link's heap figures (debug.heap) under the MicroPython unix port, whose heap is
# capped like a Pico's. Run by tests/firmware/test_debuglink.py.

from checks import check, finish

from ww.debuglink import heap

h = heap()
free, largest = h["free"], h["largest"]
check("free heap reported", free > 0)
check("largest block within the free heap", 0 < largest <= free)
keep = bytearray(largest)  # the block found can be had ...
check("largest block can be had", len(keep) == largest)
del keep
try:
    bytearray(largest + 1024)  # ... and one 1 KiB larger cannot
    check("a larger block cannot be had", False)
except MemoryError:
    check("a larger block cannot be had", True)
check("peak named (None where the port does not count it)", "peak" in h)
check("heap left as found", heap()["free"] >= free - 1024)
finish()
