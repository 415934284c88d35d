internal import CFFmpeg
import PlatetopCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Internal owners of FFmpeg's C resources: one class per C lifetime, freed in deinit.
// None of them is Sendable; they live on the decode queue that created them.

/// Monotonic time in nanoseconds (`CLOCK_MONOTONIC`).
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// The Swift state behind an `AVIOInterruptCB`: a deadline for the blocking call in progress and the
/// shared stop flag. FFmpeg polls ``shouldInterrupt()`` from inside its blocking I/O loops.
final class InterruptState {
    enum Fired { case none, timeout(seconds: Double, waitingFor: String), stop }

    let stop: StopSignal
    private let deadline = Atomic<UInt64>(UInt64.max)
    // Written by shouldInterrupt(), which FFmpeg calls on the thread running the blocking call,
    // i.e. the same thread that reads them afterwards.
    private var firedThisCall = Fired.none
    private var firedEver = Fired.none
    private var waitSeconds: Double = 0
    private var waitingFor = ""

    init(stop: StopSignal) { self.stop = stop }

    /// Starts the clock for one blocking call.
    func arm(seconds: Double, waitingFor: String) {
        waitSeconds = seconds
        self.waitingFor = waitingFor
        firedThisCall = .none
        let nanos = seconds.isFinite && seconds > 0 ? UInt64(seconds * 1e9) : UInt64.max / 2
        deadline.store(monotonicNanoseconds() &+ nanos, ordering: .relaxed)
    }

    /// No deadline (the stop flag still applies).
    func disarm() { deadline.store(UInt64.max, ordering: .relaxed) }

    /// 1 to make FFmpeg give up (`AVERROR_EXIT`), 0 to go on.
    func shouldInterrupt() -> Int32 {
        if stop.isRequested {
            firedThisCall = .stop
            firedEver = .stop
            return 1
        }
        if monotonicNanoseconds() >= deadline.load(ordering: .relaxed) {
            firedThisCall = .timeout(seconds: waitSeconds, waitingFor: waitingFor)
            firedEver = firedThisCall
            return 1
        }
        return 0
    }

    /// The error for a failed call, saying "timed out" or "stopped" when this callback caused it: during
    /// this call (whatever code FFmpeg turned it into), or earlier when FFmpeg reports the sticky
    /// `AVERROR_EXIT` of an I/O context that was interrupted before.
    func error(code: Int32, call: String) -> FFmpegError {
        var cause = firedThisCall
        if case .none = cause, code == CFFmpeg_AVERROR_EXIT { cause = firedEver }
        switch cause {
        case .timeout(let seconds, let source):
            return FFmpegError(code: code, call: call, reason: .timedOut(seconds: seconds, waitingFor: source))
        case .stop:
            return FFmpegError(code: code, call: call, reason: .stopped)
        case .none:
            if stop.isRequested { return FFmpegError(code: code, call: call, reason: .stopped) }
            return FFmpegError(code: code, call: call)
        }
    }

    /// Throws ``error(code:call:)`` when `code` is negative.
    func check(_ code: Int32, _ call: @autoclosure () -> String) throws(FFmpegError) {
        if code < 0 { throw error(code: code, call: call()) }
    }
}

/// The C trampoline for `AVIOInterruptCB`; `opaque` is an unretained ``InterruptState``.
private let interruptTrampoline: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { opaque in
    guard let opaque else { return 0 }
    return Unmanaged<InterruptState>.fromOpaque(opaque).takeUnretainedValue().shouldInterrupt()
}

/// An owned `AVPacket`.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(FFmpegError) {
        guard let p = av_packet_alloc() else { throw FFmpegError(code: CFFmpeg_averror(ENOMEM), call: "av_packet_alloc") }
        pointer = p
    }

    func unref() { av_packet_unref(pointer) }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&p)
    }
}

/// An owned `AVFrame`.
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws(FFmpegError) {
        guard let p = av_frame_alloc() else { throw FFmpegError(code: CFFmpeg_averror(ENOMEM), call: "av_frame_alloc") }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&p)
    }

    /// The frame's plane pointers and strides as C arrays (`data[8]`, `linesize[8]`).
    func withPlanes<R>(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int32>) throws(FFmpegError) -> R)
        throws(FFmpegError) -> R
    {
        let raw = UnsafeMutableRawPointer(pointer)
        let data = (raw + MemoryLayout<AVFrame>.offset(of: \AVFrame.data)!)
            .assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
        let lines = (raw + MemoryLayout<AVFrame>.offset(of: \AVFrame.linesize)!).assumingMemoryBound(to: Int32.self)
        return try body(data, lines)
    }
}

