internal import CFFmpeg
import PlatetopCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stop flag a ``FrameReader`` polls from FFmpeg's interrupt callback: the pipeline's
/// ``StopFlag`` (PlatetopCore), so one request stops both the pipeline and a blocked open/read.
public typealias StopSignal = StopFlag

/// Decodes the video stream of a file, an `rtsp://` / `http(s)://` URL, or a V4L2 device (`/dev/videoN`)
/// into Swift-owned ``DecodedFrame`` values.
///
/// Create it, and call ``next()``, on one decode queue; the class is not `Sendable`. Every blocking
/// FFmpeg call is bounded by ``Options/openTimeoutSeconds`` or ``Options/readTimeoutSeconds`` and can be
/// cut short from another thread through ``stopSignal`` (``requestStop()``).
public final class FrameReader {
    /// How fast ``FrameReader/next()`` hands out frames.
    public enum Pace: String, Sendable, CaseIterable {
        /// As fast as they decode (files, benchmarks).
        case fast
        /// At their presentation times relative to the first frame, on a monotonic clock (replaying a file
        /// as if live). The waiting happens inside `next()`.
        case realtime
    }

    /// How to open and decode a source.
    public struct Options: Sendable {
        /// The pixel layout of delivered images (default `.rgb24`).
        public var pixelFormat: PixelImage.Format
        /// Seek here first (seconds on the stream's pts clock): to the keyframe at or before it, then
        /// decode and drop frames until pts ≥ start − half a frame.
        public var startSeconds: Double?
        /// Stop after this many frames.
        public var maxFrames: Int?
        /// `.fast` (default) or `.realtime`.
        public var pace: Pace
        /// RTSP lower transport, `"tcp"` or `"udp"` (FFmpeg's default when nil).
        public var rtspTransport: String?
        /// Limit for opening the source and probing its streams (default 10 s).
        public var openTimeoutSeconds: Double
        /// Limit for each packet read (default 10 s); a silent server fails with a "timed out" error.
        public var readTimeoutSeconds: Double
        /// Deliver frames this wide (height follows the aspect ratio unless `outputHeight` is set too).
        public var outputWidth: Int?
        /// Deliver frames this tall (width follows the aspect ratio unless `outputWidth` is set too).
        public var outputHeight: Int?
        /// A stop flag to share; the reader makes its own when nil. Pass one to be able to stop a reader
        /// that is still inside `init` (a stalled open).
        public var stopSignal: StopSignal?
        /// Extra demuxer/protocol options for `avformat_open_input`, e.g. `["video_size": "1280x720",
        /// "input_format": "mjpeg", "framerate": "30"]` for V4L2. Applied after the options above.
        public var demuxerOptions: [String: String]
        /// Force a demuxer by FFmpeg's short name (`"rawvideo"`, `"mjpeg"`, `"video4linux2"`); probed when nil
        /// (`/dev/video*` paths default to `"video4linux2"`).
        public var inputFormat: String?

        public init(pixelFormat: PixelImage.Format = .rgb24, startSeconds: Double? = nil, maxFrames: Int? = nil,
                    pace: Pace = .fast, rtspTransport: String? = nil, openTimeoutSeconds: Double = 10,
                    readTimeoutSeconds: Double = 10, outputWidth: Int? = nil, outputHeight: Int? = nil,
                    stopSignal: StopSignal? = nil, demuxerOptions: [String: String] = [:], inputFormat: String? = nil)
        {
            self.pixelFormat = pixelFormat
            self.startSeconds = startSeconds
            self.maxFrames = maxFrames
            self.pace = pace
            self.rtspTransport = rtspTransport
            self.openTimeoutSeconds = openTimeoutSeconds
            self.readTimeoutSeconds = readTimeoutSeconds
            self.outputWidth = outputWidth
            self.outputHeight = outputHeight
            self.stopSignal = stopSignal
            self.demuxerOptions = demuxerOptions
            self.inputFormat = inputFormat
        }
    }

