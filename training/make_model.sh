#!/bin/sh
# Reproduce models/latin.safetensors from scratch (fixed seeds, CPU only):
#   training/make_model.sh            # render -> split -> train (4 phases) -> export
# Env: WORK (cache dir, default /work/cache/platetop), PY (python with torch, default
# /usr/bin/python3), PROCS (render processes, default 2), STEPS1 (phase 1, default 5000),
# STEPS2 (total after phase 2, default 13000), STEPS3 (total after phase 3, default 22000).
#
# Phase 1 trains on the recipe-1 synthetic shards (seed 1) + real BR crops; phase 2 keeps the weights
# and fine-tunes with a new warm-up + cosine on recipe-1 + recipe-2 shards (seed 2), validating on the
# recipe-2 set; phase 3 starts a new warm-up + cosine from the phase-2 weights and adds recipe-3 shards
# (seed 3: European plate furniture - seals, regional and date bands - and more European styles);
# phase 4 starts one more cycle from the phase-3 weights on recipe-4 shards only (seed 4: doubled
# characters and tight crops, the two commonest misreads on real European plates); phase 6 widens the
# phase-4 model (training/widen.py) and trains it once more on recipe 4; phase 11 trains that model at
# 110x24 on recipe-5 + recipe-4 crops (the mean of its last seven evaluated exports); phase 13 trains
# that once more on recipe-6 + recipe-5 crops, phase 14 continues it on more recipe-6 crops, and phase 15
# widens its container to 11 time steps and trains it on more recipe-6 crops, phase 17 trains that
# once more on more recipe-6 crops, phase 19 trains that once more with half the real crops
# spliced from two BR train crops, phase 21 trains that once more with the real crops augmented
# harder, phase 31 trains phase 21 on recipe-10 crops (a third of the plates in parametric stroke
# faces) and averages the result with phase 21, and phase 35 trains phase 31 on recipe-12 crops with
# the hand-checked European crops of training/splits/eu_train.csv beside the BR ones and averages the
# result with phase 31, phase 38 trains phase 35 with grey negatives among its crops and averages
# the result with phase 35, and phase 39 trains phase 38 the same way once more (another seed) and
# averages the result with phase 38 (shipped). Needs ../shared/data/br-plates and, for phases 35, 38
# and 39, eu-plates.
# The shipped run picked up the seed-2 and seed-3 shards while they were being rendered, so a rerun
# gives a model of the same recipe, not bit-identical weights. Resumable: rerun after an interruption.
set -eu
cd "$(dirname "$0")/.."
WORK=${WORK:-/work/cache/platetop}
PY=${PY:-/usr/bin/python3}
PROCS=${PROCS:-2}
STEPS1=${STEPS1:-5000}
STEPS2=${STEPS2:-13000}
STEPS3=${STEPS3:-22000}
mkdir -p "$WORK"
R="nice -n 10 $PY training/render_plates.py --procs $PROCS"
$R --out "$WORK/synth-val" --count 5000 --shard-size 2500 --seed 999 --prefix val --recipe 1
$R --out "$WORK/synth-val-v2" --count 5000 --shard-size 2500 --seed 1999 --prefix val --recipe 2
$R --out "$WORK/synth-train" --count 112000 --shard-size 8000 --seed 1 --recipe 1
$R --out "$WORK/synth-train-v2" --count 96000 --shard-size 4000 --seed 2 --recipe 2
$R --out "$WORK/synth-val-v3" --count 2000 --shard-size 2000 --seed 2999 --prefix val --recipe 3
$R --out "$WORK/synth-train-v3" --count 48000 --shard-size 4000 --seed 3 --recipe 3
$R --out "$WORK/synth-val-v4" --count 2000 --shard-size 1000 --seed 3999 --prefix val --recipe 4
$R --out "$WORK/synth-train-v4" --count 64000 --shard-size 4000 --seed 4 --recipe 4
"$PY" training/split_br.py --seed 7 --val-frac 0.3
T="nice -n 10 $PY training/train.py --work $WORK --threads 1 --synth-val-n 2000 --resume"
# Phase 1 (lr 2e-3, 20 % real crops per batch).
$T --steps "$STEPS1" --eval-every 250
# Phase 2 (lr 1e-3, 30 % real); --restart-schedule only acts once, so reruns just resume.
$T --steps "$STEPS2" --eval-every 500 --synth-train synth-train,synth-train-v2 --synth-val synth-val-v2 \
    --restart-schedule --lr 1e-3 --warmup 200 --real-frac 0.3
