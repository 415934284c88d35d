import Foundation
import PlatetopCore
import PlatetopVideo
import Testing

private func readAll(_ path: String, _ options: FrameReader.Options = .init()) throws -> [DecodedFrame] {
    let reader = try FrameReader(source: path, options: options)
    var frames: [DecodedFrame] = []
    while let frame = try reader.next() { frames.append(frame) }
    return frames
}

@Suite("FrameReader")
struct FrameReaderTests {
    @Test("frame count and every pts match ffprobe", arguments: ["25fps-mp4", "ntsc-mp4", "ntsc-mkv"])
    func timestampsMatchFFprobe(clip: String) throws {
        let path: String
        switch clip {
        case "25fps-mp4": path = try Clips.h264At25.get()
        case "ntsc-mp4": path = try Clips.h264NTSC.get()
        default: path = try Clips.h264NTSCMatroska.get()
        }
        let expected = try ffprobeTimestamps(path)
        #expect(expected.count >= 50)
        let frames = try readAll(path)
        #expect(frames.count == expected.count)
        for (i, frame) in frames.enumerated() {
            #expect(frame.index == i)
            if i < expected.count {
                #expect(abs(frame.ptsSeconds - expected[i]) <= 1e-6, "frame \(i): \(frame.ptsSeconds) vs \(expected[i])")
            }
        }
        // The pts are not a counter at 25 fps in disguise: NTSC steps are 1001/30000 s.
        if clip != "25fps-mp4", frames.count > 10 {
            #expect(abs((frames[10].ptsSeconds - frames[0].ptsSeconds) - 10 * 1001.0 / 30000) < 2e-3)
        }
    }

    @Test("stream properties")
    func properties() throws {
        let path = try Clips.h264At25.get()
        let reader = try FrameReader(source: path)
        #expect(reader.width == 320 && reader.height == 240)
        #expect(reader.sourceWidth == 320 && reader.sourceHeight == 240)
        #expect(reader.codecName == "h264")
        #expect(abs((reader.frameRate ?? 0) - 25) < 1e-9)
        #expect(abs((reader.durationSeconds ?? 0) - 3) < 0.05)
        #expect(reader.source == path)
        let first = try #require(try reader.next())
        #expect(first.image.format == .rgb24)
        #expect(first.image.pixels.count == 320 * 240 * 3)
        // testsrc2 is colourful: not a blank or grey frame.
        let distinct = Set(stride(from: 0, to: first.image.pixels.count, by: 97).map { first.image.pixels[$0] })
        #expect(distinct.count > 20)
    }

    @Test("startSeconds seeks: first pts within one frame of 2.0")
    func seek() throws {
        let path = try Clips.h264At25.get()
        let frames = try readAll(path, .init(startSeconds: 2))
        let first = try #require(frames.first)
        #expect(first.index == 0)
        #expect(abs(first.ptsSeconds - 2.0) < 1.0 / 25)
        #expect(first.ptsSeconds >= 2.0 - 0.5 / 25)
        // The rest of the clip, 2.0 ..< 3.0 s at 25 fps.
        #expect(frames.count == 25)
        // The frame after the seek is the same picture as when decoding from the start.
        let all = try readAll(path, .init(maxFrames: 51))
        let same = try #require(all.first { abs($0.ptsSeconds - first.ptsSeconds) < 1e-9 })
        #expect(same.image == first.image)
    }

