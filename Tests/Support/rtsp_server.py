#!/usr/bin/env python3
"""A real RTSP server on 127.0.0.1 for platetop's tests and for trying `platetop watch` by hand.

    python3 Tests/Support/rtsp_server.py --port 8554 streams/demo.mp4
    platetop watch rtsp://127.0.0.1:8554/demo

Serves FILE (an MP4 with H.264 video) at rtsp://127.0.0.1:PORT/demo (the mount can be changed
with --mount), looping it --loops times per client at its natural rate, using Debian's
gst-rtsp-server (python3-gi + gir1.2-gst-rtsp-server-1.0). Optional --user/--password require
RTSP basic authentication. Prints "READY rtsp://..." on stdout once it listens. Binds only to
127.0.0.1. Stops on SIGTERM/SIGINT.
"""
import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def launch_line(path: str, loops: int) -> str:
    loc = path.replace('"', '\\"')
    # `concat` plays the file back to back with continuous timestamps.
    parts = [f'( concat name=c ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=1']
    for _ in range(loops):
        parts.append(f'filesrc location="{loc}" ! qtdemux ! h264parse ! video/x-h264,stream-format=avc,alignment=au ! c.')
    return " ".join(parts) + " )"


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

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(os.path.abspath(args.file), args.loops))
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
