#!/bin/sh
# Unit tests of the control socket's codec (tests/unit_ctl.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_ctl"
