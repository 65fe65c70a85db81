#!/bin/sh
# Unit tests of the store's records (tests/unit_record.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_record"
