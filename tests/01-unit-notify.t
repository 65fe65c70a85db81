#!/bin/sh
# Unit tests of sd_notify and socket activation (tests/unit_notify.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_notify"