    /// The source as given, with any URL password masked.
    public let source: String
    /// Width of delivered frames (after `outputWidth`/`outputHeight`).
    public let width: Int
    /// Height of delivered frames (after `outputWidth`/`outputHeight`).
    public let height: Int
    /// The stream's own frame width (before `outputWidth`/`outputHeight`).
    public let sourceWidth: Int
    /// The stream's own frame height (before `outputWidth`/`outputHeight`).
    public let sourceHeight: Int
    /// The decoder's short name, e.g. `"h264"`.
    public let codecName: String
    /// The stream's frame rate (`av_guess_frame_rate`), when known.
    public let frameRate: Double?
    /// The stream's (or container's) duration in seconds, when known; nil for live sources.
    public let durationSeconds: Double?
    /// The flag that ``requestStop()`` sets; share it with another queue to stop this reader from there.
    public let stopSignal: StopSignal
    /// The options the reader was opened with.
    public let options: Options

    private let input: InputFile
    private let decoder: VideoDecoder
    private let scaler: FrameScaler
    private let packet: Packet
    private let frame: Frame
    private let timeBase: (num: Int64, den: Int64)
    private var returned = 0
    private var inputEnded = false
    private var finished = false
    private var pendingPacket = false
    private var deferredError: FFmpegError?
    private var discardBefore: Double?
    private var lastPts: Double?
    private var paceOrigin: (wall: UInt64, pts: Double)?
    private var invalidPackets = 0

    /// Opens `source` and its decoder.
    /// - Parameters:
    ///   - source: a file path, an `rtsp://`, `rtsps://`, `http(s)://` URL, or `/dev/videoN`.
    ///   - options: see ``Options``.
    /// - Throws: ``FFmpegError`` with FFmpeg's message ("No such file or directory", "Invalid data found
    ///   when processing input", "Connection refused", …), or a "timed out after N s" / "stopped" error.
    public init(source: String, options: Options = Options()) throws(FFmpegError) {
        self.options = options
        self.source = maskCredentials(in: source)
        stopSignal = options.stopSignal ?? StopSignal()
        let interrupt = InterruptState(stop: stopSignal)

        var formatName: String? = nil
        var dictionary: [String: String] = [:]
        let lower = source.lowercased()
        if source.hasPrefix("/dev/video") { formatName = "video4linux2" }
        if let forced = options.inputFormat { formatName = forced }
        if formatName == "video4linux2" || formatName == "v4l2" { try FrameReader.registerDevices() }
        if lower.hasPrefix("rtsp://") || lower.hasPrefix("rtsps://") {
            if let transport = options.rtspTransport { dictionary["rtsp_transport"] = transport }
        }
        dictionary.merge(options.demuxerOptions) { _, new in new }
        input = try InputFile(url: source, formatName: formatName, options: dictionary, interrupt: interrupt,
                              openTimeout: options.openTimeoutSeconds)
        let stream = input.stream
        decoder = try VideoDecoder(stream: stream, codec: input.codec, threads: true)
        scaler = try FrameScaler(flags: SWS_BILINEAR)
        packet = try Packet()
        frame = try Frame()

        let parameters = stream.pointee.codecpar.pointee
        sourceWidth = Int(parameters.width)
        sourceHeight = Int(parameters.height)
        (width, height) = FrameReader.outputSize(sourceWidth: sourceWidth, sourceHeight: sourceHeight,
                                                 width: options.outputWidth, height: options.outputHeight)
        codecName = String(cString: avcodec_get_name(parameters.codec_id))
        let tb = stream.pointee.time_base
        timeBase = (Int64(tb.num), Int64(tb.den > 0 ? tb.den : 1))
        let rate = av_guess_frame_rate(input.context, stream, nil)
        frameRate = rate.num > 0 && rate.den > 0 ? Double(rate.num) / Double(rate.den) : nil
        if stream.pointee.duration != CFFmpeg_AV_NOPTS_VALUE && stream.pointee.duration > 0 && tb.den > 0 {
            durationSeconds = Double(stream.pointee.duration) * Double(tb.num) / Double(tb.den)
        } else if let context = input.context, context.pointee.duration > 0 {
            durationSeconds = Double(context.pointee.duration) / Double(CFFmpeg_AV_TIME_BASE)
        } else {
            durationSeconds = nil
        }

        if let start = options.startSeconds, start > 0 {
            let halfFrame = 0.5 / (frameRate ?? 50)
            discardBefore = start - halfFrame
            let target = Int64((start * Double(timeBase.den) / Double(max(timeBase.num, 1))).rounded(.down))
            do {
                try input.seek(toTimestamp: target, timeout: options.openTimeoutSeconds)
                decoder.flush()
            } catch {
                if error.isTimeout || error.reason == .stopped { throw error }
                // Not seekable (e.g. live): decode from here and drop frames until the start instead.
                FFmpegLog.record("platetop: \(error.description); decoding from the beginning instead\n")
            }
        }
    }