/// An opened input (`AVFormatContext`) and its best video stream.
final class InputFile {
    private(set) var context: UnsafeMutablePointer<AVFormatContext>?
    let interrupt: InterruptState
    /// The source with credentials masked.
    let displayName: String
    // Defaults so that every stored property is set before the first `throw` after opening: Swift then
    // runs deinit, which closes the context.
    private(set) var streamIndex: Int32 = -1
    private var bestDecoder: UnsafePointer<AVCodec>? = nil
    /// The decoder FFmpeg picked for the video stream.
    var codec: UnsafePointer<AVCodec> { bestDecoder! }

    /// Opens `url` and finds its video stream. Wraps `avformat_open_input`, `avformat_find_stream_info`
    /// and `av_find_best_stream`; the whole open must finish within `openTimeout` seconds.
    init(url: String, formatName: String?, options: [String: String], interrupt: InterruptState,
         openTimeout: Double) throws(FFmpegError)
    {
        FFmpegLog.installIfNeeded()
        self.interrupt = interrupt
        displayName = maskCredentials(in: url)
        guard let allocated = avformat_alloc_context() else {
            throw FFmpegError(code: CFFmpeg_averror(ENOMEM), call: "avformat_alloc_context")
        }
        allocated.pointee.interrupt_callback = AVIOInterruptCB(
            callback: interruptTrampoline, opaque: Unmanaged.passUnretained(interrupt).toOpaque())

        var format: UnsafePointer<AVInputFormat>? = nil
        if let formatName {
            format = av_find_input_format(formatName)
            if format == nil {
                avformat_free_context(allocated)
                throw FFmpegError(code: CFFmpeg_AVERROR_DEMUXER_NOT_FOUND, call: "av_find_input_format(\(formatName))")
            }
        }
        var dictionary: OpaquePointer? = nil
        for (key, value) in options.sorted(by: { $0.key < $1.key }) { av_dict_set(&dictionary, key, value, 0) }
        defer { av_dict_free(&dictionary) }

        interrupt.arm(seconds: openTimeout, waitingFor: displayName)
        defer { interrupt.disarm() }
        var opened: UnsafeMutablePointer<AVFormatContext>? = allocated
        let code = avformat_open_input(&opened, url, format, &dictionary)
        // On failure avformat_open_input frees the context and sets `opened` to nil.
        try interrupt.check(code, "avformat_open_input(\(url))")
        context = opened
        try interrupt.check(avformat_find_stream_info(opened, nil), "avformat_find_stream_info(\(url))")
        var decoder: UnsafePointer<AVCodec>? = nil
        let index = av_find_best_stream(opened, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        try check(index, "av_find_best_stream(\(url), video)")
        guard let decoder else {
            throw FFmpegError(code: CFFmpeg_AVERROR_DECODER_NOT_FOUND, call: "av_find_best_stream(\(url), video)")
        }
        streamIndex = index
        bestDecoder = decoder
    }

    deinit {
        // Closing an RTSP input sends TEARDOWN and waits for the reply; a server that is dying (its
        // socket still accepts, nothing answers) would block that wait forever without a deadline.
        interrupt.arm(seconds: 1, waitingFor: "closing \(displayName)")
        avformat_close_input(&context)
    }

    var stream: UnsafeMutablePointer<AVStream> { context!.pointee.streams[Int(streamIndex)]! }

    enum ReadStep { case packet, endOfStream }

    /// Reads the next packet of any stream into `packet`; the read must finish within `timeout` s.
    /// Wraps `av_read_frame`.
    func read(into packet: Packet, timeout: Double) throws(FFmpegError) -> ReadStep {
        interrupt.arm(seconds: timeout, waitingFor: displayName)
        defer { interrupt.disarm() }
        let code = av_read_frame(context, packet.pointer)
        if code == CFFmpeg_AVERROR_EOF { return .endOfStream }
        // A plain EOF from a stopped read is also the end.
        try interrupt.check(code, "av_read_frame(\(displayName))")
        return .packet
    }

    /// Seeks the video stream to the keyframe at or before `timestamp` (stream time base).
    /// Wraps `avformat_seek_file`.
    func seek(toTimestamp timestamp: Int64, timeout: Double) throws(FFmpegError) {
        interrupt.arm(seconds: timeout, waitingFor: displayName)
        defer { interrupt.disarm() }
        var code = avformat_seek_file(context, streamIndex, Int64.min, timestamp, timestamp, 0)
        if code < 0 {
            code = av_seek_frame(context, streamIndex, timestamp, AVSEEK_FLAG_BACKWARD)
        }
        try interrupt.check(code, "avformat_seek_file(\(displayName), \(timestamp))")
    }
}

/// An opened decoder (`AVCodecContext`) for one stream.
final class VideoDecoder {
    private var context: UnsafeMutablePointer<AVCodecContext>?