# Phase 3 (lr 6e-4, 30 % real, recipe-3 shards added); --cycle-from restarts the schedule only at 13000.
$T --steps "$STEPS3" --eval-every 500 --synth-train synth-train,synth-train-v2,synth-train-v3 \
    --synth-val synth-val-v2 --cycle-from "$STEPS2" --lr 6e-4 --warmup 200 --real-frac 0.3
# Phase 4 (30 % real, recipe-4 shards only, validated on the recipe-4 set): 1,000 steps of a schedule
# planned as lr 6e-4 over 8,000 steps, then the rest of it re-planned as lr 4e-4 over 6,500 steps
# (what the shipped run did when it moved from one thread to two), stopped at 6,000 (lr at 2 % of
# its peak; the shipped model is that step's export, the best validation loss). The shipped run started it in a
# separate folder with --init models/latin.safetensors (the phase-3 export, which is the phase-3
# checkpoint): the same fresh optimiser and schedule as --cycle-from.
V4="--eval-every 500 --synth-train synth-train-v4 --synth-val synth-val-v4 --cycle-from $STEPS3 --warmup 200 --real-frac 0.3"
$T $V4 --steps $((STEPS3 + 8000)) --stop-at $((STEPS3 + 1000)) --lr 6e-4
$T $V4 --steps $((STEPS3 + 6500)) --stop-at $((STEPS3 + 6000)) --lr 4e-4
# Phase 6 (shipped until phase 11): the phase-4 model widened to (48, 96, 192, 192) by widen.py (it starts out reading
# exactly what the narrow one read), then one more warm-up + cosine, 5,000 steps at lr 6e-4, two threads,
# on the recipe-4 shards + 30 % real crops, in its own folder (new widths, new checkpoint).
W6="$WORK/phase6"
mkdir -p "$W6"
[ -f "$W6/init.safetensors" ] || "$PY" training/widen.py "$WORK/latin-best.safetensors" "$W6/init.safetensors" --widths 48,96,192,192
nice -n 10 "$PY" training/train.py --work "$W6" --init "$W6/init.safetensors" --widths 48,96,192,192 --threads 2 \
    --resume --synth-train "$WORK/synth-train-v4" --synth-val "$WORK/synth-val-v4" --synth-val-n 2000 \
    --steps 5000 --lr 6e-4 --warmup 200 --real-frac 0.3 --eval-every 500
# Phase 11 (shipped until phase 13): the phase-6 model trained at 110x24 (22 CTC steps) in bfloat16 (train.py --precision
# bf16, ~3x the fp32 steps/s on a CPU with AVX512-BF16): one warm-up + cosine, 12,000 steps at lr 5e-4 on
# recipe-5 and recipe-4 crops rendered at 110 + 30 % real crops, every evaluated step exported; the
# shipped file is the mean of the exports of steps 9,000-12,000 (average.py). The shipped run picked the
# recipe-4 shards up while a nice-19 renderer wrote them beside it (44,000 of 64,000 by the end), so a
# rerun gives a model of the same recipe, not bit-identical weights.
R110="nice -n 10 $PY training/render_plates.py --procs $PROCS --width 110"
$R110 --out "$WORK/synth-val-v4w110" --count 2000 --shard-size 1000 --seed 3999 --prefix val --recipe 4
$R110 --out "$WORK/synth-train-v5w110" --count 64000 --shard-size 4000 --seed 6 --recipe 5
$R110 --out "$WORK/synth-train-v4w110" --count 64000 --shard-size 4000 --seed 4 --recipe 4
# train110 DIR INIT STEPS LR WARMUP KERNEL VAL TRAIN...: one bf16 warm-up + cosine at 110x24 (widths
# 48/96/192/192, container KERNEL time steps wide) in $WORK/DIR from the model INIT, on the shard folders
# TRAIN... + 30 % real crops, validated on VAL (shard folders under $WORK, linked into DIR), every
# evaluated step exported; SPLICE (default 0) is train.py's --real-splice, REAL_AUG (default standard)
# its --real-aug.
SPLICE=0
REAL_AUG=standard
REAL_FRAC=0.3
EXTRA_REAL=""
PRECISION=bf16
INVERT=
SEED=1234
train110() {
    local w="$WORK/$1" init=$2 steps=$3 lr=$4 warmup=$5 kernel=$6 val=$7
    shift 7
    mkdir -p "$w"
    local s
    for s in "$val" "$@"; do ln -sfn "$WORK/$s" "$w/$s"; done
    nice -n 10 "$PY" training/train.py --work "$w" --init "$init" --widths 48,96,192,192 --input-width 110 \
        --context-kernel "$kernel" --threads 2 --precision "$PRECISION" --keep-exports --resume \
        --synth-train "$(IFS=,; echo "$*")" --synth-val "$val" --synth-val-n 2000 --steps "$steps" --lr "$lr" \
        --warmup "$warmup" --eval-every 500 --patience 12 --real-frac "$REAL_FRAC" --real-splice "$SPLICE" \
        --real-aug "$REAL_AUG" $EXTRA_REAL $INVERT --seed "$SEED"
}
W11="$WORK/p11"
train110 p11 "$W6/latin-best.safetensors" 12000 5e-4 300 1 synth-val-v4w110 synth-train-v5w110 synth-train-v4w110
"$PY" training/average.py "$W11/p11.safetensors" \
    "$W11"/exports/step-9000.safetensors "$W11"/exports/step-9500.safetensors "$W11"/exports/step-10000.safetensors \
    "$W11"/exports/step-10500.safetensors "$W11"/exports/step-11000.safetensors "$W11"/exports/step-11500.safetensors \
    "$W11"/exports/step-12000.safetensors
