internal import CFFmpeg
import PlatetopCore

/// Lossless PNG output through FFmpeg's PNG encoder (rgb24 → RGB PNG, gray8 → greyscale PNG).
public enum PNGWriter {
    /// The PNG file bytes for `image`. Wraps `avcodec_send_frame` / `avcodec_receive_packet` of the `png` encoder.
    /// - Throws: ``FFmpegError`` when the encoder is missing or fails.
    public static func encode(_ image: PixelImage) throws(FFmpegError) -> [UInt8] {
        FFmpegLog.installIfNeeded()
        guard image.width > 0, image.height > 0 else {
            throw FFmpegError(code: CFFmpeg_averror(EINVAL), call: "PNGWriter.encode(\(image.width)x\(image.height))")
        }
        let encoder = try PNGEncoder(width: image.width, height: image.height, format: image.format)
        return try encoder.encode(image)
    }

    /// Writes `image` as a PNG file at `path` (replacing it). Wraps `avio_open` / `avio_write`.
    /// - Throws: ``FFmpegError``, e.g. "No such file or directory" for a missing folder.
    public static func write(_ image: PixelImage, to path: String) throws(FFmpegError) {
        let bytes = try encode(image)
        var io: UnsafeMutablePointer<AVIOContext>? = nil
        try check(avio_open(&io, path, AVIO_FLAG_WRITE), "avio_open(\(path))")
        bytes.withUnsafeBufferPointer { avio_write(io, $0.baseAddress, Int32($0.count)) }
        avio_flush(io)
        let failed = io?.pointee.error ?? 0
        let closed = avio_closep(&io)
        try check(failed, "avio_write(\(path))")
        try check(closed, "avio_close(\(path))")
    }
}

/// An opened `png` encoder context and its input frame.
final class PNGEncoder {
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private let frame: Frame
    private let packet: Packet

    init(width: Int, height: Int, format: PixelImage.Format) throws(FFmpegError) {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else {
            throw FFmpegError(code: CFFmpeg_AVERROR_ENCODER_NOT_FOUND, call: "avcodec_find_encoder(png)")
        }
        frame = try Frame()
        packet = try Packet()
        guard let allocated = avcodec_alloc_context3(codec) else {
            throw FFmpegError(code: CFFmpeg_averror(ENOMEM), call: "avcodec_alloc_context3(png)")
        }
        context = allocated
        let pixelFormat = format == .rgb24 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_GRAY8
        allocated.pointee.width = Int32(width)
        allocated.pointee.height = Int32(height)
        allocated.pointee.pix_fmt = pixelFormat
        allocated.pointee.time_base = AVRational(num: 1, den: 1)
        try check(avcodec_open2(allocated, codec, nil), "avcodec_open2(png)")
        frame.pointer.pointee.width = Int32(width)
        frame.pointer.pointee.height = Int32(height)
        frame.pointer.pointee.format = pixelFormat.rawValue
        try check(av_frame_get_buffer(frame.pointer, 0), "av_frame_get_buffer")
    }

    deinit {
        avcodec_free_context(&context)
    }

    func encode(_ image: PixelImage) throws(FFmpegError) -> [UInt8] {
        let rowBytes = image.width * image.channels
        try frame.withPlanes { (data, lines) throws(FFmpegError) in
            guard let base = data[0] else { throw FFmpegError(code: CFFmpeg_averror(EINVAL), call: "av_frame_get_buffer") }
            let stride = Int(lines[0])
            image.pixels.withUnsafeBytes { src in
                for y in 0..<image.height {
                    (base + y * stride).update(from: src.baseAddress!.assumingMemoryBound(to: UInt8.self) + y * rowBytes,
                                               count: rowBytes)
                }
            }
        }
        frame.pointer.pointee.pts = 0
        try check(avcodec_send_frame(context, frame.pointer), "avcodec_send_frame(png)")
        try check(avcodec_send_frame(context, nil), "avcodec_send_frame(png, flush)")
        var bytes: [UInt8] = []
        while true {
            let code = avcodec_receive_packet(context, packet.pointer)
            if code == CFFmpeg_AVERROR_EOF || code == CFFmpeg_averror(EAGAIN) { break }
            try check(code, "avcodec_receive_packet(png)")
            let p = packet.pointer.pointee
            bytes.append(contentsOf: UnsafeBufferPointer(start: p.data, count: Int(p.size)))
            packet.unref()
        }
        if bytes.isEmpty { throw FFmpegError(code: CFFmpeg_AVERROR_INVALIDDATA, call: "avcodec_receive_packet(png): no output") }
        return bytes
    }
}
