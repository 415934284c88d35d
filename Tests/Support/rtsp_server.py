#!/usr/bin/env python3
"""A real RTSP server on 127.0.0.1 for platetop's tests and for trying `platetop watch` by hand.

    python3 Tests/Support/rtsp_server.py --port 8554 streams/demo.mp4
    platetop watch rtsp://127.0.0.1:8554/demo

Serves FILE (an MP4 with H.264 video) at rtsp://127.0.0.1:PORT/demo (the mount can be changed
with --mount), looping it --loops times per client at its natural rate, using Debian's
gst-rtsp-server (python3-gi + gir1.2-gst-rtsp-server-1.0). Optional --user/--password require
RTSP basic authentication. Prints "READY rtsp://..." on stdout once it listens. Binds only to
127.0.0.1. Stops on SIGTERM/SIGINT.

Looping is done once at start-up: `ffmpeg -stream_loop` writes the file N times back to back
(stream copy, continuous timestamps) into a temporary MP4 that is removed on exit (SIGTERM,
SIGINT or the end of main; a SIGKILL leaves it in the temporary folder). Looping inside
the served pipeline with `concat` and one qtdemux per pass failed to preroll about one DESCRIBE
in eight (the client waited gst-rtsp-server's 20 s and got 503); one filesrc ! qtdemux never did.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def launch_line(path: str) -> str:
    loc = path.replace('"', '\\"')
    return (f'( filesrc location="{loc}" ! qtdemux ! h264parse config-interval=-1 '
            f'! rtph264pay name=pay0 pt=96 config-interval=1 )')


def looped_copy(path: str, loops: int, folder: str) -> str:
    """`path` played `loops` times back to back, as one MP4 in `folder` (stream copy)."""
    out = os.path.join(folder, "looped.mp4")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", str(loops - 1), "-i", path,
           "-map", "0:v:0", "-c", "copy", "-f", "mp4", out]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SystemExit(f"rtsp_server: cannot loop {path} with ffmpeg: {e}")
    if done.returncode != 0:
        raise SystemExit(f"rtsp_server: ffmpeg could not loop {path}: {done.stderr.strip()}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8554)
    ap.add_argument("--mount", default="/demo")
    ap.add_argument("--loops", type=int, default=3)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("file")
    args = ap.parse_args()
    if not os.path.isfile(args.file):
        print(f"rtsp_server: no such file: {args.file}", file=sys.stderr)
        return 2
    if args.loops < 1:
        print("rtsp_server: --loops must be at least 1", file=sys.stderr)
        return 2
    # Until GLib's handlers take over in serve(), SIGTERM must still run the `finally` below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    path = os.path.abspath(args.file)
    if args.loops == 1:
        return serve(args, path)
    folder = tempfile.mkdtemp(prefix="rtsp_server.")
    try:
        return serve(args, looped_copy(path, args.loops, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def serve(args: argparse.Namespace, path: str) -> int:
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(path))
    factory.set_shared(False)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        basic = GstRtspServer.RTSPAuth.make_basic(args.user, args.password or "")
        auth.add_basic(basic, token)
        server.set_auth(auth)
        perms = GstRtspServer.RTSPPermissions()
        perms.add_role_from_structure(Gst.Structure.new_from_string(
            "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"))
        factory.set_permissions(perms)
    server.get_mount_points().add_factory(args.mount, factory)
    if server.attach(None) == 0:
        print(f"rtsp_server: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, loop.quit)
    print(f"READY rtsp://127.0.0.1:{args.port}{args.mount}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
