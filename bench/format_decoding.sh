#!/usr/bin/env bash
# What format-aware decoding (CTCDecoder.bestRead, used when plate formats are set) costs: `platetop eval`
# of the BR validation split plainly, against the same eval with a format no read matches
# (`--pattern '[0-9]{12}'`), so that every crop is read again through the 16 best candidate texts.
# Alternating, RUNS rounds each (default 5), best round of each.
#   bench/format_decoding.sh [MODEL]      (default models/latin.safetensors; needs ../shared/data/br-plates)
# Last line: `format_decoding_time_ratio: X.XX` (every read fitted / plain eval; 1.00 = no cost).
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-models/latin.safetensors}"
data=../shared/data/br-plates
[ -f "$data/labels.csv" ] || { echo "error: $data not found" >&2; exit 1; }
swift build -c release --product platetop >/dev/null
bin=.build/release/platetop

calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); calc "$e - $s"; }
plain=999999 fitted=999999
for _ in $(seq "${RUNS:-5}"); do
    t=$(secs "$bin" eval training/splits/br_val.csv --images "$data" --model "$model")
    plain=$(calc "($t < $plain) ? $t : $plain")
    t=$(secs "$bin" eval training/splits/br_val.csv --images "$data" --model "$model" --pattern '[0-9]{12}')
    fitted=$(calc "($t < $fitted) ? $t : $fitted")
done
printf 'eval, 342 BR validation crops, plain:                  %.3f s\n' "$plain"
printf 'eval, every read through the 16 best candidates:      %.3f s\n' "$fitted"
printf 'format_decoding_time_ratio: %.2f\n' "$(calc "$fitted / $plain")"
