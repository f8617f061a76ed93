# Lay out a bench token's vault in the current folder, under the MicroPython unix port:
# a PIN and one credential. Arguments: PIN NAME SUITE SECRET-HEX.
import sys
from binascii import unhexlify

from ww.vault import Vault

pin, name, suite, secret = sys.argv[1:5]
vault = Vault("vault")
vault.set_pin(pin)
vault.add(name, suite, unhexlify(secret), 0)
print("ok")
