#!/usr/bin/env python3
"""Runs every integration test module (test_*.py) in this folder with
unittest and prints one machine-readable line, "RESULT passed=N failed=N",
for tests/run.sh to add to the unit tests' counts."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py")
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
passed = result.testsRun - failed - len(result.skipped)
print("RESULT passed=%d failed=%d skipped=%d" % (passed, failed, len(result.skipped)))
sys.exit(1 if failed else 0)
