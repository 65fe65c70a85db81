#!/bin/sh
# Unit tests of crash-loop damping's decisions (tests/unit_damp.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_damp"
