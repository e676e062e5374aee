#!/usr/bin/env bash
# npm run test:scale: starts a one-node Slurm cluster on this machine and runs the batch script that
# users copy (docs/slurm/medner-label.sbatch) on a small corpus.
#   1. a job array of 3 `medner label --shard` tasks, then `merge` as an afterok job: the merged file
#      is byte-identical to one unsharded `medner label` of the same corpus;
#   2. the same with one array task cancelled: Slurm never starts the afterok merge, and a merge run
#      anyway (afterany) over the parts that exist refuses, with a message, and writes nothing;
#      rerunning the missing task alone, then merging, gives the unsharded output again.
# Needs root (npm run deps installs slurm-wlm and munge) and a built dist/ (npm run build).
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
sbatch_script=$repo/docs/slurm/medner-label.sbatch
cli=$repo/dist/cli.js
shards=3

fail() { echo "test:scale: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root: it starts munged, slurmctld and slurmd"
for c in mungekey munged slurmctld slurmd sbatch sinfo squeue scontrol scancel; do
  command -v "$c" >/dev/null || fail "$c is missing: npm run deps installs slurm-wlm and munge"
done
[ -f "$cli" ] || fail "$cli is missing: npm run build"

# Under /tmp, not $TMPDIR: munged's socket path must fit in 108 bytes.
tmp=$(mktemp -d /tmp/medner-scale.XXXXXX)
# shellcheck source=test/scale/cluster.sh
source "$repo/test/scale/cluster.sh"
finish() {
  local status=$?
  cluster_stop
  if ((status)); then
    for f in "$tmp"/cluster/log/*.log "$tmp"/jobs/*.out; do
      [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  rm -rf -- "$tmp"
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Jobs run `medner` from PATH, as on a cluster where it is installed.
mkdir -p "$tmp/bin" "$tmp/jobs"
printf '#!/bin/sh\nexec node %q "$@"\n' "$cli" >"$tmp/bin/medner"
chmod +x "$tmp/bin/medner"
export PATH=$tmp/bin:$PATH

# The corpus: the shipped samples and generated notes, in folders with spaces and CJK names. Jobs
# get a relative input path, so the documents' paths (and with them the shards) are the same in
# every run of this test.
work=$tmp/work
corpus="corpus dir"
mkdir -p "$work/$corpus/生成 notes"
cp "$repo"/samples/*.txt "$work/$corpus/"
samples=("$repo"/samples/*.txt)
for ((i = 0; i < 8; i++)); do
  {
    cat "${samples[i % ${#samples[@]}]}"
    echo
    tac "${samples[(i + 2) % ${#samples[@]}]}"
  } >"$work/$corpus/生成 notes/note $i.txt"
done
: >"$work/$corpus/生成 notes/empty.txt"
ndocs=$(find "$work/$corpus" -name '*.txt' | wc -l)

started=$SECONDS
cluster_start "$tmp/cluster"
echo "test:scale: one-node cluster up in $((SECONDS - started)) s" >&2

job_states() { scontrol show job -o "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort | uniq -c | tr -s ' ' | xargs; }

# Waits until no record of the job (every task of an array) is pending or running.
wait_done() {
  local deadline=$((SECONDS + 120)) states
  while states=$(scontrol show job -o "$1" | grep -o 'JobState=[A-Z_]*'); grep -qE 'PENDING|CONFIGURING|RUNNING|COMPLETING|SUSPENDED|REQUEUE' <<<"$states"; do
    ((SECONDS < deadline)) || fail "job $1 still not finished after 120 s: $(job_states "$1")"
    sleep 0.3
  done
}

field() { scontrol show job -o "$1" | grep -o "$2=[^ ]*" | cut -d= -f2-; }

# --- round 1: every shard labelled, merge after all of them ------------------------------------
t0=$SECONDS
array=$(sbatch --parsable --job-name=label-all --chdir="$work" --output="$tmp/jobs/%x-%A_%a.out" \
  --array=1-$shards "$sbatch_script" label "$corpus" "all/parts" "$shards")
merge=$(sbatch --parsable --job-name=merge-all --chdir="$work" --output="$tmp/jobs/%x-%j.out" \
  --dependency=afterok:"$array" "$sbatch_script" merge "all/parts" "all/merged.jsonl")
wait_done "$merge"
[ "$(job_states "$array")" = "$shards COMPLETED" ] || fail "array tasks ended $(job_states "$array"), not $shards COMPLETED"
[ "$(field "$merge" JobState)" = COMPLETED ] || fail "merge job ended $(field "$merge" JobState) (exit $(field "$merge" ExitCode))"

(cd "$work" && medner label "$corpus" --threads 1 --quiet --out unsharded.jsonl)
[ "$(wc -l <"$work/unsharded.jsonl")" -eq "$ndocs" ] || fail "the unsharded run wrote $(wc -l <"$work/unsharded.jsonl") documents, not $ndocs"
for ((i = 1; i <= shards; i++)); do
  # An empty shard would leave the merge nothing to interleave.
  [ -s "$work/all/parts/part$i.jsonl" ] || fail "shard $i/$shards labelled no document"
done
cmp -- "$work/unsharded.jsonl" "$work/all/merged.jsonl" || fail "the merged output differs from the unsharded run"
echo "test:scale: ok: $shards array tasks + afterok merge = unsharded output ($ndocs documents, byte-identical) in $((SECONDS - t0)) s" >&2

# --- round 2: one array task cancelled -------------------------------------------------------
# The array is held while task 2 is cancelled, so the test does not race a task that runs in
# under a second; to merge it is the same as a task that failed or whose node died.
t0=$SECONDS
array=$(sbatch --parsable --hold --job-name=label-cut --chdir="$work" --output="$tmp/jobs/%x-%A_%a.out" \
  --array=1-$shards "$sbatch_script" label "$corpus" "cut/parts" "$shards")
scancel "${array}_2"
scontrol release "$array"
merge_ok=$(sbatch --parsable --job-name=merge-cut-afterok --chdir="$work" --output="$tmp/jobs/%x-%j.out" \
  --dependency=afterok:"$array" "$sbatch_script" merge "cut/parts" "cut/merged.jsonl")
merge_any=$(sbatch --parsable --job-name=merge-cut-afterany --chdir="$work" --output="$tmp/jobs/%x-%j.out" \
  --dependency=afterany:"$array" "$sbatch_script" merge "cut/parts" "cut/merged.jsonl")
wait_done "$merge_any"

[ -s "$work/cut/parts/part1.jsonl" ] && [ -s "$work/cut/parts/part3.jsonl" ] || fail "tasks 1 and 3 did not write their parts"
[ ! -e "$work/cut/parts/part2.jsonl" ] || fail "the cancelled task 2 wrote a part"
deadline=$((SECONDS + 60))
until [ "$(field "$merge_ok" Reason)" = DependencyNeverSatisfied ]; do
  ((SECONDS < deadline)) || fail "the afterok merge is $(field "$merge_ok" JobState) ($(field "$merge_ok" Reason)), not held back by its failed dependency"
  sleep 0.3
done
scancel "$merge_ok"

log=$tmp/jobs/merge-cut-afterany-$merge_any.out
state=$(field "$merge_any" JobState)
if [ "$state" != FAILED ] || [ -e "$work/cut/merged.jsonl" ]; then
  fail "merge over parts 1 and 3 of $shards ended $state (exit $(field "$merge_any" ExitCode)) and $([ -e "$work/cut/merged.jsonl" ] && echo wrote || echo did not write) cut/merged.jsonl: it must refuse a set with a part missing; it said: $(cat "$log")"
fi
grep -E '^medner: .*missing' "$log" >/dev/null || fail "merge refused, but without a medner: line that says what is missing: $(cat "$log")"
echo "test:scale: ok: task 2 cancelled: the afterok merge never ran, the afterany merge refused ($(grep -m1 '^medner:' "$log")) in $((SECONDS - t0)) s" >&2

# The recovery docs/scale-out.md gives: rerun the missing task alone, with the same N, then merge.
t0=$SECONDS
rerun=$(sbatch --parsable --job-name=label-rerun --chdir="$work" --output="$tmp/jobs/%x-%A_%a.out" \
  --array=2 "$sbatch_script" label "$corpus" "cut/parts" "$shards")
merge=$(sbatch --parsable --job-name=merge-rerun --chdir="$work" --output="$tmp/jobs/%x-%j.out" \
  --dependency=afterok:"$rerun" "$sbatch_script" merge "cut/parts" "cut/merged.jsonl")
wait_done "$merge"
[ "$(field "$merge" JobState)" = COMPLETED ] || fail "the merge after rerunning task 2 ended $(field "$merge" JobState) (exit $(field "$merge" ExitCode))"
cmp -- "$work/unsharded.jsonl" "$work/cut/merged.jsonl" || fail "the merge after rerunning task 2 differs from the unsharded run"
echo "test:scale: ok: task 2 rerun alone (--array=2), then merged: byte-identical in $((SECONDS - t0)) s" >&2
echo "test:scale: passed in $((SECONDS - started)) s" >&2
