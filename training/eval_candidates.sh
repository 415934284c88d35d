#!/bin/sh
# Reads candidate recognizers with the Swift engine (`platetop eval`) on every set the model card
# reports, one line per model: BR validation, BR validation with `--pattern`, the real European test
# set, and (where their folders exist) the recipe-6, -7, -8, -10, -12 and -4 synthetic validation sets and the
# detector's end-to-end frames.
#
#   training/eval_candidates.sh MODEL.safetensors [MODEL ...]
#
# Environment: PLATETOP (default .build/debug/platetop, built if missing), SHARED (../shared/data),
# WORK (/work/cache/platetop: eval-synth-v6wW/, eval-synth-v7wW/, eval-synth-v8wW/, eval-synth-v10wW/, eval-synth-v12wW/ and eval-synth-v4wW/
# written by export_synth_val.py for a model W wide; eval-synth-v6wWhH/ ... when it is H rows tall, not 24), E2E (/work/cache/platetop-det/test/e2e.csv), SYNTH=0 / E2E_RUN=0 skip those sets.
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 MODEL.safetensors [MODEL ...]" >&2; exit 2; }
P=${PLATETOP:-.build/debug/platetop}
SHARED=${SHARED:-../shared/data}
WORK=${WORK:-/work/cache/platetop}
E2E=${E2E:-/work/cache/platetop-det/test/e2e.csv}
[ -x "$P" ] || swift build --product platetop >&2
[ -d "$SHARED/br-plates" ] || { echo "error: $SHARED/br-plates not found" >&2; exit 1; }

# The `C/T` of eval's last line (`accuracy: C/T (P%)`), or `?` when eval printed none (its error
# went to stderr).
score() {
    r=$("$P" eval "$@" | tail -n 1 | sed -n 's/^accuracy: \([0-9]*\/[0-9]*\).*/\1/p')
    echo "${r:-?}"
}

# A set whose data is absent prints `-`.
printf 'model\tBR val\tBR val --pattern\tEuropean\trecipe 6\trecipe 7\trecipe 8\trecipe 10\trecipe 12\trecipe 4\tend to end\n'
for m in "$@"; do
    [ -f "$m" ] || { echo "error: $m not found" >&2; exit 1; }
    br=$(score training/splits/br_val.csv --images "$SHARED/br-plates" --model "$m")
    brp=$(score training/splits/br_val.csv --images "$SHARED/br-plates" --model "$m" --pattern '[A-Z]{3}[0-9]{4}')
    eu=-; e2e=-
    synth='	-	-	-	-	-	-'  # the synthetic columns (recipes 6, 7, 8, 10, 12 and 4), each tab-led
    if [ -d "$SHARED/eu-plates" ]; then
        eu=$(score training/splits/eu_test.csv --images "$SHARED/eu-plates" --no-detector --model "$m")
    fi
    if [ "${SYNTH:-1}" != 0 ]; then
        # A model of another input size reads the same plates rendered at its size (export_synth_val.py
        # of the `render_plates.py --width W --height H` set): eval-synth-v6wW, or eval-synth-v6wWhH
        # when H is not 24.
        size=$("$P" info --model "$m" | sed -n 's/^  input: \([0-9]*\)x\([0-9]*\)x.*/w\1h\2/p')
        size=${size:-w110h24}; size=${size%h24}
        synth=''
        for r in 6 7 8 10 12 4; do
            s=-
            [ -d "$WORK/eval-synth-v$r$size" ] && s=$(score "$WORK/eval-synth-v$r$size" --model "$m")
            synth="$synth	$s"
        done
    fi
    if [ "${E2E_RUN:-1}" != 0 ] && [ -f "$E2E" ]; then
        e2e=$(score "$E2E" --model "$m")
    fi
    printf '%s\t%s\t%s\t%s%s\t%s\n' "$m" "$br" "$brp" "$eu" "$synth" "$e2e"
done
