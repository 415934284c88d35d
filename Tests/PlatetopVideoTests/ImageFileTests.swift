import Foundation
import PlatetopCore
@testable import PlatetopVideo
import Testing

@Suite("ImageFile and PNGWriter")
struct ImageFileTests {
    /// Left half pure red, right half 0x00ff80, made by ffmpeg's lavfi colour sources.
    private func expectTwoColours(_ image: PixelImage) {
        #expect(image.width == 8 && image.height == 3 && image.format == .rgb24)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let i = (y * image.width + x) * 3
                let expected: [UInt8] = x < 4 ? [255, 0, 0] : [0, 255, 128]
                #expect(Array(image.pixels[i..<i + 3]) == expected, "pixel \(x),\(y)")
            }
        }
    }

    @Test("PNG and BMP from a lavfi colour pattern decode to the exact pixels", arguments: ["png", "bmp"])
    func exactPixels(ext: String) throws {
        let dir = try makeTempDirectory("img")
        let path = dir + "/pattern.\(ext)"
        try ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=4x3,format=rgb24",
                    "-f", "lavfi", "-i", "color=c=0x00ff80:s=4x3,format=rgb24",
                    "-filter_complex", "[0][1]hstack", "-frames:v", "1",
                    "-pix_fmt", ext == "png" ? "rgb24" : "bgr24", path])
        expectTwoColours(try ImageFile.load(path: path))
    }

    @Test("a missing image throws FFmpeg's message")
    func missing() {
        let error = #expect(throws: FFmpegError.self) { try ImageFile.load(path: "/nonexistent/plate.jpg") }
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test("PNGWriter round-trips rgb24 and gray8 pixels exactly")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let rgb = PixelImage(width: 37, height: 11, format: .rgb24,
                             pixels: (0..<(37 * 11 * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let gray = PixelImage(width: 13, height: 7, format: .gray8,
                              pixels: (0..<(13 * 7)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let dir = try makeTempDirectory("png")
        try PNGWriter.write(rgb, to: dir + "/rgb.png")
        try PNGWriter.write(gray, to: dir + "/gray.png")
        #expect(try ImageFile.load(path: dir + "/rgb.png") == rgb)
        #expect(try ImageFile.load(path: dir + "/gray.png") == gray.rgb())
        let bytes = try PNGWriter.encode(rgb)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // ffprobe agrees about what was written.
        let probe = try run(ffprobePath, ["-v", "error", "-show_entries", "stream=codec_name,width,height,pix_fmt",
                                          "-of", "csv=p=0", dir + "/gray.png"])
        #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "png,13,7,gray")
    }

    @Test("writing into a missing folder throws")
    func writeFailure() {
        let image = PixelImage(width: 2, height: 2, format: .gray8, fill: 7)
        let error = #expect(throws: FFmpegError.self) { try PNGWriter.write(image, to: "/nonexistent-dir/x.png") }
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test("JPEG decode of all 1000 seed crops equals cv2.imread bit for bit",
          .enabled(if: sharedData != nil && cv2Available))
    func jpegMatchesOpenCV() throws {
        let folder = sharedData! + "/seed-lprnet/test"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".jpg") }.sorted()
            .map { folder + "/" + $0 }
        try #require(files.count == 1000)
        let (mean, worst) = try compareWithOpenCV(files)
        #expect(worst == 0, "max |ours - cv2| = \(worst), mean \(mean)")
    }

    @Test("baseline JPEG layouts decode exactly like cv2.imread; progressive falls back to FFmpeg closely",
          .enabled(if: cv2Available))
    func jpegExactLayouts() throws {
        let dir = try makeTempDirectory("jpeg-exact")
        var exact: [String] = []
        // Restart markers, odd sizes, every baseline sampling layout the decoder handles.
        for (format, size, extra) in [("yuvj420p", "95x23", [String]()), ("yuvj422p", "61x17", []),
                                      ("yuvj444p", "40x9", []), ("gray", "33x7", []),
                                      ("yuvj420p", "4x4", []), ("yuvj420p", "200x60", ["-huffman", "default"]),
                                      ("yuvj420p", "130x41", ["-q:v", "1"])] {
            let path = "\(dir)/\(format)-\(size)-\(extra.count).jpg"
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=\(size)", "-frames:v", "1", "-pix_fmt", format,
                        "-q:v", "3"] + extra + [path])
            #expect(BaselineJPEG.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))) != nil, "\(path)")
            exact.append(path)
        }
        // Restart intervals, written by cv2 itself (libjpeg-turbo).
        let rst = "\(dir)/restart.jpg"
        let write = """
            import cv2, numpy as np
            img = np.random.default_rng(3).integers(0, 256, (37, 83, 3), dtype=np.uint8)
            img = cv2.GaussianBlur(img, (5, 5), 0)
            cv2.imwrite('\(rst)', img, [cv2.IMWRITE_JPEG_RST_INTERVAL, 2, cv2.IMWRITE_JPEG_QUALITY, 90])
            cv2.imwrite('\(dir)/progressive.jpg', img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
            """
        try #require(try run("/usr/bin/python3", ["-c", write]).status == 0)
        let rstBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: rst)))
        #expect(rstBytes.indices.dropLast().contains { rstBytes[$0] == 0xFF && rstBytes[$0 + 1] == 0xD0 }, "no RST0")
        exact.append(rst)
        for file in exact {
            let (mean, worst) = try compareWithOpenCV([file])
            #expect(worst == 0, "\(file): mean \(mean) max \(worst)")
        }
        let progressive = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/progressive.jpg")))
        #expect(BaselineJPEG.decode(progressive) == nil)
        let (mean, worst) = try compareWithOpenCV([dir + "/progressive.jpg"])
        #expect(mean < 0.2 && worst <= 4, "progressive via FFmpeg: mean \(mean) max \(worst)")
    }

    @Test("mutated and truncated JPEGs never crash the baseline decoder")
    func jpegFuzz() throws {
        let dir = try makeTempDirectory("jpeg-fuzz")
        let path = dir + "/a.jpg"
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x32", "-frames:v", "1", "-pix_fmt", "yuvj420p", path])
        let valid = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let reference = try #require(BaselineJPEG.rgb(valid))
        var rng = SystemRandomNumberGenerator()
        var decoded = 0
        for i in 0..<400 {
            var bytes = valid
            if i % 4 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            } else {
                for _ in 0..<(1 + i % 5) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            if let image = BaselineJPEG.rgb(bytes) {
                decoded += 1
                #expect(image.width * image.height * 3 == image.pixels.count)
            }
        }
        // A truncated file has no EOI: never accepted (FFmpeg reports or conceals it instead).
        #expect(BaselineJPEG.rgb(Array(valid.dropLast(40))) == nil)
        #expect(BaselineJPEG.rgb(valid) == reference)
        #expect(decoded < 400)
    }

    @Test("JPEG 4:2:0 / 4:2:2 / 4:4:4 / grey at odd sizes match cv2.imread", .enabled(if: cv2Available))
    func jpegLayoutsMatchOpenCV() throws {
        let dir = try makeTempDirectory("jpeg")
        var files: [String] = []
        for (format, size) in [("yuvj420p", "95x23"), ("yuvj422p", "61x17"), ("yuvj444p", "40x9"), ("gray", "33x7"),
                               ("yuvj420p", "4x4")] {
            let path = "\(dir)/\(format)-\(size).jpg"
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=\(size)", "-frames:v", "1", "-pix_fmt", format,
                        "-q:v", "3", path])
            files.append(path)
        }
        for file in files {
            let (mean, worst) = try compareWithOpenCV([file])
            #expect(mean < 0.1 && worst <= 3, "\(file): mean \(mean) max \(worst)")
        }
    }

    /// Mean and max absolute difference per channel value between ImageFile.load and cv2.imread.
    private func compareWithOpenCV(_ files: [String]) throws -> (Double, Int) {
        let dir = try makeTempDirectory("cv2")
        // cv2 writes each decoded image as raw RGB bytes.
        let script = """
            import cv2, sys
            for i, f in enumerate(sys.argv[2:]):
                open('%s/%d.rgb' % (sys.argv[1], i), 'wb').write(cv2.imread(f)[:, :, ::-1].tobytes())
            """
        let result = try run("/usr/bin/python3", ["-c", script, dir] + files)
        try #require(result.status == 0)
        var total = 0, count = 0, worst = 0
        for (i, file) in files.enumerated() {
            let ours = try ImageFile.load(path: file)
            let reference = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(i).rgb")))
            try #require(reference.count == ours.pixels.count)
            for (a, b) in zip(ours.pixels, reference) {
                let d = abs(Int(a) - Int(b))
                total += d
                worst = max(worst, d)
            }
            count += reference.count
        }
        return (Double(total) / Double(max(count, 1)), worst)
    }
}

