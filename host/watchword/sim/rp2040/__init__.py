"""The emulated RP2040 (`watchword sim --rp2040`): the firmware image in rp2040js."""
