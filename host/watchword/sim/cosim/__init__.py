"""Co-simulation: the firmware in the real MicroPython unix port, the chips in the rig.

`MpyRig` is the emulated token of the `mpy` target (`watchword sim --mpy`); `build`
compiles what the `micropython` process imports; `server` and `protocol` are the rig's
end of the channel whose other end is `watchword/sim/mpy/` on the firmware's path.
"""

from watchword.sim.cosim.rig import MpyRig

__all__ = ["MpyRig"]
