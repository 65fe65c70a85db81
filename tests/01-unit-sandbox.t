#!/bin/sh
# Unit tests of the sandbox (tests/unit_sandbox.c): each wall refuses what it
# should, with the report the supervisor reads, and lets the handlers work.
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_sandbox"
