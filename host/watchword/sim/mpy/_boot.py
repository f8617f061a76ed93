"""Start the firmware on the co-simulated board: `micropython -m _boot`.

It weighs what the shims keep on the heap (a board has `machine` and `time` built in)
and what the firmware's imported modules keep (a board can freeze them into flash), so
the rig can tell them apart from what the firmware allocates as it runs. Then it runs
the firmware's own main loop. If the loop ends (maintenance), a REPL opens on the link,
as on a board's USB serial: the command the rig gives in WW_COSIM_REPL.
"""

import gc
import os

gc.collect()
_before = gc.mem_alloc()
import time  # noqa: E402, F401  (the shim: it waits for the rig's first tick)

import _cosim  # noqa: E402
import machine  # noqa: E402, F401

gc.collect()
_cosim.footprint = gc.mem_alloc() - _before
_before = gc.mem_alloc()

import main  # noqa: E402

gc.collect()
_cosim.code = gc.mem_alloc() - _before
_cosim.peak = gc.mem_alloc()
del _before

main.run()
_cosim.end()
_repl = os.getenv("WW_COSIM_REPL")
if _repl:
    os.system(_repl)
