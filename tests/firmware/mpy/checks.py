# A tiny harness for the checks that run under MicroPython: count, name what failed, and
# end with the "N passed, M failed" line the pytest side reads (exit 1 on a failure).
import sys

passed = 0
failed = 0


def check(name, ok):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", name)


def finish():
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