    /// Wraps `avcodec_alloc_context3`, `avcodec_parameters_to_context` and `avcodec_open2`.
    /// - Parameter threads: use FFmpeg's frame+slice threads with an automatic count.
    init(stream: UnsafeMutablePointer<AVStream>, codec: UnsafePointer<AVCodec>, threads: Bool,
         options: [String: String] = [:]) throws(FFmpegError)
    {
        let name = String(cString: codec.pointee.name)
        guard let allocated = avcodec_alloc_context3(codec) else {
            throw FFmpegError(code: CFFmpeg_averror(ENOMEM), call: "avcodec_alloc_context3(\(name))")
        }
        context = allocated
        try check(avcodec_parameters_to_context(allocated, stream.pointee.codecpar), "avcodec_parameters_to_context(\(name))")
        allocated.pointee.pkt_timebase = stream.pointee.time_base
        if threads {
            allocated.pointee.thread_count = 0
            allocated.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        } else {
            allocated.pointee.thread_count = 1
        }
        var dictionary: OpaquePointer? = nil
        for (key, value) in options.sorted(by: { $0.key < $1.key }) { av_dict_set(&dictionary, key, value, 0) }
        defer { av_dict_free(&dictionary) }
        try check(avcodec_open2(allocated, codec, &dictionary), "avcodec_open2(\(name))")
    }

    deinit {
        avcodec_free_context(&context)
    }

    enum SendStep { case accepted, full, invalidData }

    /// Feeds one packet, or the end-of-stream flush when `packet` is nil. Wraps `avcodec_send_packet`.
    func send(_ packet: Packet?) throws(FFmpegError) -> SendStep {
        let code = avcodec_send_packet(context, packet?.pointer)
        if code == CFFmpeg_averror(EAGAIN) { return .full }
        if code == CFFmpeg_AVERROR_EOF { return .accepted }  // already flushing
        if code == CFFmpeg_AVERROR_INVALIDDATA { return .invalidData }
        try check(code, "avcodec_send_packet")
        return .accepted
    }

    enum DecodeStep { case frame, needsInput, endOfStream }

    /// Takes the next decoded frame into `frame`. Wraps `avcodec_receive_frame`.
    func receive(into frame: Frame) throws(FFmpegError) -> DecodeStep {
        let code = avcodec_receive_frame(context, frame.pointer)
        if code == CFFmpeg_averror(EAGAIN) { return .needsInput }
        if code == CFFmpeg_AVERROR_EOF { return .endOfStream }
        try check(code, "avcodec_receive_frame")
        return .frame
    }

    /// Drops buffered frames after a seek. Wraps `avcodec_flush_buffers`.
    func flush() { avcodec_flush_buffers(context) }
}

/// Converts decoded frames to packed rgb24/gray8 with libswscale, reusing its context and buffer.
final class FrameScaler {
    struct Key: Equatable {
        var srcWidth: Int32, srcHeight: Int32, srcFormat: Int32, srcFullRange: Bool, colorspace: Int32
        var dstWidth: Int32, dstHeight: Int32, dstFormat: Int32
    }

    private var context: OpaquePointer?
    private var key: Key?
    private let output: Frame
    let flags: Int32

    /// - Parameter flags: `SWS_*` flags, e.g. `SWS_BILINEAR`.
    init(flags: Int32) throws(FFmpegError) {
        self.flags = flags
        output = try Frame()
    }

    deinit {
        sws_freeContext(context)
    }

    /// The non-deprecated twin of a `yuvj*` format and whether the format implies full range.
    static func normalized(_ format: AVPixelFormat) -> (AVPixelFormat, Bool) {
        switch format {
        case AV_PIX_FMT_YUVJ420P: return (AV_PIX_FMT_YUV420P, true)
        case AV_PIX_FMT_YUVJ422P: return (AV_PIX_FMT_YUV422P, true)
        case AV_PIX_FMT_YUVJ444P: return (AV_PIX_FMT_YUV444P, true)
        case AV_PIX_FMT_YUVJ440P: return (AV_PIX_FMT_YUV440P, true)
        case AV_PIX_FMT_YUVJ411P: return (AV_PIX_FMT_YUV411P, true)
        default: return (format, false)
        }
    }

