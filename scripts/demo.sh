#!/bin/sh
# The demo behind `make demo`: generates a few hundred small archives (and a
# few broken ones) under demo/archives, runs the main job on them, then shows
# what the state directory kept.
set -eu
cd "$(dirname "$0")/.."
rm -rf demo
echo "== generating sample archives in demo/archives"
sh tests/mkcorpus.sh demo/archives 600 9
echo "== ./corral run -s demo/state demo/archives"
set +e
./corral run -s demo/state demo/archives
status=$?
set -e
echo "(exit status $status: 1 means the job finished and some files were not ok)"
echo
echo "== ./corral status -s demo/state"
./corral status -s demo/state
echo
echo "== ./corral results -s demo/state --failed"
./corral results -s demo/state --failed
echo
echo "== the same command again resumes the job: nothing is left to do"
./corral run -s demo/state demo/archives || true
echo
echo "== a command per file (like GNU parallel), where one file hangs: it is killed"
echo "== at its 1s timeout, recorded, and the job goes on"
./corral run -q -s demo/state -t 1s -r 0 --job listing \
	-x 'case {} in *a000007*) sleep 30 ;; esac; bsdtar -tf {} > /dev/null' demo/archives || true
./corral results -s demo/state listing --failed
