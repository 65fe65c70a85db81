#!/bin/sh
# Unit tests of the slot table and the death classifier (tests/unit_slot.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_slot"
