#!/usr/bin/env bash
# Runs studies/paper-2x2.toml as a Slurm job array of 16 shards, then merges them.
#   sbatch examples/slurm-paper-2x2.sh
# Every task writes its own directory; a killed or preempted task resumes where it stopped
# when the array task is requeued (same command, same --out).
#SBATCH --job-name=aemc-paper-2x2
#SBATCH --array=1-16
#SBATCH --cpus-per-task=2
#SBATCH --time=01:00:00
#SBATCH --requeue
set -euo pipefail
N=16
aemc run studies/paper-2x2.toml --shard "${SLURM_ARRAY_TASK_ID}/${N}" \
  --threads "${SLURM_CPUS_PER_TASK}" --out "results/paper-2x2-shards/${SLURM_ARRAY_TASK_ID}"

# Merge once every shard is done, as a dependent job:
#   sbatch --dependency=afterok:<array job id> --wrap \
#     'aemc merge results/paper-2x2 results/paper-2x2-shards/*'
