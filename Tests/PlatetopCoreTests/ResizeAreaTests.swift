import Foundation
import Testing
@testable import PlatetopCore

/// Area resampling (`platetop.resample = "area"`): the weights, what it keeps that the two-tap
/// bilinear resize drops, the Python mirror, and that a model file's choice reaches the recognizer.
struct ResizeAreaTests {
    func planar(_ img: PixelImage, _ w: Int, _ h: Int, _ mode: Resampling, order: ChannelOrder = .gray) -> [Float] {
        var out = [Float](repeating: .nan, count: order.channels * w * h)
        out.withUnsafeMutableBufferPointer {
            img.writePlanar(width: w, height: h, order: order, mean: 0, scale: 1, resampling: mode, into: $0.baseAddress!)
        }
        return out
    }

    /// Whole blocks average exactly; a fractional step weighs the shared pixel by its overlap
    /// (3 -> 2: [0, 30, 60] gives (0 + 15) / 1.5 = 10 and (15 + 60) / 1.5 = 50, where the bilinear
    /// taps give 7.5 and 52.5); an axis that grows keeps the bilinear taps.
    @Test func weightsAreOverlaps() {
        let blocks = PixelImage(width: 4, height: 2, format: .gray8, pixels: [10, 20, 200, 100, 30, 40, 0, 60])
        #expect(planar(blocks, 2, 1, .area) == [25, 90])
        let row = PixelImage(width: 3, height: 1, format: .gray8, pixels: [0, 30, 60])
        #expect(zip(planar(row, 2, 1, .area), [10, 50]).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(planar(row, 2, 1, .bilinear) == [7.5, 52.5])
        #expect(zip(planar(row, 5, 2, .area), planar(row, 5, 2, .bilinear)).allSatisfy { abs($0 - $1) < 1e-4 })
        for (o, i) in [(24, 80), (110, 162), (22, 7), (7, 7)] {
            let taps = Resampling.areaTaps(o, i)
            #expect(taps.count == o)
            #expect(taps.allSatisfy { abs($0.reduce(0) { $0 + $1.1 } - 1) < 1e-5 && $0.allSatisfy { $0.0 >= 0 && $0.0 < i } })
        }
        // Every source row of a shrinking axis weighs something, 80 rows in all.
        #expect(Set(Resampling.areaTaps(24, 80).flatMap { $0.map(\.0) }) == Set(0..<80))
    }

    /// Why the option exists: shrinking 80 rows to 24, the two taps never read row 9 (output row 2
    /// blends rows 7 and 8, row 3 rows 11 and 12), so a one-pixel dark stroke there (a Q's tail)
    /// vanishes; area resampling keeps it at 0.3 of its contrast in output row 2 (rows [6.67, 10)).
    @Test func areaKeepsAStrokeTheTwoTapsDrop() {
        var px = [UInt8](repeating: 255, count: 162 * 80)
        for x in 40..<120 { px[9 * 162 + x] = 0 }
        let img = PixelImage(width: 162, height: 80, format: .gray8, pixels: px)
        #expect(planar(img, 110, 24, .bilinear).allSatisfy { $0 == 255 })
        let area = planar(img, 110, 24, .area)
        #expect(abs(area[2 * 110 + 55] - 255 * (1 - 0.3)) < 0.01, "\(area[2 * 110 + 55])")
        #expect(area[3 * 110 + 55] == 255 && area[110 + 55] == 255 && area[2 * 110] == 255)
    }

    /// training/preprocess.py's `grey_input(..., resample="area")` computes the same input.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: RecognizeFixtures.python)))
    func matchesThePythonMirror() throws {
        var rng = RecognizeFixtures.RNG(state: 21)
        let (w, h) = (163, 77)
        let img = PixelImage(width: w, height: h, format: .rgb24, pixels: (0..<(w * h * 3)).map { _ in UInt8(rng.int(256)) })
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-area-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(img.pixels).write(to: URL(fileURLWithPath: dir + "/rgb.u8"))
        let code = """
            import sys, numpy as np
            sys.path.insert(0, "training")
            from preprocess import grey_input
            d = sys.argv[1]
            rgb = np.fromfile(d + "/rgb.u8", np.uint8).reshape(\(h), \(w), 3)
            np.concatenate([grey_input(rgb, 110, 24, "area").ravel(), grey_input(rgb, 110, 32, "area").ravel(),
                            grey_input(rgb, 200, 90, "area").ravel()]).astype(np.float32).tofile(d + "/out.f32")
            """
        let run = try #require(RecognizeFixtures.runPython(["-c", code, dir]))
        try #require(run.status == 0, "\(run.output.suffix(300))")
        let want = try #require(RecognizeFixtures.readFloats(dir + "/out.f32"))
        let got = planar(img, 110, 24, .area) + planar(img, 110, 32, .area) + planar(img, 200, 90, .area)
        #expect(got.count == want.count)
        let diff = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
        #expect(diff < 1e-3, "max abs diff \(diff)")
    }

    /// The file's `platetop.resample` sets the recognizer's resize: bilinear when absent, area when
    /// it says so, and anything else is a clear error.
    @Test func modelFileChoosesTheResize() throws {
        let t = RecognizeFixtures.tinyTensors()
        var meta = RecognizeFixtures.tinyMetadata()
        let plain = try LPRNetModel(file: SafeTensorsFile(bytes: SafeTensorsFile.serialize(t, metadata: meta)))
        #expect(plain.info.resampling == .bilinear)
        meta["platetop.resample"] = "area"
        let area = try LPRNetModel(file: SafeTensorsFile(bytes: SafeTensorsFile.serialize(t, metadata: meta)))
        #expect(area.info.resampling == .area)
        meta["platetop.resample"] = "nearest"
        #expect(throws: ModelFileError.self) { try LPRNetModel(file: SafeTensorsFile(bytes: SafeTensorsFile.serialize(t, metadata: meta))) }
        do {
            _ = try LPRNetModel(file: SafeTensorsFile(bytes: SafeTensorsFile.serialize(t, metadata: meta)))
        } catch let e as ModelFileError {
            #expect(e.message == "model metadata: resample \"nearest\" (need bilinear or area)")
        }
        // A 162x80 crop reaches the network area-resampled.
        var rng = RecognizeFixtures.RNG(state: 5)
        let crop = PixelImage(width: 162, height: 80, format: .gray8, pixels: (0..<(162 * 80)).map { _ in UInt8(rng.int(256)) })
        for (model, mode) in [(area, Resampling.area), (plain, .bilinear)] {
            let r = try LPRNetRecognizer(model: model, maxBatch: 1)
            let input = planar(crop, 94, 24, mode).map { ($0 - 127.5) * 0.0078125 }
            let direct = input.withUnsafeBufferPointer { r.logits(planarInput: $0.baseAddress!, batch: 1) }[0]
            #expect(zip(r.logits(for: [crop])[0], direct).map { abs($0 - $1) }.max()! < 1e-5)
        }
        let a = try LPRNetRecognizer(model: area).logits(for: [crop])[0]
        let b = try LPRNetRecognizer(model: plain).logits(for: [crop])[0]
        #expect(zip(a, b).map { abs($0 - $1) }.max()! > 1e-4)
    }
}
