#!/usr/bin/env bash
# Train the default schedule (hand, face, body, body continued, whole body, fine-tune) on one
# GPU machine: synthetic Anny data made on that machine's CPUs, then the six stages on the GPU,
# the final networks copied to OUT. Nothing is downloaded.
#
#   scripts/gpu_train.sh                      # at scale (the default model's data set sizes)
#   COUNT_SCALE=0.001 ACCEL=cpu scripts/gpu_train.sh trainer.max_steps=2   # a tiny dry run
#
# Environment (defaults in brackets):
#   WORK       working folder: data/ and runs/ are made here [gpu_run]
#   OUT        where the final networks are copied [WORK/final]
#   COUNT_SCALE  multiplies the default model's sample counts (docs/default_model.md) [1]
#   WORKERS    synth and data-loader processes [nproc]
#   ACCEL      gpu or cpu [gpu if nvidia-smi finds one, else cpu]
#   BATCH      anchors per step (positive twins double it) [32 on gpu; the configs' on cpu]
#   BODY_MODEL body model for data and training [anny; anny-small for quick checks]
#   SYNTH_SIZE image side of the synthetic samples [synth's per-task default]
# Extra arguments are config overrides for every stage (key=value, as for robosmplx train).
set -euo pipefail

WORK=${WORK:-gpu_run}
OUT=${OUT:-$WORK/final}
COUNT_SCALE=${COUNT_SCALE:-1}
WORKERS=${WORKERS:-$(nproc)}
if [[ -z "${ACCEL:-}" ]]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then ACCEL=gpu; else ACCEL=cpu; fi
fi
PY=${PYTHON:-python}
OUT=$(mkdir -p "$OUT" && cd "$OUT" && pwd)
mkdir -p "$WORK"
cd "$WORK"

count() {  # the default model's count for a set, scaled, at least 2
  "$PY" -c "import sys; print(max(2, round($1 * float(sys.argv[1]))))" "$COUNT_SCALE"
}

synth_args=(--workers "$WORKERS" --no-progress)
[[ -n "${BODY_MODEL:-}" ]] && synth_args+=(--body-model "$BODY_MODEL")
[[ -n "${SYNTH_SIZE:-}" ]] && synth_args+=(--size "$SYNTH_SIZE")

start=$(date +%s)
# task, train count, train seed (docs/default_model.md); validation: 64 samples, seed 2000
for spec in "hand 2000 1001" "face 1500 1002" "body 4000 1003" "wholebody 2400 1004"; do
  read -r task n seed <<<"$spec"
  "$PY" -m robosmplx.cli synth --task "$task" --count "$(count "$n")" --out "data/synth/$task" \
    --seed "$seed" "${synth_args[@]}"
  "$PY" -m robosmplx.cli synth --task "$task" --count "$(count 64)" --out "data/synth/${task}_val" \
    --seed 2000 "${synth_args[@]}"
done
synth_done=$(date +%s)

overrides=("trainer.accelerator=$ACCEL" "trainer.devices=1" "data.num_workers=$WORKERS")
[[ -n "${BODY_MODEL:-}" ]] && overrides+=("body_model=$BODY_MODEL")
if [[ "$ACCEL" == gpu ]]; then
  overrides+=("trainer.precision=bf16-mixed" "data.batch_size=${BATCH:-32}")
elif [[ -n "${BATCH:-}" ]]; then
  overrides+=("data.batch_size=$BATCH")
fi
"$PY" -m robosmplx.cli train --schedule default "${overrides[@]}" "$@" --json > runs_result.json
train_done=$(date +%s)

for stage in hand face body body_continue wholebody wholebody_finetune; do
  mkdir -p "$OUT/$stage"
  cp runs/default/$stage/final/model.* "$OUT/$stage/"
done
cp runs_result.json "$OUT/"
echo "gpu_train: synth $((synth_done - start)) s, training $((train_done - synth_done)) s" \
  "on $ACCEL; networks in $OUT"