    @Test("maxFrames is honoured")
    func maxFrames() throws {
        let path = try Clips.h264At25.get()
        let expected = try ffprobeTimestamps(path)
        let frames = try readAll(path, .init(maxFrames: 7))
        #expect(frames.count == 7)
        #expect(frames.map(\.index) == Array(0..<7))
        for (frame, pts) in zip(frames, expected) { #expect(abs(frame.ptsSeconds - pts) <= 1e-6) }
    }

    @Test("gray8 output has one byte per pixel and matches the RGB luma")
    func gray() throws {
        let path = try Clips.h264At25.get()
        let gray = try #require(try FrameReader(source: path, options: .init(pixelFormat: .gray8)).next())
        #expect(gray.image.format == .gray8)
        #expect(gray.image.width == 320 && gray.image.height == 240)
        #expect(gray.image.pixels.count == 320 * 240)
        let rgb = try #require(try FrameReader(source: path).next())
        let luma = rgb.image.grayscale()
        let diff = zip(gray.image.pixels, luma.pixels).map { abs(Int($0) - Int($1)) }
        let mean = Double(diff.reduce(0, +)) / Double(diff.count)
        #expect(mean < 3, "mean |gray8 - luma(rgb24)| = \(mean)")
    }

    @Test("outputWidth downscales keeping the aspect ratio")
    func downscale() throws {
        let path = try Clips.h264At25.get()
        let reader = try FrameReader(source: path, options: .init(outputWidth: 160))
        #expect(reader.width == 160 && reader.height == 120)
        let frame = try #require(try reader.next())
        #expect(frame.image.width == 160 && frame.image.height == 120)
        #expect(frame.image.pixels.count == 160 * 120 * 3)
    }

    @Test("realtime pace releases a 1 s clip over about 1 s; fast does not wait")
    func realtimePace() throws {
        let path = try Clips.oneSecond.get()
        let fastStart = ContinuousClock.now
        let fast = try readAll(path)
        let fastTime = elapsed(since: fastStart)
        let start = ContinuousClock.now
        let paced = try readAll(path, .init(pace: .realtime))
        let wall = elapsed(since: start)
        #expect(paced.count == 25 && fast.count == 25)
        let span = paced.last!.ptsSeconds - paced.first!.ptsSeconds
        #expect(wall >= span - 0.02 && wall >= 0.9, "realtime took \(wall) s for \(span) s of video")
        #expect(wall < span + 1.0)
        #expect(fastTime < wall - 0.3, "fast took \(fastTime) s, realtime \(wall) s")
    }

    @Test("requestStop ends a realtime read early")
    func stopDuringPacing() throws {
        let path = try Clips.h264At25.get()
        let reader = try FrameReader(source: path, options: .init(pace: .realtime))
        let signal = reader.stopSignal
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { signal.request() }
        let start = ContinuousClock.now
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(elapsed(since: start) < 1.5)
        #expect(count > 0 && count < 40)
        #expect(try reader.next() == nil)
    }
}

@Suite("FrameReader errors")
struct FrameReaderErrorTests {
    @Test("a missing file says No such file or directory")
    func missing() throws {
        let path = NSTemporaryDirectory() + "platetop-does-not-exist-\(UUID().uuidString).mp4"
        let error = #expect(throws: FFmpegError.self) { try FrameReader(source: path) }
        #expect(error?.description.contains("No such file or directory") == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("avformat_open_input(\(path))") == true)
        #expect(error?.code == -ENOENT)
    }

    @Test("a text file named .mp4 is invalid data")
    func textFile() throws {
        let dir = try makeTempDirectory("text")
        let path = dir + "/notes.mp4"
        try String(repeating: "this is not a video, just some words\n", count: 50).write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: FFmpegError.self) { try FrameReader(source: path) }
        #expect(error?.description.contains("Invalid data found") == true, "\(String(describing: error))")
    }

    @Test("the first 2 KB of an mp4 is invalid data, and FFmpeg's reason lands in FFmpegLog")
    func truncatedHead() throws {
        let source = try Clips.h264At25.get()
        let dir = try makeTempDirectory("trunc")
        let path = dir + "/head.mp4"
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        try data.prefix(2048).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: FFmpegError.self) { try FrameReader(source: path) }
        #expect(error?.description.contains("Invalid data found") == true, "\(String(describing: error))")
        #expect(FFmpegLog.recentLines().contains { $0.contains("moov atom not found") })
    }

    @Test("an audio-only file has no video stream")
    func audioOnly() throws {
        let dir = try makeTempDirectory("audio")
        let path = dir + "/tone.wav"
        try ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", path])
        let error = #expect(throws: FFmpegError.self) { try FrameReader(source: path) }
        #expect(error?.description.contains("Stream not found") == true, "\(String(describing: error))")
        #expect(error?.call.hasPrefix("av_find_best_stream") == true)
    }

    @Test("an mp4 cut mid-way gives frames, then ends or throws FFmpegError")
    func truncatedMiddle() throws {
        let source = try Clips.fastStart.get()
        let all = try ffprobeTimestamps(source)
        let dir = try makeTempDirectory("trunc-mid")
        let path = dir + "/half.mp4"
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let reader = try FrameReader(source: path)
        var count = 0
        do {
            while try reader.next() != nil { count += 1 }
        } catch {
            #expect(!error.description.isEmpty)
        }
        #expect(count > 10)
        #expect(count < all.count)
    }
}

