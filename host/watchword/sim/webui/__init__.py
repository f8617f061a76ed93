"""`watchword sim --ui`: the emulated token on a local web page (OLED, keypad, sensor, LED).

`WebUI(rig).start()` serves the page from a thread of the sim process. Key presses and
finger touches from the page are queued with `Rig.call_soon` and run in the rig's own loop,
so the firmware stays single-threaded; the page follows the OLED's pixels over SSE.
"""

from watchword.sim.webui.server import WebUI, panel_bytes

__all__ = ["WebUI", "panel_bytes"]
