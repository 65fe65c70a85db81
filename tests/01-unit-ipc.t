#!/bin/sh
# Unit tests of the ipc module (tests/unit_ipc.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_ipc"
