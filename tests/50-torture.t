#!/bin/sh
# The crash torture's short form (tests/torture has the whole story; `make
# torture` is the long one): 20 kill -9s of `corral run` at random instants
# across jobs of four handlers, a kill at every durable point of one job,
# and kills of `corral serve` with paused and cancelled jobs. Every outcome
# recorded before a kill survives it unchanged, each file ends with one
# outcome, nothing of a killed run is left, the state reads cleanly.
exec bash "$(dirname "$0")/torture" --kills 20 --files 1000 --serve-kills 6 --sync-subset
