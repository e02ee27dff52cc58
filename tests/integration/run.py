#!/usr/bin/env python3
"""Runs every integration test module (test_*.py) in this folder with
unittest and prints one machine-readable line, "RESULT passed=N failed=N",
for tests/run.sh to add to the unit tests' counts."""
import ctypes
import os
import subprocess
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


def private_network():
    """As root, run every test in a network namespace of its own, with
    only a loopback interface: the daemons under test then see only the
    tests' own sockets, so no rule or kill of a test can ever reach a
    process on this machine that the tests did not start, and no port
    the tests pick can clash with one in use. PORTD_TEST_HOST_NET=1 runs
    in the host's network instead (the tests still bind loopback only)."""
    if os.geteuid() != 0 or os.environ.get("PORTD_TEST_HOST_NET"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNET = 0x40000000
    if libc.unshare(CLONE_NEWNET) != 0:
        return False
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    return True


if private_network():
    print("integration: in a private network namespace (loopback only)")
else:
    print("integration: in the host's network (loopback only)")

suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py")
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
passed = result.testsRun - failed - len(result.skipped)
print("RESULT passed=%d failed=%d skipped=%d" % (passed, failed, len(result.skipped)))
sys.exit(1 if failed else 0)
