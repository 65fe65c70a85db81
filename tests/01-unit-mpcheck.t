#!/bin/sh
# Unit tests of the msgpack validator (tests/unit_mpcheck.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_mpcheck"
