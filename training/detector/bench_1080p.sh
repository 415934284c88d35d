#!/bin/sh
# Detector + recognizer throughput on a 1080p H.264 file, pinned to one core.
#   [DETECTOR_WIDTH=960] [DETECTOR=X.safetensors] training/detector/bench_1080p.sh [VAL_DIR] [RECOGNIZER]
# Makes a 12 s 1920x1080 25 fps H.264 clip from validation composites (60 composites, each shown for 5
# frames), builds platetop in release mode and times
#   taskset -c 0 platetop replay --headless --no-drop --no-log CLIP
# (every frame decoded, detected and its plates read; --no-drop so none is skipped), then the same file
# through `ffmpeg -threads 1 -f null` on the same core; last line: the pipeline's speed as a fraction of
# that decode-only reference.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VAL=${1:-/work/cache/platetop-det/test}
MODEL=${2:-}
CLIP=${CLIP:-/work/cache/platetop-det/bench-1080p.mp4}
if [ ! -f "$CLIP" ]; then
    nice -n 19 ffmpeg -loglevel error -y -framerate 5 -start_number 0 -i "$VAL/%06d.jpg" -frames:v 300 \
        -vf "scale=1920:1080,fps=25" -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p "$CLIP"
fi
cd "$ROOT"
swift build -c release --product platetop >/dev/null
BIN=$(swift build -c release --show-bin-path)/platetop
FRAMES=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$CLIP")
set -- replay --headless --no-drop --no-log --detector "${DETECTOR:-$ROOT/models/detector.safetensors}"
[ -n "$MODEL" ] && set -- "$@" --model "$MODEL"
[ -n "${DETECTOR_WIDTH:-}" ] && set -- "$@" --detector-width "$DETECTOR_WIDTH"
START=$(date +%s.%N)
taskset -c 0 "$BIN" "$@" "$CLIP" > /tmp/platetop-bench-reads.jsonl 2>/tmp/platetop-bench-summary.txt
END=$(date +%s.%N)
READS=$(grep -c '"type":"read"' /tmp/platetop-bench-reads.jsonl || true)
echo "$FRAMES frames 1920x1080 H.264, $READS plate reads, $(echo "$END - $START" | bc) s on one core:" \
     "$(echo "scale=1; $FRAMES / ($END - $START)" | bc) fps (decode + detect + recognize)"
# Reference in the same run: FFmpeg alone decoding the same file to RGB on the same core.
FSTART=$(date +%s.%N)
taskset -c 0 ffmpeg -loglevel error -threads 1 -i "$CLIP" -pix_fmt rgb24 -f null - 
FEND=$(date +%s.%N)
echo "ffmpeg -f null (decode + rgb24, one core): $(echo "scale=1; $FRAMES / ($FEND - $FSTART)" | bc) fps"
echo "pipeline_vs_ffmpeg_decode: $(echo "scale=2; ($FEND - $FSTART) / ($END - $START)" | bc)"
