"""Developer tools that regenerate data files of the emulated board from the real MicroPython."""
