#!/bin/bash
# Trains the recognizer on a lent GPU machine inside one device call. Such a machine is lent to some
# sessions only, for 15 minutes of device time with at most 10 per command, starts bare (no Debian
# fonts, no ../shared) and sends back at most 8 files: so everything it needs travels in .device/,
# it renders its own synthetic crops on its 16 cores while the GPU trains, and it trains for a fixed
# wall-clock budget (train.py --minutes) instead of a step count.
#
#   here:    training/device_train.sh pack [INIT.safetensors]
#              fills .device/ (in .gitignore, so it travels only when carried): the renderer's fonts,
#              the BR crops, the European test crops (and the European train crops that
#              training/splits/eu_train.csv lists, where it exists), the model to start from (default
#              models/latin.safetensors)
#   device:  the run tool with command `bash training/device_train.sh run`, carry [".device"],
#            timeout_s 590; the files come back from $OUT:
#              train.log, eval.txt (Python exact match on BR validation and the European test set),
#              latin-best.safetensors (lowest validation loss), last.safetensors (the final step),
#              mean-last2.safetensors (mean of the last two exports, training/average.py)
#   then here: training/eval_candidates.sh on those files (the Swift engine's figures for the card).
#
# Environment: KIT (the kit folder, default .device). For run: TRAIN_MIN (minutes of training,
# default 6), RENDER_COUNT (synthetic crops rendered, default 240000), RECIPE (default 12), PROCS
# (renderer processes, default half the cores), LOADERS (processes augmenting the real crops,
# train.py --loader-workers; default the cores left but two), BATCH (default 512), LR (default
# 6e-4), DEVICE (default cuda; cpu tries the script here, with a small TRAIN_MIN and RENDER_COUNT),
# OUT (default ./out), WORK_DIR (shards, checkpoints and exports; default /tmp/platetop-device),
# VAL_COUNT (synthetic validation crops, default 2000), EVAL_EVERY (steps between evaluations and
# exports, default 250), PYTHON (default python3, the device's one with PyTorch), EXTRA_SHARE (where
# training/splits/eu_train.csv exists, train.py trains on its crops as --extra-real, and this is the
# share of the real crops drawn from them, --extra-real-share; default 0.25), REAL_FRAC (the real share
# of each batch, train.py --real-frac; default 0.4: with EXTRA_SHARE 0.25, 30 % BR and 10 % European
# crops, as phase 35 trained), INVERT (the share of crops given as their grey negative, train.py
# --invert; default 0.3, as phases 38 and 39 trained), LETTER_SPLICE (the share of BR crops with their
# letter cells shuffled and swapped, train.py --letter-splice; default 0, as the shipped model trained:
# it needs a starting model that already reads the BR train crops), RESAMPLE (how crops are resized
# to the input, render_plates.py and train.py --resample; default the starting model's
# platetop.resample, bilinear where it has none).
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=${KIT:-.device}

# copy_listed SET CSV...: the files the file,plate CSVs name, from $shared/SET to $KIT/SET (pack's locals).
copy_listed() {
    local set=$1
    shift
    cut -d, -f1 "$@" | grep -v '^file$' | while read -r f; do cp "$shared/$set/$f" "$KIT/$set/"; done
}

pack() {
    local init=${1:-models/latin.safetensors}
    local shared=${SHARED:-../shared/data}
    [ -f "$init" ] || { echo "error: $init not found" >&2; exit 1; }
    [ -d "$shared/br-plates" ] || { echo "error: $shared/br-plates not found" >&2; exit 1; }
    rm -rf "$KIT"
    mkdir -p "$KIT/fonts" "$KIT/br-plates" "$KIT/eu-plates"
    # Every font file the renderer draws with, from wherever this machine has it.
    /usr/bin/python3 - "$KIT/fonts" <<'EOF'
import os, shutil, sys
sys.path.insert(0, "training")
import render_plates as rp
missing = rp.missing_recipe5_fonts()
if missing:  # recipes up to 4 draw without them; render_plates.py names them for recipe 5 and later
    print(f"pack: warning: fonts missing here (recipes 5 and later need them): {', '.join(missing)}", file=sys.stderr)
for path in set(rp.PLATE_FONTS_5) | set(rp.DECOR_FONTS):
    shutil.copy(path, sys.argv[1])
EOF
    copy_listed br-plates training/splits/br_train.csv training/splits/br_val.csv
    if [ -d "$shared/eu-plates" ]; then
        copy_listed eu-plates training/splits/eu_test.csv
    fi
    if [ -f training/splits/eu_train.csv ]; then  # the European train crops train.py --extra-real reads
        [ -d "$shared/eu-plates" ] || { echo "error: training/splits/eu_train.csv needs $shared/eu-plates" >&2; exit 1; }
        copy_listed eu-plates training/splits/eu_train.csv
    fi
    cp "$init" "$KIT/init.safetensors"
    echo "packed $(du -sh "$KIT" | cut -f1) in $KIT: $(ls "$KIT/fonts" | wc -l) fonts," \
        "$(ls "$KIT/br-plates" | wc -l) BR crops, $(ls "$KIT/eu-plates" | wc -l) European crops, init $init"
}

