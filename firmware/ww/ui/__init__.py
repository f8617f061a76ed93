"""The token's user interface layer: screen drawing and the big font for codes."""
