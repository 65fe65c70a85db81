#!/bin/sh
# One tree over four Slurm tasks with corral --shard (docs/shards.md).
# Each task is shard K of 4, K = SLURM_ARRAY_TASK_ID + 1 (the array counts
# from 0, shards from 1), with its own state directory on shared storage;
# a requeued or re-run task resumes its shard. When all four are done:
#   sbatch --dependency=afterany:JOBID --wrap \
#     'corral status --merge /shared/corral/st-0 /shared/corral/st-1 /shared/corral/st-2 /shared/corral/st-3'
#SBATCH --job-name=corral-shards
#SBATCH --array=0-3
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=corral-%A_%a.log

set -eu
INPUT=${INPUT:-/shared/data}
STATES=${STATES:-/shared/corral}
STATE=$STATES/st-$SLURM_ARRAY_TASK_ID

mkdir -p "$STATES"
corral run -q -j "${SLURM_CPUS_PER_TASK:-8}" --shard "$((SLURM_ARRAY_TASK_ID + 1))/4" -s "$STATE" "$INPUT"