let cv2Available: Bool = {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return false }
    return (try? run("/usr/bin/python3", ["-c", "import cv2"]).status) == 0
}()

@Suite("FFmpegError and masking")
struct FFmpegErrorTests {
    @Test("credentials are masked", arguments: [
        ("rtsp://user:pass@host/live", "rtsp://user:***@host/live"),
        ("rtsp://admin:p@ss:w0rd@10.0.0.5:554/s?x=1", "rtsp://admin:***@10.0.0.5:554/s?x=1"),
        ("rtsp://token@cam/x", "rtsp://***@cam/x"),
        ("rtsp://cam1/live", "rtsp://cam1/live"),
        ("/dev/video0", "/dev/video0"),
        ("open(http://a:b@h) and rtsp://c:d@k/", "open(http://a:***@h) and rtsp://c:***@k/"),
    ])
    func masking(input: String, expected: String) {
        #expect(maskCredentials(in: input) == expected)
    }

    @Test("description is the call plus av_strerror's text, with the URL masked")
    func description() {
        let error = FFmpegError(code: -ENOENT, call: "avformat_open_input(rtsp://u:p@h/x)")
        #expect(error.description == "avformat_open_input(rtsp://u:***@h/x): No such file or directory")
        #expect(error.message == "No such file or directory")
        #expect(error == FFmpegError(code: -ENOENT, call: "avformat_open_input(rtsp://u:p@h/x)"))
        #expect(error != FFmpegError(code: -EIO, call: "avformat_open_input(rtsp://u:p@h/x)"))
        let timeout = FFmpegError(code: -1, call: "av_read_frame(x)", reason: .timedOut(seconds: 2.5, waitingFor: "rtsp://a:b@c/"))
        #expect(timeout.description == "av_read_frame(x): timed out after 2.5 s waiting for rtsp://a:***@c/")
    }

    @Test("FFmpegLog keeps lines and a level")
    func log() {
        #expect(FFmpegLog.level == .error)
        #expect(FFmpegLog.echoToStderr == false)
    }
}
