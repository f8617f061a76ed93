"""The token's hardware as data: board pin maps, MCU pin rules, wiring tables and diagrams."""
