#!/bin/sh
# Unit tests of the json module (tests/unit_json.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_json"