@Suite("FrameReader interrupts", .serialized)
struct InterruptTests {
    @Test("a silent RTSP server times out within ~3 s with a timed-out message")
    func openTimeout() throws {
        let server = try LocalServer.silent()
        defer { server.stop() }
        let url = "rtsp://user:secret@127.0.0.1:\(server.port)/live"
        let start = ContinuousClock.now
        let error = #expect(throws: FFmpegError.self) {
            try FrameReader(source: url, options: .init(rtspTransport: "tcp", openTimeoutSeconds: 1))
        }
        let wall = elapsed(since: start)
        #expect(wall >= 0.9 && wall < 3, "took \(wall) s")
        #expect(error?.isTimeout == true)
        let text = error?.description ?? ""
        #expect(text.contains("timed out after 1 s waiting for rtsp://user:***@127.0.0.1:\(server.port)/live"), "\(text)")
        #expect(!text.contains("secret"))
    }

    @Test("a stop request unblocks an open waiting on a silent server")
    func stopDuringOpen() throws {
        let server = try LocalServer.silent()
        defer { server.stop() }
        let signal = StopSignal()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { signal.request() }
        let start = ContinuousClock.now
        let error = #expect(throws: FFmpegError.self) {
            try FrameReader(source: "rtsp://127.0.0.1:\(server.port)/x",
                            options: .init(openTimeoutSeconds: 30, stopSignal: signal))
        }
        let wall = elapsed(since: start)
        #expect(wall >= 0.4 && wall < 3, "took \(wall) s")
        #expect(error?.reason == .stopped)
        #expect(error?.isTimeout == false)
    }

    @Test("an HTTP stream that goes silent mid-way times out on read after some frames")
    func readTimeout() throws {
        let clip = try Clips.transportStream.get()
        let size = try Data(contentsOf: URL(fileURLWithPath: clip)).count
        let server = try LocalServer.stallingHTTP(file: clip, bytes: size / 2)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/clip.ts"
        let reader = try FrameReader(source: url, options: .init(openTimeoutSeconds: 5, readTimeoutSeconds: 1))
        var count = 0
        var failure: FFmpegError?
        let start = ContinuousClock.now
        do {
            while try reader.next() != nil { count += 1 }
        } catch {
            failure = error
        }
        #expect(count > 20)
        #expect(elapsed(since: start) < 5)
        #expect(failure?.isTimeout == true, "\(String(describing: failure))")
        #expect(failure?.description.contains("timed out after 1 s waiting for \(url)") == true)
    }
}

/// Set `PLATETOP_TEST_RTSP_URL` (e.g. a local gst-rtsp-server) to run these against a real RTSP stream.
private let rtspTestURL = ProcessInfo.processInfo.environment["PLATETOP_TEST_RTSP_URL"]

@Suite("FrameReader on a live RTSP stream", .enabled(if: rtspTestURL != nil), .serialized)
struct LiveRTSPTests {
    @Test("decodes frames with increasing pts over TCP and UDP", arguments: ["tcp", "udp"])
    func decodes(transport: String) throws {
        let reader = try FrameReader(source: rtspTestURL!, options: .init(
            maxFrames: 30, pace: .realtime, rtspTransport: transport, openTimeoutSeconds: 5, readTimeoutSeconds: 5))
        #expect(reader.width > 0 && reader.height > 0)
        var frames: [DecodedFrame] = []
        while let frame = try reader.next() { frames.append(frame) }
        #expect(frames.count == 30)
        for (a, b) in zip(frames, frames.dropFirst()) { #expect(b.ptsSeconds > a.ptsSeconds) }
        #expect(frames.allSatisfy { $0.image.width == reader.width && $0.image.height == reader.height })
    }
}

@Suite("FrameReader raw input")
struct RawInputTests {
    @Test("inputFormat + demuxerOptions read raw RGB frames with exact pixels and a 1/10 s clock")
    func rawVideo() throws {
        let dir = try makeTempDirectory("raw")
        let path = dir + "/frames.rgb"
        // Three 8x6 frames: red, then 0x00ff80, then red again.
        var bytes: [UInt8] = []
        for colour: [UInt8] in [[255, 0, 0], [0, 255, 128], [255, 0, 0]] {
            for _ in 0..<(8 * 6) { bytes += colour }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = try FrameReader(source: path, options: .init(
            demuxerOptions: ["video_size": "8x6", "pixel_format": "rgb24", "framerate": "10"], inputFormat: "rawvideo"))
        #expect(reader.codecName == "rawvideo")
        var frames: [DecodedFrame] = []
        while let frame = try reader.next() { frames.append(frame) }
        #expect(frames.count == 3)
        #expect(zip(frames.map(\.ptsSeconds), [0, 0.1, 0.2]).allSatisfy { abs($0 - $1) < 1e-9 }, "\(frames.map(\.ptsSeconds))")
        #expect(frames.map { Array($0.image.pixels.prefix(3)) } == [[255, 0, 0], [0, 255, 128], [255, 0, 0]])
        #expect(frames[1].image.pixels == PixelImage(width: 8, height: 6, format: .rgb24,
                                                     pixels: Array(bytes[(8 * 6 * 3)..<(2 * 8 * 6 * 3)])).pixels)
    }

    @Test("an unknown inputFormat is an FFmpegError, not a crash")
    func unknownFormat() {
        let error = #expect(throws: FFmpegError.self) {
            try FrameReader(source: "/dev/null", options: .init(inputFormat: "no-such-demuxer"))
        }
        #expect(error?.description.contains("Demuxer not found") == true, "\(String(describing: error))")
    }
}
