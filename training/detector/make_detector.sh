#!/bin/sh
# Builds models/detector.safetensors from scratch: composites, training (a first run and three
# fine-tunes), the verifier stage, validation numbers.
#   training/detector/make_detector.sh [WORK_DIR]     (default /work/cache/platetop-det)
# Needs /usr/bin/python3 with torch 1.13, numpy, PIL, cv2, and ../shared/data (backgrounds/,
# eu-plates/, br-plates/) beside the checkout. About 1.5 h to render + 3.5 h to train on one core.
# Environment: STEPS (default 4500), THREADS (default 1), TRAIN_N (5000), VAL_N (500).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${1:-/work/cache/platetop-det}
PY=/usr/bin/python3
STEPS=${STEPS:-4500}
THREADS=${THREADS:-1}
TRAIN_N=${TRAIN_N:-5000}
VAL_N=${VAL_N:-500}
mkdir -p "$WORK"
# 1. Composites: training frames at 640x360 (backgrounds not in validation), validation frames
#    at 1280x720 on the held-out backgrounds (every 5th file).
[ -f "$WORK/train/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split train --count "$TRAIN_N" --out "$WORK/train" --width 640
[ -f "$WORK/val/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split val --count "$VAL_N" --out "$WORK/val" --width 1280
#    Untouched test sets on the same held-out backgrounds (other seeds): test2 was rendered only after
#    the verifier's second look and its threshold had been chosen on val and test; test3 (2026-12-03)
#    after the shipped file was final, then used once to measure it and the verifier ensemble tried.
[ -f "$WORK/test/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split val --count 300 --seed 11 --out "$WORK/test" --width 1280
[ -f "$WORK/test2/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split val --count 500 --seed 12 --out "$WORK/test2" --width 1280
[ -f "$WORK/test3/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split val --count 500 --seed 13 --out "$WORK/test3" --width 1280
# 2. Training: best checkpoint by the recall at <= 0.05 false positives per frame on 150
#    validation frames; that score threshold goes into the file as platetop.min_score.
nice -n 19 $PY "$HERE/train.py" --train "$WORK/train" --val "$WORK/val" --out "$WORK/run" \
    --steps "$STEPS" --threads "$THREADS" 2>&1 | tee "$WORK/train.log"
# 3. Multi-scale fine-tunes on 960x540 frames (resized by a random factor first), checkpoints chosen
#    at the shipped input width 800; the second widens the scale range to the largest plates.
[ -f "$WORK/train960/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split train --count "$TRAIN_N" --out "$WORK/train960" --width 960 --seed 21
nice -n 19 $PY "$HERE/train.py" --train "$WORK/train960" --val "$WORK/val" --out "$WORK/run4" --init "$WORK/run/detector.pt" \
    --steps 3000 --threads "$THREADS" --lr 1.5e-3 --scale-range 0.6,1.0 --eval-width 800 2>&1 | tee "$WORK/train4.log"
nice -n 19 $PY "$HERE/train.py" --train "$WORK/train960" --val "$WORK/val" --out "$WORK/run5" --init "$WORK/run4/detector.pt" \
    --steps 3000 --threads "$THREADS" --lr 1e-3 --scale-range 0.6,1.35 --eval-width 800 2>&1 | tee "$WORK/train5.log"
# 4. Fine-tune 3 (shipped): 7,500 new 960x540 frames whose synthetic plates use render_plates recipe 4,
#    BN-free from the run5 weights (--init of the exported file): 6,000 steps at lr 5e-4 (checkpoint
#    chosen on 150 validation frames: step 4,000), then 3,000 at
#    2e-4 with the checkpoint chosen on 300 validation frames (step 1,500).
[ -f "$WORK/train960-r4/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split train --count "$TRAIN_N" --out "$WORK/train960-r4" --width 960 --seed 21 --recipe 4
[ -f "$WORK/train960b-r4/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split train --count 2500 --out "$WORK/train960b-r4" --width 960 --seed 22 --recipe 4
R4="$WORK/train960-r4,$WORK/train960b-r4"
nice -n 19 $PY "$HERE/train.py" --train "$R4" --val "$WORK/val" --out "$WORK/runA" --init "$WORK/run5/detector.safetensors" \
    --steps 6000 --threads "$THREADS" --lr 5e-4 --scale-range 0.5,1.35 --eval-width 800 2>&1 | tee "$WORK/trainA.log"
nice -n 19 $PY "$HERE/train.py" --train "$R4" --val "$WORK/val" --out "$WORK/runC" --init "$WORK/runA/detector.safetensors" \
    --steps 3000 --threads "$THREADS" --lr 2e-4 --scale-range 0.5,1.35 --eval-width 800 --eval-n 300 --seed 3 2>&1 | tee "$WORK/trainC.log"
$PY "$HERE/calibrate.py" "$WORK/runC/detector.safetensors" 0.57
# 5. The verifier (second stage): the Swift engine lists the detector's candidates (heat-map score
#    >= 0.1) on the training frames and the validation frames; verifier.py learns plate / not plate
#    from them at full resolution and writes detector + verifier into one file, with the combined
#    rule (weight, candidate score, threshold) calibrated on the validation candidates.
cd "$ROOT"
swift build -c release --product platetop
V="$WORK/verifier"
mkdir -p "$V"
for d in train960-r4 train960b-r4 val; do
    [ -f "$V/$d.csv" ] || ./.build/release/platetop detect-eval --detector "$WORK/runC/detector.safetensors" --no-detector-verifier \
        --thresholds 0.1 --detections "$V/$d.csv" "$WORK/$d" > "$V/$d.log"
done
nice -n 19 $PY "$HERE/verifier.py" --detector "$WORK/runC/detector.safetensors" --train "$R4" \
    --mined "$V/train960-r4.csv,$V/train960b-r4.csv" --val "$WORK/val" --val-mined "$V/val.csv" --out "$V/run" \
    --steps 12000 --spec 24s2,48s2,64s2,96,96 --mined-copies 1 --flip 0.5 --ema 0.999 --threads "$THREADS" \
    --box --wide-copies 1 --pos-iou 0.3 --neg-iou 0.1 2>&1 | tee "$WORK/verifier.log"
cp "$V/run/detector.safetensors" "$ROOT/models/detector.safetensors"
# The verifier's second look (platetop.verifier.recheck_min_score 0.3: a moved candidate whose combined
# score reaches 0.3 is verified again around its moved box, and that probability gives its score) and
# the combined threshold 0.47, both as the Swift engine counts: on val + test (800 frames), 0.47 is
# the highest score that keeps the recall of the one-look threshold 0.462 (the lowest with <= 0.05
# false positives per frame on val alone; verifier.py's differs by one false positive at 0.459-0.461).
$PY "$HERE/calibrate.py" "$ROOT/models/detector.safetensors" 0.57 platetop.verifier.recheck_min_score=0.3 platetop.verifier.min_score=0.47 "platetop.description=platetop plate detector (centernet-tiny), fine-tune 3 step 1500 (run5 + 6,000 + 1,500 steps on 7,500 960x540 composites, render_plates recipe 4 plates) + verifier with box head (5 convs + dense 5-output head, 96x32 grey, step 10,500 on 147,251 candidate crops), moved boxes from combined score 0.3 verified again; val recall 0.953 at 0.026 FP/frame (min score 0.47 with the verifier; 0.883 at 0.046 at 0.57 without)"
# 5b. Fine-tune 4 (shipped 2026-12-04): backbone and stride-8 head trained jointly with an auxiliary
#     stride-4 head (finehead.py --joint-lr) on 7,500 new frames, 3,000 steps planned; every 500 steps
#     the whole file is exported and counted by the Swift engine without its fine head on val: step 2,000.
#     The fine head is dropped, the verifier kept as it is; thresholds 0.41 (with the verifier: the
#     lowest with <= 0.04 FP/frame on val, checked on test, test2, test3) and 0.53 (heat map alone).
[ -f "$WORK/trainE1/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split train --count 5000 --out "$WORK/trainE1" --width 960 --seed 26 --recipe 4
[ -f "$WORK/trainE2/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split train --count 2500 --out "$WORK/trainE2" --width 960 --seed 27 --recipe 4
cp "$ROOT/models/detector.safetensors" "$WORK/fine-tune-3.safetensors"
nice -n 19 $PY "$HERE/finehead.py" --detector "$WORK/fine-tune-3.safetensors" --train "$WORK/trainE1,$WORK/trainE2" \
    --val "$WORK/val" --out "$WORK/jointB" --steps 3000 --lr 1.5e-3 --joint-lr 3e-4 --threads "$THREADS" \
    --eval-every 500 --eval-n 150 2>&1 | tee "$WORK/jointB.log"
for step in 500 1000 1500 2000 2500 3000; do
    ./.build/release/platetop detect-eval --detector "$WORK/jointB/detector-step$step.safetensors" --no-detector-fine-head \
        --thresholds 0.38,0.4,0.41,0.42,0.45 "$WORK/val" | grep "min score" | sed "s/^/step $step /"
done
cp "$WORK/jointB/detector-step2000.safetensors" "$ROOT/models/detector.safetensors"
$PY "$HERE/calibrate.py" "$ROOT/models/detector.safetensors" 0.53 --drop-fine platetop.verifier.min_score=0.41 platetop.training_steps=2000 "platetop.description=platetop plate detector (centernet-tiny), fine-tune 4 step 2000 (fine-tune 3 + 2,000 of 3,000 steps, lr 3e-4, on 7,500 new 960x540 composites, trained with an auxiliary stride-4 head that is not kept) + the fine-tune-3 verifier unchanged (box head, 96x32 grey), moved boxes from combined score 0.3 verified again; val recall 0.957 at 0.038 FP/frame (min score 0.41 with the verifier; 0.870 at 0.050 at 0.53 without)"
#    test4: rendered after fine-tune 4 and its thresholds were chosen, measured once.
[ -f "$WORK/test4/boxes.csv" ] || nice -n 19 $PY "$HERE/composite.py" --split val --count 500 --seed 14 --out "$WORK/test4" --width 1280
# 6. Validation numbers from the Swift engine (the numbers in models/DETECTOR.md).
$PY "$HERE/e2e_labels.py" "$WORK/test"
./.build/release/platetop detect-eval --detector models/detector.safetensors --thresholds 0.5,0.55,0.56,0.58,0.6,0.65 "$WORK/val"
./.build/release/platetop detect-eval --detector models/detector.safetensors --thresholds 0.5,0.55,0.6,0.65 "$WORK/test"
./.build/release/platetop detect-eval --detector models/detector.safetensors --thresholds 0.5,0.55,0.6 "$WORK/test2"
./.build/release/platetop detect-eval --detector models/detector.safetensors --thresholds 0.5,0.55,0.6 "$WORK/test3"
./.build/release/platetop detect-eval --detector models/detector.safetensors --thresholds 0.45,0.5 "$WORK/test4"
./.build/release/platetop eval "$WORK/test/e2e.csv" | tail -n 1
# To move the heat map's threshold (0.53, without the verifier):
#   training/detector/calibrate.py models/detector.safetensors SCORE
# and the combined one (0.41, with it): add platetop.verifier.min_score=S
