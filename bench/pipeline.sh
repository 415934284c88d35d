#!/usr/bin/env bash
# Decode throughput of platetop's FrameReader pipeline against `ffmpeg -f null` on the same file,
# in the same run, plus the end-to-end replay rate with recognition (lossless, --no-drop).
#   bench/pipeline.sh [VIDEO] [MODEL]      (defaults: streams/demo.mp4, models/latin.safetensors)
# Last line: `decode_ratio_vs_ffmpeg: X.XX` (platetop decode fps / ffmpeg decode fps, both to RGB).
set -euo pipefail
cd "$(dirname "$0")/.."
video="${1:-streams/demo.mp4}"
model="${2:-models/latin.safetensors}"
swift build -c release --product platetop >/dev/null
bin=.build/release/platetop
frames=$(ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$video")
roi=$(sed -n 's/^roi *= *"\(.*\)"/\1/p' "${video%.*}.toml" 2>/dev/null || true)
[ -n "$roi" ] || roi="0.3,0.6,0.4,0.2"

calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); calc "$e - $s"; }
best() { local b=999999 t; for _ in 1 2 3; do t=$(secs "$@"); b=$(calc "($t < $b) ? $t : $b"); done; echo "$b"; }

t_ff=$(best ffmpeg -v error -threads 0 -i "$video" -pix_fmt rgb24 -f null -)
# Recognition is skipped for all but one frame per hour of video, so this measures decoding + conversion.
t_pt=$(best "$bin" replay "$video" --headless --no-log --roi "$roi" --model "$model" --max-fps 0.0003)
t_full=$(best "$bin" replay "$video" --headless --no-log --no-drop --roi "$roi" --model "$model")
printf 'video: %s (%s frames)\n' "$video" "$frames"
printf 'ffmpeg -f null (rgb24):        %.3f s  %.1f fps\n' "$t_ff" "$(calc "$frames / $t_ff")"
printf 'platetop decode only:          %.3f s  %.1f fps\n' "$t_pt" "$(calc "$frames / $t_pt")"
printf 'platetop replay, every frame:  %.3f s  %.1f fps (decode + crop + recognize + track)\n' "$t_full" "$(calc "$frames / $t_full")"
printf 'decode_ratio_vs_ffmpeg: %.2f\n' "$(calc "$t_ff / $t_pt")"