    /// Asks a blocked or future ``next()`` to return nil soon. Same as `stopSignal.request()`.
    /// Safe to call from any thread (the flag is atomic), but since the class is not `Sendable`, other
    /// queues should hold ``stopSignal`` instead of the reader.
    public func requestStop() { stopSignal.request() }

    /// The next decoded frame, or nil at the end of the stream, after `maxFrames`, or after a stop request.
    ///
    /// Drains the decoder at end of input. With `.realtime` pace it sleeps until the frame's time.
    /// Packets the decoder rejects as invalid data are skipped (a live stream recovers at the next keyframe).
    /// - Throws: ``FFmpegError`` for read/decode failures, including "timed out after N s waiting for …".
    ///   A read error in the middle of a file is thrown after the frames already buffered are returned.
    ///   After nil or a thrown error, every later call returns nil.
    public func next() throws(FFmpegError) -> DecodedFrame? {
        do {
            return try nextFrame()
        } catch {
            if error.reason == .stopped {
                finished = true
                return nil
            }
            finished = true
            throw error
        }
    }

    private func nextFrame() throws(FFmpegError) -> DecodedFrame? {
        if finished { return nil }
        if let maxFrames = options.maxFrames, returned >= maxFrames {
            finished = true
            return nil
        }
        while true {
            if stopSignal.isRequested {
                finished = true
                return nil
            }
            switch try decoder.receive(into: frame) {
            case .frame:
                let pts = ptsSeconds(of: frame)
                lastPts = pts
                if let start = discardBefore {
                    if pts < start {
                        av_frame_unref(frame.pointer)
                        continue
                    }
                    discardBefore = nil
                }
                let (outWidth, outHeight) = FrameReader.outputSize(
                    sourceWidth: Int(frame.pointer.pointee.width), sourceHeight: Int(frame.pointer.pointee.height),
                    width: options.outputWidth, height: options.outputHeight)
                let image = try scaler.convert(frame, to: options.pixelFormat, width: outWidth, height: outHeight)
                av_frame_unref(frame.pointer)
                if options.pace == .realtime {
                    waitForPresentation(of: pts)
                    if stopSignal.isRequested {
                        finished = true
                        return nil
                    }
                }
                let decoded = DecodedFrame(index: returned, ptsSeconds: pts, image: image)
                returned += 1
                return decoded
            case .needsInput:
                if inputEnded {
                    finished = true
                    return nil
                }
                try feed()
            case .endOfStream:
                finished = true
                if let deferredError { throw deferredError }
                return nil
            }
        }
    }