run() {
    [ -f "$KIT/init.safetensors" ] || { echo "error: $KIT/init.safetensors missing: run '$0 pack' here and carry $KIT" >&2; exit 1; }
    local device=${DEVICE:-cuda} minutes=${TRAIN_MIN:-6} count=${RENDER_COUNT:-240000} recipe=${RECIPE:-12}
    local procs=${PROCS:-$(( $(nproc) > 3 ? $(nproc) / 2 : 1 ))} out=${OUT:-./out}
    local loaders=${LOADERS:-$(( $(nproc) - procs > 3 ? $(nproc) - procs - 2 : 1 ))}
    local py=${PYTHON:-python3} work=${WORK_DIR:-/tmp/platetop-device}
    # Crops are resized as the starting model was trained (its platetop.resample) unless RESAMPLE says.
    local resample=${RESAMPLE:-$("$py" -c 'import sys; sys.path.insert(0, "training"); from safetensors_io import load
print(load(sys.argv[1])[1].get("platetop.resample", "bilinear"))' "$KIT/init.safetensors")}
    local extra=()
    if [ -f training/splits/eu_train.csv ]; then
        extra=(--extra-real "training/splits/eu_train.csv:$KIT/eu-plates" --extra-real-share "${EXTRA_SHARE:-0.25}")
    fi
    mkdir -p "$out" "$work"
    export PLATETOP_FONT_DIRS=$PWD/$KIT/fonts PYTHONUNBUFFERED=1
    if [ "$device" = cuda ]; then
        "$py" -c 'import torch; assert torch.cuda.is_available(), "no CUDA device"; print("torch", torch.__version__, torch.cuda.get_device_name(0))'
    fi
    local t0=$SECONDS
    "$py" training/render_plates.py --procs "$procs" --width 110 --out "$work/synth-val" --count "${VAL_COUNT:-2000}" \
        --shard-size 1000 --seed 12999 --recipe "$recipe" --prefix val --resample "$resample" > /dev/null
    # The training shards render in the background; train.py starts on the first and picks up the
    # rest at every evaluation.
    "$py" training/render_plates.py --procs "$procs" --width 110 --out "$work/synth-train" --count "$count" \
        --shard-size 2000 --seed 120 --recipe "$recipe" --resample "$resample" > "$work/render.log" 2>&1 &
    local renderer=$!
    until ls "$work"/synth-train/shard-*[0-9].npz > /dev/null 2>&1; do  # a finished shard, not a .tmp.npz
        kill -0 $renderer 2> /dev/null || { cat "$work/render.log" >&2; echo "error: renderer failed" >&2; exit 1; }
        sleep 2
    done
    echo "rendering: first shard after $((SECONDS - t0)) s"
    "$py" training/train.py --work "$work" --init "$KIT/init.safetensors" --br-data "$KIT/br-plates" \
        --device "$device" --precision bf16 --threads 2 --loader-workers "$loaders" --batch "${BATCH:-512}" --lr "${LR:-6e-4}" --warmup 200 \
        --minutes "$minutes" --steps 1000000 --eval-every "${EVAL_EVERY:-250}" --patience 1000000 --keep-exports \
        --widths 48,96,192,192 --input-width 110 --context-kernel 11 --resample "$resample" \
        --synth-train synth-train --synth-val synth-val --synth-val-n 2000 \
        --real-frac "${REAL_FRAC:-0.4}" --real-splice 0.5 --real-aug strong ${extra[@]+"${extra[@]}"} \
        --invert "${INVERT:-0.3}" --letter-splice "${LETTER_SPLICE:-0}" || true
    kill $renderer 2> /dev/null || true
    cp "$work/train.log" "$out/" 2> /dev/null || true
    local exports last prev
    # The last two exports by step (sort -V: step-250 before step-1000).
    exports=$(ls "$work"/exports/step-*.safetensors 2> /dev/null | sort -V | tail -n 2)
    last=$(echo "$exports" | tail -n 1)
    prev=$(echo "$exports" | head -n 1)
    [ -n "$last" ] || { echo "error: training exported nothing (train.log above)" >&2; tail -n 20 "$out/train.log" >&2; exit 1; }
    cp "$work/latin-best.safetensors" "$out/"
    cp "$last" "$out/last.safetensors"
    "$py" training/average.py "$out/mean-last2.safetensors" "$prev" "$last" > /dev/null
    {
        echo "last export: $(basename "$last"); rendered: $(ls "$work"/synth-train/shard-*[0-9].npz | wc -l) shards"
        for m in latin-best last mean-last2; do
            br=$("$py" training/eval_py.py "$out/$m.safetensors" --list training/splits/br_val.csv \
                --data "$KIT/br-plates" --out /dev/null 2>&1 | tail -n 1)
            eu=-
            if [ -n "$(ls "$KIT/eu-plates" 2> /dev/null)" ]; then
                eu=$("$py" training/eval_py.py "$out/$m.safetensors" --list training/splits/eu_test.csv \
                    --data "$KIT/eu-plates" --out /dev/null 2>&1 | tail -n 1)
            fi
            echo "$m: BR val $br; European $eu"
        done
    } | tee "$out/eval.txt"
    echo "done in $((SECONDS - t0)) s"
}

case "${1:-}" in
    pack) shift; pack "$@" ;;
    run) run ;;
    *) echo "usage: $0 pack [INIT.safetensors] | run" >&2; exit 2 ;;
esac