# Phase 13: the phase-11 model, one more warm-up + cosine, 11,000 steps at lr 4e-4 on recipe-6
# crops (no letter O in letter-or-digit slots, more doubled/tripled characters and steep rotations,
# national bands, Belgian red text, number stickers) + the recipe-5 crops + 30 % real crops, validated
# on the recipe-6 set; train.py's own pick, the lowest validation loss (step 11,000).
# The shipped run picked the recipe-6 shards up while they were rendered (the first 7 minutes).
$R110 --out "$WORK/synth-val-v6w110" --count 2000 --shard-size 1000 --seed 5999 --prefix val --recipe 6
$R110 --out "$WORK/synth-train-v6w110" --count 48000 --shard-size 4000 --seed 8 --recipe 6
train110 p13 "$W11/p11.safetensors" 11000 4e-4 300 1 synth-val-v6w110 synth-train-v6w110 synth-train-v5w110
# Phase 14: phase 13 continued, 4,500 steps at lr 2e-4 (200-step warm-up), with 32,000 more
# recipe-6 crops (seed 9; the shipped run picked them up as a one-process renderer wrote them beside it);
# again train.py's pick (step 4,500).
$R110 --out "$WORK/synth-train-v6bw110" --count 32000 --shard-size 4000 --seed 9 --recipe 6
train110 p14 "$WORK/p13/latin-best.safetensors" 4500 2e-4 200 1 synth-val-v6w110 \
    synth-train-v6w110 synth-train-v6bw110 synth-train-v5w110
# Phase 15: the phase-14 model with its 1x1 container widened to 11 time steps (the new taps
# start at zero, so it starts out reading what phase 14 read), one 300-step warm-up + cosine at lr 3e-4
# over 12,000 steps on the three recipe-6 sets (48,000 more crops, seed 10) + the recipe-5 crops;
# train.py's pick (lowest validation loss, the last step).
$R110 --out "$WORK/synth-train-v6cw110" --count 48000 --shard-size 4000 --seed 10 --recipe 6
train110 p15 "$WORK/p14/latin-best.safetensors" 12000 3e-4 300 11 synth-val-v6w110 \
    synth-train-v6w110 synth-train-v6bw110 synth-train-v6cw110 synth-train-v5w110
# Phase 17: phase 15 trained once more the same way, one 300-step warm-up + cosine at lr 3e-4
# over 11,000 steps with 48,000 more recipe-6 crops (seed 11); the shipped file is the export with the
# most BR validation crops right (step 9,000; train.py's lowest validation loss was step 10,500).
$R110 --out "$WORK/synth-train-v6dw110" --count 48000 --shard-size 4000 --seed 11 --recipe 6
train110 p17 "$WORK/p15/latin-best.safetensors" 11000 3e-4 300 11 synth-val-v6w110 \
    synth-train-v6w110 synth-train-v6bw110 synth-train-v6cw110 synth-train-v6dw110 synth-train-v5w110
# Phase 19: phase 17 trained once more, one 300-step warm-up + cosine at lr 2e-4 over 7,000
# steps with 48,000 more recipe-6 crops (seed 12), half the real crops splices of two BR train crops
# (one's letters, another's digits); train.py's pick (lowest validation loss, the last step).
$R110 --out "$WORK/synth-train-v6ew110" --count 48000 --shard-size 4000 --seed 12 --recipe 6
SPLICE=0.5
train110 p19 "$WORK/p17/exports/step-9000.safetensors" 7000 2e-4 300 11 synth-val-v6w110 \
    synth-train-v6w110 synth-train-v6bw110 synth-train-v6cw110 synth-train-v6dw110 synth-train-v6ew110 \
    synth-train-v5w110