    /// Sends packets until the decoder accepts one (or the input ends and the decoder is flushed).
    private func feed() throws(FFmpegError) {
        while true {
            if !pendingPacket {
                let step: InputFile.ReadStep
                do {
                    step = try input.read(into: packet, timeout: options.readTimeoutSeconds)
                } catch {
                    if error.isTimeout || error.reason == .stopped { throw error }
                    // A broken file: return what the decoder still holds, then report.
                    deferredError = error
                    step = .endOfStream
                }
                if step == .endOfStream {
                    _ = try decoder.send(nil)
                    inputEnded = true
                    return
                }
                if packet.pointer.pointee.stream_index != input.streamIndex {
                    packet.unref()
                    continue
                }
            }
            switch try decoder.send(packet) {
            case .accepted:
                pendingPacket = false
                invalidPackets = 0
                packet.unref()
                return
            case .full:
                // Cannot happen right after receive() said it needs input; keep the packet for later.
                pendingPacket = true
                return
            case .invalidData:
                pendingPacket = false
                packet.unref()
                invalidPackets += 1
                if invalidPackets > 100 {
                    throw FFmpegError(code: CFFmpeg_AVERROR_INVALIDDATA, call: "avcodec_send_packet(\(source))")
                }
            }
        }
    }

    private func ptsSeconds(of frame: Frame) -> Double {
        let ts = frame.pointer.pointee.best_effort_timestamp
        if ts != CFFmpeg_AV_NOPTS_VALUE {
            return Double(ts) * Double(timeBase.num) / Double(timeBase.den)
        }
        let step = 1 / (frameRate ?? 25)
        if let lastPts { return lastPts + step }
        return Double(returned) * step
    }

    /// Sleeps (in short slices, watching the stop flag) until `pts` is due on the monotonic clock.
    private func waitForPresentation(of pts: Double) {
        let now = monotonicNanoseconds()
        guard let origin = paceOrigin else {
            paceOrigin = (now, pts)
            return
        }
        let offset = pts - origin.pts
        // A jump back in time, or far ahead/behind (live hiccup, wrap): start a new timeline here.
        if offset < 0 || offset > 3600 {
            paceOrigin = (now, pts)
            return
        }
        let due = origin.wall &+ UInt64(offset * 1e9)
        if now >= due {
            if now - due > 2_000_000_000 { paceOrigin = (now, pts) }
            return
        }
        if due - now > 5_000_000_000 {
            paceOrigin = (now, pts)
            return
        }
        while !stopSignal.isRequested {
            let current = monotonicNanoseconds()
            if current >= due { break }
            let slice = min(due - current, 20_000_000)
            var request = timespec(tv_sec: 0, tv_nsec: Int(slice))
            nanosleep(&request, nil)
        }
    }

    static func outputSize(sourceWidth: Int, sourceHeight: Int, width: Int?, height: Int?) -> (Int, Int) {
        switch (width, height) {
        case let (w?, h?): return (max(1, w), max(1, h))
        case let (w?, nil) where sourceWidth > 0:
            return (max(1, w), max(1, Int((Double(w) * Double(sourceHeight) / Double(sourceWidth)).rounded())))
        case let (nil, h?) where sourceHeight > 0:
            return (max(1, Int((Double(h) * Double(sourceWidth) / Double(sourceHeight)).rounded())), max(1, h))
        default: return (sourceWidth, sourceHeight)
        }
    }

    /// Registers libavdevice's inputs (video4linux2) once, loading the library at run time so that the
    /// build needs no libavdevice headers.
    private static func registerDevices() throws(FFmpegError) {
        if !devicesRegistered {
            throw FFmpegError(code: CFFmpeg_AVERROR_DEMUXER_NOT_FOUND, call: "avdevice_register_all (libavdevice.so.59 not loadable)")
        }
    }
}

private let devicesRegistered: Bool = {
    for name in ["libavdevice.so.59", "libavdevice.so"] {
        guard let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) else { continue }
        guard let symbol = dlsym(handle, "avdevice_register_all") else { continue }
        typealias Register = @convention(c) () -> Void
        unsafeBitCast(symbol, to: Register.self)()
        return true
    }
    return false
}()