    /// The frame converted to `format` at `width`x`height`, copied row by row into Swift memory.
    /// Wraps `sws_getContext`, `sws_setColorspaceDetails` and `sws_scale`.
    func convert(_ frame: Frame, to format: PixelImage.Format, width: Int, height: Int) throws(FFmpegError) -> PixelImage {
        let src = frame.pointer.pointee
        let (srcFormat, impliedFull) = FrameScaler.normalized(AVPixelFormat(rawValue: src.format))
        let dstFormat = format == .rgb24 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_GRAY8
        let wanted = Key(srcWidth: src.width, srcHeight: src.height, srcFormat: srcFormat.rawValue,
                         srcFullRange: impliedFull || src.color_range == AVCOL_RANGE_JPEG,
                         colorspace: Int32(bitPattern: src.colorspace.rawValue),
                         dstWidth: Int32(width), dstHeight: Int32(height), dstFormat: dstFormat.rawValue)
        if wanted != key {
            try rebuild(for: wanted)
        }
        return try frame.withPlanes { (srcData, srcLines) throws(FFmpegError) -> PixelImage in
            try output.withPlanes { (dstData, dstLines) throws(FFmpegError) -> PixelImage in
                let rows = srcData.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { constData in
                    sws_scale(context, constData, srcLines, 0, src.height, dstData, dstLines)
                }
                try check(rows, "sws_scale")
                let rowBytes = width * format.channels
                var pixels = [UInt8](repeating: 0, count: rowBytes * height)
                let stride = Int(dstLines[0])
                guard let base = dstData[0] else { throw FFmpegError(code: CFFmpeg_averror(EINVAL), call: "sws_scale") }
                pixels.withUnsafeMutableBytes { out in
                    for y in 0..<height {
                        (out.baseAddress! + y * rowBytes).copyMemory(from: base + y * stride, byteCount: rowBytes)
                    }
                }
                return PixelImage(width: width, height: height, format: format, pixels: pixels)
            }
        }
    }

    private func rebuild(for wanted: Key) throws(FFmpegError) {
        sws_freeContext(context)
        context = nil
        key = nil
        guard let created = sws_getContext(wanted.srcWidth, wanted.srcHeight, AVPixelFormat(rawValue: wanted.srcFormat),
                                           wanted.dstWidth, wanted.dstHeight, AVPixelFormat(rawValue: wanted.dstFormat),
                                           flags, nil, nil, nil)
        else {
            throw FFmpegError(code: CFFmpeg_averror(EINVAL),
                              call: "sws_getContext(\(wanted.srcWidth)x\(wanted.srcHeight) fmt \(wanted.srcFormat) -> \(wanted.dstWidth)x\(wanted.dstHeight))")
        }
        context = created
        // Full-range (JPEG) input and BT.709 matrices need telling; RGB/gray output is full range.
        let space: Int32
        switch AVColorSpace(rawValue: UInt32(bitPattern: wanted.colorspace)) {
        case AVCOL_SPC_BT709: space = SWS_CS_ITU709
        case AVCOL_SPC_BT2020_NCL, AVCOL_SPC_BT2020_CL: space = SWS_CS_BT2020
        case AVCOL_SPC_SMPTE240M: space = SWS_CS_SMPTE240M
        case AVCOL_SPC_FCC: space = SWS_CS_FCC
        default: space = SWS_CS_ITU601
        }
        let isYUV = !isRGBorGray(AVPixelFormat(rawValue: wanted.srcFormat))
        if isYUV {
            _ = sws_setColorspaceDetails(created, sws_getCoefficients(space), wanted.srcFullRange ? 1 : 0,
                                         sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16)
        }
        // A reusable, aligned destination buffer.
        av_frame_unref(output.pointer)
        output.pointer.pointee.width = wanted.dstWidth
        output.pointer.pointee.height = wanted.dstHeight
        output.pointer.pointee.format = wanted.dstFormat
        try check(av_frame_get_buffer(output.pointer, 0), "av_frame_get_buffer")
        key = wanted
    }

    private func isRGBorGray(_ format: AVPixelFormat) -> Bool {
        guard let descriptor = av_pix_fmt_desc_get(format) else { return false }
        let flags = descriptor.pointee.flags
        return flags & UInt64(AV_PIX_FMT_FLAG_RGB) != 0 || descriptor.pointee.nb_components <= 2
    }
}