# Phase 21: phase 19 trained once more the same way, one 300-step warm-up + cosine at lr
# 1.5e-4 over 6,000 steps with the real crops augmented harder (colour channels scaled apart, lower
# resolution and more blur); the mean of the exports of steps 5,500 and 6,000.
REAL_AUG=strong
train110 p21 "$WORK/p19/latin-best.safetensors" 6000 1.5e-4 300 11 synth-val-v6w110 \
    synth-train-v6w110 synth-train-v6bw110 synth-train-v6cw110 synth-train-v6dw110 synth-train-v6ew110 \
    synth-train-v5w110
"$PY" training/average.py "$WORK/p21/p21.safetensors" \
    "$WORK"/p21/exports/step-5500.safetensors "$WORK"/p21/exports/step-6000.safetensors
# Phase 31 (shipped): phase 21 trained on recipe-10 crops (recipe 9 with 35 % of the plates drawn in a
# parametric stroke face, training/stroke_font.py; seeds 24 and 25, validation seed 9999) + the seed-12
# recipe-6 crops, one 300-step warm-up + cosine at lr 2e-4 over 7,000 steps; the mean of its last
# export and phase 21.
$R110 --out "$WORK/synth-val-v10w110" --count 2000 --shard-size 1000 --seed 9999 --prefix val --recipe 10
$R110 --out "$WORK/synth-train-v10w110s24" --count 48000 --shard-size 4000 --seed 24 --recipe 10
$R110 --out "$WORK/synth-train-v10w110s25" --count 48000 --shard-size 4000 --seed 25 --recipe 10
train110 p31 "$WORK/p21/p21.safetensors" 7000 2e-4 300 11 synth-val-v10w110 \
    synth-train-v10w110s24 synth-train-v10w110s25 synth-train-v6ew110
cp "$WORK/p21/p21.safetensors" "$WORK/p31/phase21.safetensors"
"$PY" training/average.py "$WORK/p31/phase31.safetensors" \
    "$WORK"/p31/exports/step-7000.safetensors "$WORK/p31/phase21.safetensors"
# Phase 35: phase 31 trained on recipe-12 crops (half the European and US texts in 33 real
# formats; seeds 28 and 29, validation seed 12999) + the seed-12 recipe-6 crops, with 40 % real crops a
# quarter of which are the European train crops, one 300-step warm-up + cosine at lr 2e-4 over 7,000
# steps (validated on the recipe-10 set); the mean of its last export and phase 31.
$R110 --out "$WORK/synth-train-v12w110s28" --count 48000 --shard-size 4000 --seed 28 --recipe 12
$R110 --out "$WORK/synth-train-v12w110s29" --count 48000 --shard-size 4000 --seed 29 --recipe 12
REAL_FRAC=0.4
EXTRA_REAL="--extra-real training/splits/eu_train.csv:../shared/data/eu-plates --extra-real-share 0.25"
train110 p35 "$WORK/p31/phase31.safetensors" 7000 2e-4 300 11 synth-val-v10w110 \
    synth-train-v12w110s28 synth-train-v12w110s29 synth-train-v6ew110
"$PY" training/average.py "$WORK/p35/phase35.safetensors" \
    "$WORK"/p35/exports/step-7000.safetensors "$WORK/p31/phase31.safetensors"
# Phase 38: phase 35 trained with 30 % of every batch's crops as grey negatives (dark
# characters on light plates teach light characters on the red and green ones), on the first 24,000
# seed-29 recipe-12 crops and the seed-28 ones, a 200-step warm-up + cosine at lr 2e-4 over 3,000
# float32 steps (on a CPU without AVX512-BF16; 106 min); the mean of its last export and phase 35.
$R110 --out "$WORK/synth-train-v12w110s29h" --count 24000 --shard-size 4000 --seed 29 --recipe 12
PRECISION=fp32
INVERT="--invert 0.3"
train110 p38 "$WORK/p35/phase35.safetensors" 3000 2e-4 200 11 synth-val-v10w110 \
    synth-train-v12w110s28 synth-train-v12w110s29h
"$PY" training/average.py "$WORK/p38/phase38.safetensors" \
    "$WORK"/p38/exports/step-3000.safetensors "$WORK/p35/phase35.safetensors"
# Phase 39 (shipped): phase 38 trained as phase 38 was, with another seed, over 2,500 steps (90 min);
# the mean of its step-2,000 export and phase 38.
SEED=39
train110 p39 "$WORK/p38/phase38.safetensors" 2500 2e-4 200 11 synth-val-v10w110 \
    synth-train-v12w110s28 synth-train-v12w110s29h
"$PY" training/average.py "$WORK/p39/phase39.safetensors" \
    "$WORK"/p39/exports/step-2000.safetensors "$WORK/p38/phase38.safetensors"
mkdir -p models
cp "$WORK/p39/phase39.safetensors" models/latin.safetensors
echo "wrote models/latin.safetensors"
