#!/bin/sh
# Reproduce models/latin.safetensors from scratch (fixed seeds, CPU only).
#   training/make_model.sh            # render -> split -> train -> export
# Env: WORK (cache dir, default /work/cache/platetop), PY (python with torch,
# default /usr/bin/python3), STEPS (default 2400), PROCS (render procs, default 2).
set -eu
cd "$(dirname "$0")/.."
WORK=${WORK:-/work/cache/platetop}
PY=${PY:-/usr/bin/python3}
STEPS=${STEPS:-2400}
PROCS=${PROCS:-2}
mkdir -p "$WORK"
nice -n 10 "$PY" training/render_plates.py --out "$WORK/synth-val" --count 5000 \
    --shard-size 2500 --seed 999 --prefix val --procs "$PROCS"
nice -n 10 "$PY" training/render_plates.py --out "$WORK/synth-train" --count 112000 \
    --shard-size 8000 --seed 1 --procs "$PROCS"
"$PY" training/split_br.py --seed 7 --val-frac 0.3
nice -n 19 "$PY" training/train.py --work "$WORK" --steps "$STEPS" --eval-every 150 --threads 1 --synth-val-n 2000 --resume
mkdir -p models
cp "$WORK/latin-best.safetensors" models/latin.safetensors
echo "wrote models/latin.safetensors"
