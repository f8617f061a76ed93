"""Drivers layer: ssd1306 (I2C OLED), keypad (matrix scan) and fingerprint (R503 UART).

Each driver is handed ready bus or pin objects by the board layer and never imports `machine`.
"""
