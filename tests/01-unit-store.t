#!/bin/sh
# Unit tests of the store module (tests/unit_store.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_store"
