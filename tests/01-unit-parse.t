#!/bin/sh
# Unit tests of the parse module (tests/unit_parse.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_parse"
