#!/bin/sh
# Unit tests of the result module (tests/unit_result.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_result"
