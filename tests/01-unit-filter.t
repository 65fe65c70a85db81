#!/bin/sh
# Unit tests of the filter rule and --halt's values (tests/unit_filter.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_filter"
