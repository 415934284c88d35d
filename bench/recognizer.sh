#!/usr/bin/env bash
# Recognizer benchmark: platetop's Swift LPRNet engine vs PyTorch on the same weights and input.
#
#   bench/recognizer.sh            (env: RUNS=200 SWEEP_RUNS=50 SEED_DIR=/tmp/platetop-seed)
#
# Builds `platetop` in release, converts the seed model (../shared/data/seed-lprnet) into
# $SEED_DIR if needed, then times:
#   - a sweep: threads 1,2 x batch 1,16 for both engines (informative);
#   - the headline: 1 thread, batch 1, four alternating rounds per engine (the machine may be
#     shared; each engine's best round median is used, the same rule for both).
# PyTorch is timed in two variants (the seed's literal MaxPool3d modules, and training/lprnet.py's
# sliced pools); the faster one is the baseline. Last line: `speedup_vs_pytorch: X.XX`
# (PyTorch ms per plate / platetop ms per plate, 1 thread, batch 1).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-200}
SWEEP_RUNS=${SWEEP_RUNS:-50}
SEED_DIR=${SEED_DIR:-/tmp/platetop-seed}
PY=/usr/bin/python3
DATA=../shared/data/seed-lprnet

swift build -c release --product platetop 2>&1 | grep -v "prohibited flag" | tail -1
BIN=$(swift build -c release --product platetop --show-bin-path 2>/dev/null)/platetop

mkdir -p "$SEED_DIR"
MODEL="$SEED_DIR/seed.safetensors"
if [[ ! -f "$MODEL" ]]; then
    [[ -f "$DATA/Final_LPRNet_model.pth" ]] || { echo "error: no $MODEL and no $DATA/Final_LPRNet_model.pth" >&2; exit 1; }
    "$PY" training/convert_seed.py "$DATA/Final_LPRNet_model.pth" "$MODEL"
fi
INPUTS="$SEED_DIR/inputs.f32"
if [[ ! -f "$INPUTS" ]]; then
    INPUTS="$SEED_DIR/bench_inputs.f32"
    "$PY" -c "import numpy as np; np.random.default_rng(0).uniform(-1,1,(16,3,24,94)).astype(np.float32).tofile('$INPUTS')"
fi
echo "model: $MODEL  inputs: $INPUTS"

echo "== sweep (runs=$SWEEP_RUNS) =="
"$BIN" bench --model "$MODEL" --inputs "$INPUTS" --runs "$SWEEP_RUNS" --threads 1,2 --batches 1,16 --profile
for t in 1 2; do
    "$PY" training/bench_torch.py "$MODEL" --inputs "$INPUTS" --threads "$t" --batches 1,16 --runs "$SWEEP_RUNS"
done

echo "== headline: 1 thread, batch 1 (runs=$RUNS, 4 alternating rounds) =="
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
for round in 1 2 3 4; do
    "$PY" training/bench_torch.py "$MODEL" --inputs "$INPUTS" --threads 1 --batches 1 --runs "$RUNS" | tee -a "$LOG"
    "$BIN" bench --model "$MODEL" --inputs "$INPUTS" --runs "$RUNS" --threads 1 --batches 1 | grep '^platetop' | tee -a "$LOG"
done
value() { sed -n 's/.*per_plate_ms=\([0-9.]*\).*/\1/p'; }
TORCH=$(grep '^pytorch' "$LOG" | value | sort -g | head -1)
OURS=$(grep '^platetop' "$LOG" | value | sort -g | head -1)
P10() { sed -n 's/.*p10_batch_ms=\([0-9.]*\).*/\1/p'; }
TORCH10=$(grep '^pytorch' "$LOG" | P10 | sort -g | head -1)
OURS10=$(grep '^platetop' "$LOG" | P10 | sort -g | head -1)
echo "pytorch_ms_per_plate: $TORCH (best round median; best p10 $TORCH10)"
echo "platetop_ms_per_plate: $OURS (best round median; best p10 $OURS10)"
awk -v a="$TORCH10" -v b="$OURS10" 'BEGIN { printf "speedup_p10: %.2f\n", a / b }'
awk -v a="$TORCH" -v b="$OURS" 'BEGIN { printf "speedup_vs_pytorch: %.2f\n", a / b }'
