#!/bin/sh
# Builds models/detector.safetensors from scratch: composites, training, validation numbers.
#   training/detector/make_detector.sh [WORK_DIR]     (default /work/cache/platetop-det)
# Needs /usr/bin/python3 with torch 1.13, numpy, PIL, cv2, and ../shared/data (backgrounds/,
# eu-plates/, br-plates/) beside the checkout. About 25 min to render + 25 min to train on 2 cores.
# Environment: STEPS (default 3000), THREADS (default 2), TRAIN_N (5000), VAL_N (500).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${1:-/work/cache/platetop-det}
PY=/usr/bin/python3
STEPS=${STEPS:-3000}
THREADS=${THREADS:-2}
TRAIN_N=${TRAIN_N:-5000}
VAL_N=${VAL_N:-500}
mkdir -p "$WORK"
# 1. Composites: training frames at 640x360 (backgrounds not in validation), validation frames
#    at 1280x720 on the held-out backgrounds (every 5th file).
[ -f "$WORK/train/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split train --count "$TRAIN_N" --out "$WORK/train" --width 640
[ -f "$WORK/val/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split val --count "$VAL_N" --out "$WORK/val" --width 1280
# 2. Training (best checkpoint by recall - FP/frame on 150 validation frames, BN folded on export).
nice -n 19 $PY "$HERE/train.py" --train "$WORK/train" --val "$WORK/val" --out "$WORK/run" \
    --steps "$STEPS" --threads "$THREADS" 2>&1 | tee "$WORK/train.log"
cp "$WORK/run/detector.safetensors" "$ROOT/models/detector.safetensors"
# 3. Validation numbers from the Swift engine (the numbers in models/DETECTOR.md).
cd "$ROOT"
swift build --product platetop
./.build/debug/platetop detect-eval --detector models/detector.safetensors --thresholds 0.2,0.4,0.5 "$WORK/val"
