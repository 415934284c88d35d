#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages platetop needs that are missing (idempotent).
#   scripts/install-deps.sh runtime   # build + run: FFmpeg, ncursesw, OpenBLAS
#   scripts/install-deps.sh test      # + what the test suite uses: ffmpeg CLI, tmux, an RTSP server,
#                                     #   PyTorch/OpenCV/PIL for the parity references, DejaVu fonts for
#                                     #   the synthetic renderer's tests
set -euo pipefail
mode="${1:-runtime}"
runtime=(pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libncursesw5-dev libopenblas-dev ffmpeg)
test_extra=(tmux python3 python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
            gstreamer1.0-plugins-bad python3-numpy python3-torch python3-opencv python3-pil fonts-dejavu-core)
packages=("${runtime[@]}")
[ "$mode" = test ] && packages+=("${test_extra[@]}")

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "platetop: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "platetop: the Swift toolchain (6.0 or newer) is not on PATH; install it from swift.org" >&2
    exit 1
fi
