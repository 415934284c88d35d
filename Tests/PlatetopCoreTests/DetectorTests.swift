import Foundation
import Testing
@testable import PlatetopCore

/// Hand-made detector models built in Swift.
enum DetectorFixtures {
    static func metadata(stride: Int = 1, layers: String = #"[{"stride":1,"dilation":1,"padding":0,"relu":false}]"#,
                         inputWidth: Int = 32) -> [String: String] {
        ["platetop.architecture": "centernet-tiny", "platetop.architecture_version": "1",
         "platetop.name": "hand", "platetop.layers": layers, "platetop.stride": String(stride),
         "platetop.color_order": "rgb", "platetop.input_channels": "3",
         "platetop.mean": "0", "platetop.scale": "1", "platetop.input_width": String(inputWidth)]
    }

    /// One 1x1 layer: heat logit = 0.1 * R - 10 (R = 255 gives 15.5, R = 0 gives -10), offsets
    /// 0.5, log sizes from the biases (`logW`, `logH`); stride 1.
    static func oneByOne(logW: Float, logH: Float) -> [(name: String, shape: [Int], values: [Float])] {
        let w: [Float] = [0.1, 0, 0,  0, 0, 0,  0, 0, 0,  0, 0, 0,  0, 0, 0]
        return [("layers.0.weight", [5, 3, 1, 1], w), ("layers.0.bias", [5], [-10, 0.5, 0.5, logW, logH])]
    }

    static func model(_ tensors: [(name: String, shape: [Int], values: [Float])], _ meta: [String: String]) throws -> DetectorModel {
        try DetectorModel(file: SafeTensorsFile(bytes: SafeTensorsFile.serialize(tensors, metadata: meta)))
    }
}

struct DetectorGoldenTests {
    static var pythonPresent: Bool { FileManager.default.isExecutableFile(atPath: RecognizeFixtures.python) }

    /// A small random detector (random BN statistics folded on export, then re-loaded and widened
    /// by 3 channels per layer as `train.py --init X --widen` does) from
    /// training/detector/make_golden.py: Swift output equals PyTorch's on all 5 channels.
    @Test(.enabled(if: pythonPresent)) func randomDetectorMatchesPyTorch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-det-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let run = RecognizeFixtures.runPython(["training/detector/make_golden.py", dir]) else { return }
        if run.output.contains("No module named") {
            print("skipping randomDetectorMatchesPyTorch: /usr/bin/python3 lacks torch or numpy")
            return
        }
        #expect(run.status == 0, "make_golden.py failed: \(run.output)")
        guard run.status == 0 else { return }
        let detector = try PlateDetector(modelPath: dir + "/detector.safetensors")
        #expect(detector.info.stride == 8 && detector.info.layerCount == 9 && detector.info.name == "golden-random")
        let golden = try SafeTensorsFile(contentsOf: dir + "/golden.safetensors")
        let input = try #require(golden.tensors["input"]), expected = try #require(golden.tensors["output"])
        #expect(input.shape == [3, 45, 70] && expected.shape == [5, 6, 9])
        let out = detector.output(planarInput: input.values, width: 70, height: 45)
        #expect(out.gridWidth == 9 && out.gridHeight == 6)
        #expect(detector.model.gridSize(width: 70, height: 45) == (9, 6))
        let diff = zip(out.values, expected.values).map { abs($0 - $1) }.max() ?? .infinity
        #expect(out.values.count == expected.values.count)
        #expect(diff <= 1e-3, "max abs diff \(diff)")
        // Not all zero: the comparison means something.
        #expect((expected.values.map(abs).max() ?? 0) > 0.1)

        // The same detector with a random fine head (finehead.py's layout): its stride-4 output on
        // an input whose stride-4 grid is odd (13x15 from a 7x8 context grid), and the main output
        // unchanged by it.
        let fine = try PlateDetector(modelPath: dir + "/fine.safetensors")
        let f = try #require(fine.info.fineHead)
        #expect(f.stride == 4 && f.inputLayer == 1 && f.contextLayer == 7 && f.minScore == 0.3)
        #expect(f.layerCount == 3 && f.parameterCount == 11 * 3 + 3 + (11 + 3) * 9 * 5 + 5 + 5 * 5 + 5)
        let fineInput = try #require(golden.tensors["fine_input"])
        let fineMain = try #require(golden.tensors["fine_main"]), fineExpected = try #require(golden.tensors["fine_output"])
        #expect(fineInput.shape == [3, 50, 58] && fineMain.shape == [5, 7, 8] && fineExpected.shape == [5, 13, 15])
        let both = fine.outputs(planarInput: fineInput.values, width: 58, height: 50)
        let fineOut = try #require(both.fine)
        #expect(fineOut.gridWidth == 15 && fineOut.gridHeight == 13 && fineOut.stride == 4)
        #expect(both.main.gridWidth == 8 && both.main.gridHeight == 7)
        func maxDiff(_ a: [Float], _ b: [Float]) -> Float { a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity }
        #expect(maxDiff(fineOut.values, fineExpected.values) <= 1e-3, "fine head: max abs diff \(maxDiff(fineOut.values, fineExpected.values))")
        #expect(maxDiff(both.main.values, fineMain.values) <= 1e-3, "main head with a fine head: max abs diff \(maxDiff(both.main.values, fineMain.values))")
        #expect(fine.output(planarInput: fineInput.values, width: 58, height: 50).values == both.main.values)
        #expect((fineExpected.values.map(abs).max() ?? 0) > 0.1)
        // The layout whose context joins after the 3x3 conv (3x3 11->4, then 1x1 (4+3)->6, 1x1 6->5).
        let joined = try PlateDetector(modelPath: dir + "/fine2.safetensors")
        #expect(joined.info.fineHead?.contextJoinsLayer == 1 && joined.info.fineHead?.layerCount == 4)
        let joinedExpected = try #require(golden.tensors["fine2_output"])
        let joinedOut = try #require(joined.outputs(planarInput: fineInput.values, width: 58, height: 50).fine)
        #expect(maxDiff(joinedOut.values, joinedExpected.values) <= 1e-3, "joined fine head: max abs diff \(maxDiff(joinedOut.values, joinedExpected.values))")
        #expect((joinedExpected.values.map(abs).max() ?? 0) > 0.1)
        // Switched off: no fine output, and a fine head adds to the multiply-adds.
        let off = try PlateDetector(modelPath: dir + "/fine.safetensors", options: .init(useFineHead: false))
        #expect(off.fineHead == nil && off.outputs(planarInput: fineInput.values, width: 58, height: 50).fine == nil)
        let macs = fine.model.multiplyAdds(width: 58, height: 50), mainMacs = fine.model.multiplyAdds(width: 58, height: 50, fineHead: false)
        #expect(macs - mainMacs == 3 * 11 * 7 * 8 + 5 * 14 * 9 * 13 * 15 + 5 * 5 * 13 * 15)
    }
}

struct DetectorDecodeTests {
    /// A 5 x gh x gw output with the heat logits given (-10 elsewhere) and constant regressions.
    func output(w: Int, h: Int, stride: Int = 8, heat: [(x: Int, y: Int, logit: Float)],
                offset: (Float, Float) = (0.5, 0.5), logSize: (Float, Float) = (0, 0)) -> DetectorOutput {
        var v = [Float](repeating: 0, count: 5 * w * h)
        for i in 0..<(w * h) {
            v[i] = -10; v[w * h + i] = offset.0; v[2 * w * h + i] = offset.1
            v[3 * w * h + i] = logSize.0; v[4 * w * h + i] = logSize.1
        }
        for p in heat { v[p.y * w + p.x] = p.logit }
        return DetectorOutput(gridWidth: w, gridHeight: h, stride: stride, values: v)
    }

    @Test func singlePeakDecodesCentreAndSize() {
        // Cell (3, 2), offset (0.25, 0.75), size exp(ln 4) * 8 = 32 x exp(ln 1.5) * 8 = 12.
        let out = output(w: 8, h: 6, heat: [(3, 2, 2), (4, 2, 1), (3, 3, 0.5)], offset: (0.25, 0.75),
                         logSize: (log(4), log(1.5)))
        let peaks = out.peaks(minScore: 0.3)
        #expect(peaks.count == 1)  // the neighbours are not local maxima
        let b = peaks[0]
        #expect(abs(b.x - (3.25 * 8 - 16)) < 1e-4 && abs(b.y - (2.75 * 8 - 6)) < 1e-4)
        #expect(abs(b.width - 32) < 1e-3 && abs(b.height - 12) < 1e-3)
        #expect(abs(b.score - 1 / (1 + exp(-2))) < 1e-5)
    }

    @Test func minScoreFiltersAndPeaksAreSortedBestFirst() {
        let out = output(w: 10, h: 10, heat: [(1, 1, -1), (5, 5, 3), (8, 2, 0)])
        // sigmoid: -1 -> 0.27, 3 -> 0.95, 0 -> 0.5
        let all = out.peaks(minScore: 0.2)
        #expect(all.map(\.score).count == 3)
        #expect(all.map(\.score) == all.map(\.score).sorted(by: >))
        #expect(abs(all[0].x - (5.5 * 8 - 4)) < 1e-4)
        #expect(out.peaks(minScore: 0.4).count == 2)
        #expect(out.peaks(minScore: 0.9).count == 1)
        #expect(out.peaks(minScore: 0.2, limit: 1).count == 1)
    }

    @Test func nmsKeepsBestOfOverlappingAndAllDisjoint() {
        let a = DetectedBox(x: 0, y: 0, width: 10, height: 10, score: 0.9)
        let b = DetectedBox(x: 1, y: 1, width: 10, height: 10, score: 0.95)   // IoU with a = 81/119
        let c = DetectedBox(x: 30, y: 0, width: 10, height: 10, score: 0.5)
        let d = DetectedBox(x: 5, y: 0, width: 10, height: 10, score: 0.8)    // IoU with b = 54/146 = 0.37
        #expect(abs(a.iou(b) - 81 / 119) < 1e-6)
        let kept = nonMaximumSuppression([a, b, c, d], iouThreshold: 0.3)
        #expect(kept == [b, c])
        let loose = nonMaximumSuppression([a, b, c, d], iouThreshold: 0.5)
        #expect(loose == [b, d, c])
        #expect(nonMaximumSuppression([a, b, c, d], iouThreshold: 0.5, limit: 2) == [b, d])
        #expect(nonMaximumSuppression([], iouThreshold: 0.3).isEmpty)
    }

    /// A plate's band (a Mercosur plate's `BRASIL` strip) boxed on its own lies inside the plate's
    /// box with a small IoU: containment drops it when the plate scores better, keeps it when it
    /// sticks out of the plate or scores better itself, and leaves neighbours alone.
    @Test func containmentDropsBoxesInsideABetterOne() {
        let plate = DetectedBox(x: 557, y: 577, width: 170, height: 55, score: 0.9)
        let band = DetectedBox(x: 607, y: 577, width: 75, height: 20, score: 0.6)
        let halfOut = DetectedBox(x: 690, y: 580, width: 75, height: 20, score: 0.6)   // 37/75 of it inside
        let beside = DetectedBox(x: 800, y: 577, width: 170, height: 55, score: 0.5)
        #expect(plate.iou(band) < 0.3)
        #expect(band.fractionInside(plate) == 1)
        #expect(abs(halfOut.fractionInside(plate) - 37.0 / 75) < 1e-5)
        #expect(plate.fractionInside(band) < 0.2)
        #expect(nonMaximumSuppression([band, plate, beside], iouThreshold: 0.3) == [plate, band, beside])
        #expect(nonMaximumSuppression([band, plate, beside, halfOut], iouThreshold: 0.3, containmentThreshold: 0.9)
                == [plate, halfOut, beside])
        // Without a containment threshold nothing is dropped for lying inside, not even a box whose
        // float share inside comes out above 1 ((0.1 + 0.2) - 0.1 > 0.2 in Float).
        let outer = DetectedBox(x: 0, y: 0, width: 1, height: 1, score: 0.9)
        let sliver = DetectedBox(x: 0.1, y: 0, width: 0.2, height: 1, score: 0.8)
        #expect(sliver.fractionInside(outer) > 1)
        #expect(nonMaximumSuppression([outer, sliver], iouThreshold: 0.3) == [outer, sliver])
        var strongBand = band
        strongBand.score = 0.95
        #expect(nonMaximumSuppression([strongBand, plate], iouThreshold: 0.3, containmentThreshold: 0.9)
                == [strongBand, plate])
    }

    /// End to end with a hand-made 1x1 model: a bright red spot in a 64x32 frame, input width 32
    /// (scale 2): the box comes back in frame pixels and the crop carries the margin, clamped.
    @Test func locateMapsBoxesToFramePixelsWithMargin() throws {
        let model = try DetectorFixtures.model(DetectorFixtures.oneByOne(logW: log(10), logH: log(4)),
                                               DetectorFixtures.metadata())
        var px = [UInt8](repeating: 0, count: 64 * 32 * 3)
        // 2x2 red block at frame (20..21, 10..11) -> input pixel (10, 5).
        for y in 10...11 { for x in 20...21 { px[(y * 64 + x) * 3] = 255 } }
        // Another at the top-left corner -> input (0, 0): its crop is clamped to the frame.
        for y in 0...1 { for x in 0...1 { px[(y * 64 + x) * 3] = 255 } }
        let frame = PixelImage(width: 64, height: 32, format: .rgb24, pixels: px)
        let det = try PlateDetector(model: model, options: .init(minScore: 0.5, cropMargin: 0.1, edgeCutTolerance: nil))
        #expect(det.inputSize(frameWidth: 64, frameHeight: 32) == (32, 16))
        let found = try det.locate(in: frame)
        #expect(found.count == 2)
        // By default a plate running past the frame's edge (the corner one) is not read.
        let cutting = try PlateDetector(model: model, options: .init(minScore: 0.5, cropMargin: 0.1))
        #expect(try cutting.locate(in: frame).map(\.box) == [PixelRect(x: 11, y: 7, width: 20, height: 8)])
        #expect(cutting.detect(in: frame).count == 2)
        let mid = try #require(found.first { $0.box.x > 10 })
        // centre (10.5, 5.5) input -> (21, 11) frame; size 10x4 input -> 20x8 frame.
        #expect(mid.box == PixelRect(x: 11, y: 7, width: 20, height: 8))
        #expect(mid.crop.width == 24 && mid.crop.height == 10)  // 20 + 2*2, 8 + 2*0.8 rounded out
        #expect(mid.score > 0.99)
        let corner = try #require(found.first { $0.box.x == 0 })
        #expect(corner.box == PixelRect(x: 0, y: 0, width: 11, height: 5))
        #expect(corner.crop.width == 13 && corner.crop.height == 6)
        // A black frame has no plates.
        #expect(try det.locate(in: PixelImage(width: 64, height: 32, format: .rgb24)).isEmpty)
    }

    /// A box that ends on the frame's edge is a plate cut by it (the verifier's crop is clamped to the
    /// frame, so its box of a cut plate ends exactly there); one ending half a pixel inside is read.
    @Test func boxesOnTheFrameEdgeAreCut() throws {
        let model = try DetectorFixtures.model(DetectorFixtures.oneByOne(logW: 0, logH: 0), DetectorFixtures.metadata())
        let frame = PixelImage(width: 64, height: 32, format: .rgb24)
        let det = try PlateDetector(model: model, options: .init(minScore: 0.5))
        func box(_ x: Float, _ y: Float, _ w: Float, _ h: Float) -> DetectedBox { DetectedBox(x: x, y: y, width: w, height: h, score: 0.9) }
        #expect(det.candidate(for: box(10, 20, 20, 12), in: frame) == nil)       // bottom on the edge
        #expect(det.candidate(for: box(0, 5, 20, 8), in: frame) == nil)          // left on the edge
        #expect(det.candidate(for: box(44.2, 5, 19.8, 8), in: frame) == nil)     // right 0.0 px inside
        #expect(det.candidate(for: box(10, 20, 20, 11.4), in: frame)?.box == PixelRect(x: 10, y: 20, width: 20, height: 12))
        #expect(det.candidate(for: box(0.6, 0.6, 20, 8), in: frame) != nil)
        // A positive tolerance lets a box run that far past the edge; nil keeps every box.
        let lenient = try PlateDetector(model: model, options: .init(minScore: 0.5, edgeCutTolerance: 2))
        #expect(lenient.candidate(for: box(10, 20, 20, 13.5), in: frame) != nil)
        #expect(lenient.candidate(for: box(10, 20, 20, 14.5), in: frame) == nil)
        let keepAll = try PlateDetector(model: model, options: .init(minScore: 0.5, edgeCutTolerance: nil))
        #expect(keepAll.candidate(for: box(10, 20, 20, 14.5), in: frame) != nil)
    }

    @Test func rejectsBadOptions() throws {
        let model = try DetectorFixtures.model(DetectorFixtures.oneByOne(logW: 0, logH: 0), DetectorFixtures.metadata())
        #expect(throws: PlateDetector.InvalidOptions.self) { try PlateDetector(model: model, options: .init(minScore: 1.5)) }
        #expect(throws: PlateDetector.InvalidOptions.self) { try PlateDetector(model: model, options: .init(inputWidth: 8)) }
    }
}

struct DetectorModelValidationTests {
    func message(_ tensors: [(name: String, shape: [Int], values: [Float])], _ meta: [String: String]) -> String? {
        do {
            _ = try DetectorFixtures.model(tensors, meta)
            return nil
        } catch {
            return String(describing: error)
        }
    }

    @Test func validModelLoadsWithInfo() throws {
        let m = try DetectorFixtures.model(DetectorFixtures.oneByOne(logW: 0, logH: 0), DetectorFixtures.metadata())
        #expect(m.info.stride == 1 && m.info.parameterCount == 20 && m.info.inputWidth == 32 && m.info.minScore == 0.3)
        var meta = DetectorFixtures.metadata()
        meta["platetop.min_score"] = "0.45"
        let calibrated = try DetectorFixtures.model(DetectorFixtures.oneByOne(logW: 0, logH: 0), meta)
        #expect(calibrated.info.minScore == 0.45)
        #expect(try PlateDetector(model: calibrated).minScore == 0.45)
        #expect(try PlateDetector(model: calibrated, options: .init(minScore: 0.2)).minScore == 0.2)
        #expect(m.multiplyAdds(width: 4, height: 2) == 5 * 3 * 8)
    }

    @Test func errorsNameTheTensorOrKey() {
        let good = DetectorFixtures.oneByOne(logW: 0, logH: 0)
        let meta = DetectorFixtures.metadata()
        #expect(message(Array(good.dropLast()), meta) == "tensor 'layers.0.bias': missing")
        let wrongShape = [("layers.0.weight", [5, 1, 1, 1], [Float](repeating: 0, count: 5)), good[1]]
        #expect(message(wrongShape, meta)?.hasPrefix("tensor 'layers.0.weight': shape [5, 1, 1, 1]") == true)
        let fourOut = [("layers.0.weight", [4, 3, 1, 1], [Float](repeating: 0, count: 12)), ("layers.0.bias", [4], [Float](repeating: 0, count: 4))]
        #expect(message(fourOut, meta)?.contains("the last layer needs 5") == true)
        #expect(message(good + [("extra", [1], [0])], meta) == "tensor 'extra': unexpected in a centernet-tiny detector")
        let nan = [good[0], ("layers.0.bias", [5], [0, 0, .nan, 0, 0])]
        #expect(message(nan, meta) == "tensor 'layers.0.bias': non-finite values")
        var m2 = meta; m2["platetop.architecture"] = "lprnet"
        #expect(message(good, m2)?.contains("not centernet-tiny") == true)
        var m3 = meta; m3["platetop.stride"] = "8"
        #expect(message(good, m3) == "detector metadata: stride 8 but the layers' strides multiply to 1")
        var m4 = meta; m4.removeValue(forKey: "platetop.layers")
        #expect(message(good, m4) == "detector metadata: missing \"platetop.layers\"")
        var m5 = meta; m5["platetop.layers"] = "[{\"stride\":1}]"
        #expect(message(good, m5)?.contains("is not a JSON list") == true)
        for text in [message(Array(good.dropLast()), meta), message(nan, meta)] {
            #expect(text?.contains("\n") == false)
        }
    }
}

/// The detector's forward pass (banded im2col, column-phase splits for strided layers, fused
/// ReLU) against a plain nested-loop convolution, and the frame resize against its formula.
struct DetectorForwardTests {
    struct Layer {
        let inC, outC, kh, kw, stride, dilation, padding: Int; let relu: Bool
        init(inC: Int, outC: Int, k: Int, kw: Int? = nil, stride: Int, dilation: Int, padding: Int, relu: Bool) {
            self.inC = inC; self.outC = outC; self.kh = k; self.kw = kw ?? k
            self.stride = stride; self.dilation = dilation; self.padding = padding; self.relu = relu
        }
    }
    /// Strides 2 (first layer: split before it; second: split fused into the first's ReLU pass),
    /// a dilated layer, a strided 1x1, a stride-3 layer, a 3x5 (rows x columns) layer and the 1x1 head.
    static let layers = [
        Layer(inC: 3, outC: 6, k: 3, stride: 2, dilation: 1, padding: 1, relu: true),
        Layer(inC: 6, outC: 8, k: 3, stride: 2, dilation: 1, padding: 1, relu: true),
        Layer(inC: 8, outC: 8, k: 3, stride: 1, dilation: 2, padding: 2, relu: true),
        Layer(inC: 8, outC: 7, k: 1, stride: 2, dilation: 1, padding: 0, relu: true),
        Layer(inC: 7, outC: 9, k: 3, stride: 3, dilation: 1, padding: 1, relu: true),
        Layer(inC: 9, outC: 6, k: 3, kw: 5, stride: 1, dilation: 1, padding: 1, relu: true),
        Layer(inC: 6, outC: 5, k: 1, stride: 1, dilation: 1, padding: 0, relu: false),
    ]

    struct Random {
        var s: UInt64
        mutating func next() -> Float {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(s >> 40) % 2001 - 1000) / 1000
        }
    }

    static func weights(_ seed: UInt64) -> [[Float]] {
        var r = Random(s: seed)
        return layers.map { l in (0..<(l.outC * l.inC * l.kh * l.kw + l.outC)).map { _ in r.next() * 0.5 } }
    }

    static func detector(_ w: [[Float]]) throws -> PlateDetector {
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for (i, l) in layers.enumerated() {
            let n = l.outC * l.inC * l.kh * l.kw
            tensors.append(("layers.\(i).weight", [l.outC, l.inC, l.kh, l.kw], Array(w[i][0..<n])))
            tensors.append(("layers.\(i).bias", [l.outC], Array(w[i][n...])))
        }
        let spec = layers.map { #"{"stride":\#($0.stride),"dilation":\#($0.dilation),"padding":\#($0.padding),"relu":\#($0.relu)}"# }
        let meta = DetectorFixtures.metadata(stride: 24, layers: "[" + spec.joined(separator: ",") + "]")
        return try PlateDetector(model: DetectorFixtures.model(tensors, meta))
    }

    /// out[o][y][x] = b[o] + sum w[o][c][ky][kx] * in[c][y*s - p + ky*d][x*s - p + kx*d].
    static func reference(_ input: [Float], width: Int, height: Int, _ w: [[Float]]) -> (values: [Float], w: Int, h: Int) {
        var x = input, iw = width, ih = height
        for (i, l) in layers.enumerated() {
            let ow = (iw + 2 * l.padding - l.dilation * (l.kw - 1) - 1) / l.stride + 1
            let oh = (ih + 2 * l.padding - l.dilation * (l.kh - 1) - 1) / l.stride + 1
            var y = [Float](repeating: 0, count: l.outC * oh * ow)
            let bias = l.outC * l.inC * l.kh * l.kw
            for o in 0..<l.outC {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var acc = w[i][bias + o]
                        for c in 0..<l.inC {
                            for ky in 0..<l.kh {
                                let sy = oy * l.stride - l.padding + ky * l.dilation
                                guard sy >= 0, sy < ih else { continue }
                                for kx in 0..<l.kw {
                                    let sx = ox * l.stride - l.padding + kx * l.dilation
                                    guard sx >= 0, sx < iw else { continue }
                                    acc += w[i][((o * l.inC + c) * l.kh + ky) * l.kw + kx] * x[(c * ih + sy) * iw + sx]
                                }
                            }
                        }
                        y[(o * oh + oy) * ow + ox] = l.relu ? max(acc, 0) : acc
                    }
                }
            }
            x = y; iw = ow; ih = oh
        }
        return (x, iw, ih)
    }

    @Test func forwardMatchesPlainConvolutionInOneBandOrMany() throws {
        let w = Self.weights(7)
        let width = 149, height = 101  // odd sizes: uneven column phases at every stride
        var r = Random(s: 99)
        let input = (0..<(3 * width * height)).map { _ in r.next() }
        let expected = Self.reference(input, width: width, height: height, w)
        #expect(expected.w == 5 && expected.h == 5)
        #expect((expected.values.map(abs).max() ?? 0) > 0.5)
        let detector = try Self.detector(w)
        let whole = detector.output(planarInput: input, width: width, height: height)
        detector.bandFloats = 1  // one output row per band in every layer
        let banded = detector.output(planarInput: input, width: width, height: height)
        for out in [whole, banded] {
            #expect(out.gridWidth == 5 && out.gridHeight == 5)
            let diff = zip(out.values, expected.values).map { abs($0 - $1) }.max() ?? .infinity
            #expect(out.values.count == expected.values.count && diff < 1e-4, "max abs diff \(diff)")
        }
    }

    /// The separable resize equals the direct bilinear formula bit for bit (the detector's golden
    /// files and the Python mirror depend on it), down- and upscaling, every channel order.
    @Test func writePlanarEqualsTheDirectFormula() {
        var r = Random(s: 5)
        let rgb = PixelImage(width: 37, height: 23, format: .rgb24,
                             pixels: (0..<(37 * 23 * 3)).map { _ in UInt8(Int((r.next() + 1) * 127.5)) })
        for (source, order) in [(rgb, ChannelOrder.rgb), (rgb, .bgr), (rgb, .gray), (rgb.grayscale(), .gray)] {
            for (ow, oh) in [(20, 11), (61, 40), (37, 23), (5, 30)] {
                var got = [Float](repeating: .nan, count: order.channels * ow * oh)
                got.withUnsafeMutableBufferPointer {
                    source.writePlanar(width: ow, height: oh, order: order, mean: 127.5, scale: 0.0078125, into: $0.baseAddress!)
                }
                let src = order == .gray ? source.grayscale() : source
                let c = src.channels
                func tap(_ o: Int, _ outSize: Int, _ inSize: Int) -> (Int, Int, Float) {
                    let s = min(max((Float(o) + 0.5) * Float(inSize) / Float(outSize) - 0.5, 0), Float(inSize - 1))
                    let i0 = Int(s.rounded(.down))
                    return (i0, min(i0 + 1, inSize - 1), s - Float(i0))
                }
                var want: [Float] = []
                for plane in 0..<order.channels {
                    let ch = order == .bgr ? 2 - plane : plane
                    for oy in 0..<oh {
                        let (y0, y1, fy) = tap(oy, oh, src.height)
                        for ox in 0..<ow {
                            let (x0, x1, fx) = tap(ox, ow, src.width)
                            func px(_ x: Int, _ y: Int) -> Float { Float(src.pixels[(y * src.width + x) * c + ch]) }
                            let top = px(x0, y0) + (px(x1, y0) - px(x0, y0)) * fx
                            let bottom = px(x0, y1) + (px(x1, y1) - px(x0, y1)) * fx
                            want.append((top + (bottom - top) * fy - 127.5) * 0.0078125)
                        }
                    }
                }
                let mismatches = zip(got, want).filter { $0 != $1 }.count
                #expect(got.count == want.count && mismatches == 0, "\(order) \(source.channels)ch -> \(ow)x\(oh): \(mismatches) values differ")
            }
        }
    }
}

/// The verifier stage: a second network in the detector file that re-scores each candidate from
/// the frame's own pixels.
struct DetectorVerifierTests {
    /// `DetectorFixtures.metadata()` plus a verifier of one 1x1 layer (grey * 1 - 1 per cell) on
    /// 16x8 inputs with `(v - 0) * 0.01`.
    static func meta(weight: Float, minScore: Float = 0.5, candidate: Float = 0.5, margin: Double = 0.25) -> [String: String] {
        var m = DetectorFixtures.metadata()
        m["platetop.verifier.layers"] = #"[{"stride":1,"dilation":1,"padding":0,"relu":false}]"#
        m["platetop.verifier.input_width"] = "16"
        m["platetop.verifier.input_height"] = "8"
        m["platetop.verifier.margin"] = String(margin)
        m["platetop.verifier.mean"] = "0"
        m["platetop.verifier.scale"] = "0.01"
        m["platetop.verifier.weight"] = String(weight)
        m["platetop.verifier.candidate_min_score"] = String(candidate)
        m["platetop.verifier.min_score"] = String(minScore)
        return m
    }

    static let verifierTensors: [(name: String, shape: [Int], values: [Float])] = [
        ("verifier.layers.0.weight", [1, 1, 1, 1], [1]), ("verifier.layers.0.bias", [1], [-1]),
    ]

    /// 64x32 frame, two red 2x2 spots (the heat map of `oneByOne` finds both, boxes 20x8): A at
    /// (20, 10) on a green field covering its whole verifier crop (x < 36), B at (50, 20) on black
    /// and dimmer (R 120: heat score 0.88).
    static func frame() -> PixelImage {
        var px = [UInt8](repeating: 0, count: 64 * 32 * 3)
        for y in 0..<32 { for x in 0..<36 { px[(y * 64 + x) * 3 + 1] = 255 } }
        for (sx, sy, r) in [(20, 10, 255), (50, 20, 120)] as [(Int, Int, UInt8)] {
            for y in sy...(sy + 1) { for x in sx...(sx + 1) { px[(y * 64 + x) * 3] = r } }
        }
        return PixelImage(width: 64, height: 32, format: .rgb24, pixels: px)
    }

    /// sigmoid(mean(grey * 0.01 - 1)) over `rect` of the frame resized to 16x8: what the verifier
    /// must compute for a box whose 25 % margin crop is `rect`.
    static func expected(_ rect: PixelRect, in frame: PixelImage) -> Float {
        var v = [Float](repeating: 0, count: 16 * 8)
        v.withUnsafeMutableBufferPointer { frame.cropped(to: rect).writePlanar(width: 16, height: 8, order: .gray, mean: 0, scale: 0.01, into: $0.baseAddress!) }
        let logit = v.reduce(0) { $0 + ($1 - 1) } / Float(v.count)
        return 1 / (1 + exp(-logit))
    }

    @Test func combinesDetectorAndVerifierScores() throws {
        let tensors = DetectorFixtures.oneByOne(logW: log(10), logH: log(4)) + Self.verifierTensors
        let f = Self.frame()
        // Boxes: A (11, 7, 20, 8) -> crop (6, 5, 30, 12); B (41, 17, 20, 8) -> crop (36, 15, 28, 12), clamped at x 64.
        let pA = Self.expected(PixelRect(x: 6, y: 5, width: 30, height: 12), in: f)
        let pB = Self.expected(PixelRect(x: 36, y: 15, width: 28, height: 12), in: f)
        #expect(pA > 0.6 && pB < 0.35, "\(pA) \(pB)")  // the field makes A look like a plate, not B

        let onlyVerifier = try PlateDetector(model: DetectorFixtures.model(tensors, Self.meta(weight: 1)))
        let v = try #require(onlyVerifier.info.verifier)
        #expect(v.inputWidth == 16 && v.inputHeight == 8 && v.weight == 1 && v.candidateMinScore == 0.5 && v.parameterCount == 2)
        #expect(onlyVerifier.minScore == 0.5)
        let heat = try PlateDetector(model: DetectorFixtures.model(tensors, Self.meta(weight: 1)), options: .init(useVerifier: false))
        let raw = heat.detect(in: f)
        #expect(raw.count == 2 && heat.verifier == nil && heat.minScore == 0.3)  // the heat map's own threshold
        let a = try #require(raw.first { $0.x < 32 }), b = try #require(raw.first { $0.x > 32 })
        #expect(abs(onlyVerifier.verifierScore(a, in: f) - pA) < 1e-5)
        #expect(abs(onlyVerifier.verifierScore(b, in: f) - pB) < 1e-5)
        // Weight 1: the verifier's probability is the score; B falls below 0.5.
        let kept = onlyVerifier.detect(in: f)
        #expect(kept.count == 1 && abs(kept[0].score - pA) < 1e-5 && kept[0].x == a.x)
        // Weight 0.5: the geometric mean of both scores, threshold from the options.
        let half = try PlateDetector(model: DetectorFixtures.model(tensors, Self.meta(weight: 0.5)), options: .init(minScore: 0.1))
        let both = half.detect(in: f)
        #expect(both.count == 2)
        #expect(abs(both[0].score - (a.score * pA).squareRoot()) < 1e-5 && both[0].x == a.x)
        #expect(abs(both[1].score - (b.score * pB).squareRoot()) < 1e-5 && both[1].x == b.x)
        // locate(in:) hands the verified plate to the recognizer with the re-scored score.
        let located = try onlyVerifier.locate(in: f)
        #expect(located.map(\.box) == [PixelRect(x: 11, y: 7, width: 20, height: 8)] && abs(located[0].score - pA) < 1e-5)
        #expect(abs(b.score - 1 / (1 + exp(-2))) < 1e-5)
        // Candidates come from the heat map at candidate_min_score: at 0.95, only A (B scores 0.88).
        let strict = try PlateDetector(model: DetectorFixtures.model(tensors, Self.meta(weight: 0, minScore: 0.01, candidate: 0.95)))
        #expect(strict.detect(in: f).map(\.x) == [a.x])
    }

    /// A verifier with five outputs: the logit of `verifierTensors` and constant box fractions
    /// (left, top, right, bottom of the crop) from the biases.
    static func boxTensors(_ f: [Float]) -> [(name: String, shape: [Int], values: [Float])] {
        [("verifier.layers.0.weight", [5, 1, 1, 1], [1, 0, 0, 0, 0]), ("verifier.layers.0.bias", [5], [-1] + f)]
    }

    @Test func boxRefiningVerifierMovesAndDeduplicatesBoxes() throws {
        let f = Self.frame()
        let heatTensors = DetectorFixtures.oneByOne(logW: log(10), logH: log(4))
        func detector(_ fractions: [Float], nms: Float = 0.3) throws -> PlateDetector {
            try PlateDetector(model: DetectorFixtures.model(heatTensors + Self.boxTensors(fractions), Self.meta(weight: 0.5)),
                              options: .init(minScore: 0.1, nmsThreshold: nms))
        }
        // Crops as in combinesDetectorAndVerifierScores: A (6, 5, 30, 12), B (36, 15, 28, 12).
        let pA = Self.expected(PixelRect(x: 6, y: 5, width: 30, height: 12), in: f)
        let pB = Self.expected(PixelRect(x: 36, y: 15, width: 28, height: 12), in: f)
        let inner = try detector([0.25, 0.2, 0.75, 0.8])
        let v = try #require(inner.info.verifier)
        #expect(v.refinesBoxes && v.parameterCount == 10)
        let heatOnly = try PlateDetector(model: DetectorFixtures.model(heatTensors, DetectorFixtures.metadata()))
        #expect(heatOnly.info.verifier == nil)
        let a = DetectedBox(x: 11, y: 7, width: 20, height: 8, score: 1)
        let verdict = inner.verify(a, in: f)
        #expect(abs(verdict.probability - pA) < 1e-5 && abs(inner.verifierScore(a, in: f) - pA) < 1e-5)
        let moved = try #require(verdict.box)
        #expect(abs(moved.x - 13.5) < 1e-4 && abs(moved.y - 7.4) < 1e-4 && abs(moved.width - 15) < 1e-4 && abs(moved.height - 7.2) < 1e-4)
        // detect(in:) returns the moved boxes with the combined scores, best first.
        let both = inner.detect(in: f)
        #expect(both.count == 2)
        let heatA = 1 / (1 + exp(-15.5)) as Float, heatB = 1 / (1 + exp(-2)) as Float
        #expect(abs(both[0].score - (heatA * pA).squareRoot()) < 1e-5 && abs(both[1].score - (heatB * pB).squareRoot()) < 1e-5)
        #expect(abs(both[0].x - 13.5) < 1e-4 && abs(both[1].x - 43) < 1e-4 && abs(both[1].y - 17.4) < 1e-4 && abs(both[1].width - 14) < 1e-4)
        #expect(try inner.locate(in: f).map(\.box) == [PixelRect(x: 13, y: 7, width: 16, height: 8), PixelRect(x: 43, y: 17, width: 14, height: 8)])
        // Fractions far outside the crops move both boxes onto one region (IoU 0.385): NMS keeps A only,
        // unless its threshold is above that overlap.
        let wide: [Float] = [-1, -2, 2, 3]
        let merged = try detector(wide).detect(in: f)
        #expect(merged.count == 1 && abs(merged[0].x + 24) < 1e-4 && abs(merged[0].width - 90) < 1e-4)
        #expect(try detector(wide, nms: 0.5).detect(in: f).count == 2)
        // A box with right < left is no box: the heat map's box stays.
        let inverted = try detector([0.75, 0.2, 0.25, 0.8])
        #expect(inverted.verify(a, in: f).box == nil)
        #expect(inverted.detect(in: f).map(\.x) == [11, 41])
    }

    /// `platetop.verifier.recheck_min_score`: a moved candidate scoring at least that is verified again
    /// around its moved box, and that second probability gives its score; the box does not move again.
    @Test func recheckScoresMovedBoxesWithASecondLook() throws {
        // `frame()` plus a green band (no red: no heat) at x >= 56, so that B's crops see it too.
        var px = Self.frame().pixels
        for y in 0..<32 { for x in 56..<64 { px[(y * 64 + x) * 3 + 1] = 255 } }
        let f = PixelImage(width: 64, height: 32, format: .rgb24, pixels: px)
        // The box head puts the plate in the right half of each crop.
        let tensors = DetectorFixtures.oneByOne(logW: log(10), logH: log(4)) + Self.boxTensors([0.5, 0.2, 1, 0.8])
        func detector(recheck: Float?) throws -> PlateDetector {
            var m = Self.meta(weight: 0.5)
            m["platetop.verifier.recheck_min_score"] = recheck.map { String($0) }
            return try PlateDetector(model: DetectorFixtures.model(tensors, m), options: .init(minScore: 0.1))
        }
        let heatA = 1 / (1 + exp(-15.5)) as Float, heatB = 1 / (1 + exp(-2)) as Float
        // First looks as in combinesDetectorAndVerifierScores: crops A (6, 5, 30, 12), B (36, 15, 28, 12).
        let pA = Self.expected(PixelRect(x: 6, y: 5, width: 30, height: 12), in: f)
        let pB = Self.expected(PixelRect(x: 36, y: 15, width: 28, height: 12), in: f)
        let firstA = (heatA * pA).squareRoot(), firstB = (heatB * pB).squareRoot()
        let single = try detector(recheck: nil)
        let once = single.detect(in: f)
        #expect(single.info.verifier?.recheckMinScore == nil && once.count == 2)
        #expect(abs(once[0].score - firstA) < 1e-5 && abs(once[1].score - firstB) < 1e-5)
        // Second looks: 25 % margin crops of the moved boxes (A's now reaches into the black, B's
        // sees more of the band).
        let movedA = DetectedBox(x: 21, y: 7.4, width: 15, height: 7.2, score: 0)
        let movedB = DetectedBox(x: 50, y: 17.4, width: 14, height: 7.2, score: 0)
        let pA2 = Self.expected(try #require(PlateDetector.pixelRect(movedA, margin: 0.25, in: f.bounds)), in: f)
        let pB2 = Self.expected(try #require(PlateDetector.pixelRect(movedB, margin: 0.25, in: f.bounds)), in: f)
        #expect(pA2 < pA - 0.01 && pB2 > pB + 0.01, "\(pA) \(pA2) \(pB) \(pB2)")
        // Both first scores reach 0.2: both are looked at again and scored by the second look.
        let twice = try detector(recheck: 0.2)
        #expect(twice.info.verifier?.recheckMinScore == 0.2 && firstB >= 0.2)
        let both = twice.detect(in: f)
        #expect(both.count == 2)
        #expect(abs(both[0].score - (heatA * pA2).squareRoot()) < 1e-5 && abs(both[1].score - (heatB * pB2).squareRoot()) < 1e-5)
        // The boxes stay where the first look moved them.
        #expect(abs(both[0].x - movedA.x) < 1e-4 && abs(both[0].y - movedA.y) < 1e-4 && abs(both[0].width - movedA.width) < 1e-4)
        #expect(abs(both[1].x - movedB.x) < 1e-4 && abs(both[1].height - movedB.height) < 1e-4)
        // A gate between B's first score and A's: only A gets the second look.
        let onlyA = try detector(recheck: (firstA + firstB) / 2).detect(in: f)
        #expect(onlyA.count == 2 && abs(onlyA[0].score - (heatA * pA2).squareRoot()) < 1e-5 && abs(onlyA[1].score - firstB) < 1e-5)
    }

    @Test func verifierErrorsNameTheTensorOrKey() {
        let good = DetectorFixtures.oneByOne(logW: 0, logH: 0)
        func message(_ t: [(name: String, shape: [Int], values: [Float])], _ m: [String: String]) -> String? {
            do { _ = try DetectorFixtures.model(t, m); return nil } catch { return String(describing: error) }
        }
        #expect(message(good + Self.verifierTensors, Self.meta(weight: 0.5)) == nil)
        // Tensors without the metadata that describes them.
        #expect(message(good + Self.verifierTensors, DetectorFixtures.metadata()) == "tensor 'verifier.layers.0.bias': unexpected in a centernet-tiny detector")
        #expect(message(good, Self.meta(weight: 0.5)) == "tensor 'verifier.layers.0.weight': missing")
        var m = Self.meta(weight: 1.5)
        #expect(message(good + Self.verifierTensors, m) == "detector metadata: verifier weight 1.5 outside 0...1")
        m = Self.meta(weight: 0.5); m.removeValue(forKey: "platetop.verifier.min_score")
        #expect(message(good + Self.verifierTensors, m) == "detector metadata: missing \"platetop.verifier.min_score\"")
        m = Self.meta(weight: 0.5); m["platetop.verifier.input_width"] = "4"
        #expect(message(good + Self.verifierTensors, m) == "detector metadata: verifier input 4x8 outside 8...512")
        let twoOut: [(name: String, shape: [Int], values: [Float])] = [
            ("verifier.layers.0.weight", [2, 1, 1, 1], [1, 1]), ("verifier.layers.0.bias", [2], [0, 0])]
        #expect(message(good + twoOut, Self.meta(weight: 0.5))?.contains("the last layer needs 1 or 5") == true)
        m = Self.meta(weight: 0.5); m["platetop.verifier.recheck_min_score"] = "1"
        #expect(message(good + Self.boxTensors([0, 0, 1, 1]), m) == "detector metadata: verifier recheck_min_score 1.0 must be between 0 and 1")
        m["platetop.verifier.recheck_min_score"] = "0.3"
        #expect(message(good + Self.boxTensors([0, 0, 1, 1]), m) == nil)
        #expect(message(good + Self.verifierTensors, m) == "detector metadata: verifier recheck_min_score needs a verifier with a box head (5 outputs)")
        let rgbIn: [(name: String, shape: [Int], values: [Float])] = [
            ("verifier.layers.0.weight", [1, 3, 1, 1], [1, 1, 1]), ("verifier.layers.0.bias", [1], [0])]
        #expect(message(good + rgbIn, Self.meta(weight: 0.5))?.hasPrefix("tensor 'verifier.layers.0.weight': shape [1, 3, 1, 1], expected [out, 1, kh, kw]") == true)
    }

    /// training/detector/make_golden.py's verified.safetensors: Swift's verifier probabilities equal
    /// PyTorch's on boxes of a random frame (one running past the frame's edge).
    @Test(.enabled(if: DetectorGoldenTests.pythonPresent)) func randomVerifierMatchesPyTorch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-ver-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let run = RecognizeFixtures.runPython(["training/detector/make_golden.py", dir]) else { return }
        if run.output.contains("No module named") {
            print("skipping randomVerifierMatchesPyTorch: /usr/bin/python3 lacks torch, numpy or cv2")
            return
        }
        #expect(run.status == 0, "make_golden.py failed: \(run.output)")
        guard run.status == 0 else { return }
        let detector = try PlateDetector(modelPath: dir + "/verified.safetensors")
        #expect(detector.info.verifier?.layerCount == 4 && detector.info.verifier?.weight == 0.5 && detector.minScore == 0.4)
        let golden = try SafeTensorsFile(contentsOf: dir + "/golden.safetensors")
        let frameT = try #require(golden.tensors["frame"]), boxes = try #require(golden.tensors["verifier_boxes"])
        let probs = try #require(golden.tensors["verifier_probs"])
        let frame = PixelImage(width: frameT.shape[1], height: frameT.shape[0], format: .rgb24, pixels: frameT.values.map { UInt8($0) })
        #expect(boxes.shape == [probs.values.count, 4])
        for (i, p) in probs.values.enumerated() {
            let b = DetectedBox(x: boxes.values[4 * i], y: boxes.values[4 * i + 1], width: boxes.values[4 * i + 2],
                                height: boxes.values[4 * i + 3], score: 1)
            let s = detector.verifierScore(b, in: frame)
            #expect(abs(s - p) < 1e-4, "box \(i): Swift \(s), PyTorch \(p)")
        }
        #expect(Set(probs.values.map { Int($0 * 100) }).count == probs.values.count)  // distinct: a wrong crop would show

        // The box-head verifier (a dense last layer, 4x12 kernel over the last grid): probability and moved box.
        let boxed = try PlateDetector(modelPath: dir + "/boxed.safetensors")
        #expect(boxed.info.verifier?.refinesBoxes == true && boxed.info.verifier?.layerCount == 4)
        let outputs = try #require(golden.tensors["boxed_outputs"])
        #expect(outputs.shape == [probs.values.count, 5])
        for i in 0..<outputs.shape[0] {
            let b = DetectedBox(x: boxes.values[4 * i], y: boxes.values[4 * i + 1], width: boxes.values[4 * i + 2],
                                height: boxes.values[4 * i + 3], score: 1)
            let e = Array(outputs.values[(5 * i)..<(5 * i + 5)])
            let v = boxed.verify(b, in: frame)
            let m = try #require(v.box, "box \(i): no box")
            let diff = zip([v.probability, m.x, m.y, m.width, m.height], e).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff < 1e-3, "box \(i): Swift \([v.probability, m.x, m.y, m.width, m.height]), PyTorch \(e)")
        }
        #expect(Set(outputs.values.enumerated().filter { $0.offset % 5 == 0 }.map { Int($0.element * 100) }).count == outputs.shape[0])
    }
}

/// The fine head on a hand-made model: main layers identity 1x1 (stride 1), identity 1x1 stride 2,
/// a 1x1 head (heat logit 0.1 * R - 10), so the main heat map sees only even input pixels; the fine
/// head (stride 1, a zero context) has the same heat rule on every pixel.
struct DetectorFineHeadTests {
    static let identity: [Float] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
    static func tensors(fineInputChannels: Int = 4) -> [(name: String, shape: [Int], values: [Float])] {
        let head: [Float] = [0.1, 0, 0] + [Float](repeating: 0, count: 12)
        var fine = [Float](repeating: 0, count: 5 * fineInputChannels)
        fine[0] = 0.1
        return [("layers.0.weight", [3, 3, 1, 1], identity), ("layers.0.bias", [3], [0, 0, 0]),
                ("layers.1.weight", [3, 3, 1, 1], identity), ("layers.1.bias", [3], [0, 0, 0]),
                ("layers.2.weight", [5, 3, 1, 1], head), ("layers.2.bias", [5], [-10, 0.5, 0.5, log(6), log(2)]),
                ("fine.context.0.weight", [1, 3, 1, 1], [0, 0, 0]), ("fine.context.0.bias", [1], [0]),
                ("fine.layers.0.weight", [5, fineInputChannels, 1, 1], fine), ("fine.layers.0.bias", [5], [-10, 0.5, 0.5, log(4), log(2)])]
    }
    static func meta(fineMinScore: String = "0.5") -> [String: String] {
        var m = DetectorFixtures.metadata(
            stride: 2, layers: #"[{"stride":1,"dilation":1,"padding":0,"relu":true},{"stride":2,"dilation":1,"padding":0,"relu":true},{"stride":1,"dilation":1,"padding":0,"relu":false}]"#)
        m["platetop.fine.input_layer"] = "0"
        m["platetop.fine.context_layer"] = "1"
        m["platetop.fine.context_layers"] = #"[{"stride":1,"dilation":1,"padding":0,"relu":true}]"#
        m["platetop.fine.layers"] = #"[{"stride":1,"dilation":1,"padding":0,"relu":false}]"#
        m["platetop.fine.min_score"] = fineMinScore
        return m
    }
    /// 64x32 frame (input 32x16, scale 2): a red 2x2 block (R 255) at input pixel (11, 5) and a
    /// dimmer one (R 115: heat logit 1.5, score 0.82) at input pixel (21, 10); both have odd x,
    /// which the stride-2 main head never reads.
    static func frame() -> PixelImage {
        var px = [UInt8](repeating: 0, count: 64 * 32 * 3)
        for y in 10...11 { for x in 22...23 { px[(y * 64 + x) * 3] = 255 } }
        for y in 20...21 { for x in 42...43 { px[(y * 64 + x) * 3] = 115 } }
        return PixelImage(width: 64, height: 32, format: .rgb24, pixels: px)
    }

    @Test func fineCandidatesJoinTheMainHeatMaps() throws {
        let model = try DetectorFixtures.model(Self.tensors(), Self.meta())
        let f = try #require(model.info.fineHead)
        #expect(f.stride == 1 && f.inputLayer == 0 && f.contextLayer == 1 && f.minScore == 0.5 && f.layerCount == 2)
        let options = PlateDetector.Options(minScore: 0.5, edgeCutTolerance: nil)
        let det = try PlateDetector(model: model, options: options)
        let found = det.detect(in: Self.frame())
        #expect(found.count == 2)
        // Input centre (11.5, 5.5) and size 4x2 -> frame (23, 11), 8x4.
        let bright = try #require(found.first)
        #expect(abs(bright.x - 19) < 1e-3 && abs(bright.y - 9) < 1e-3 && abs(bright.width - 8) < 1e-3 && abs(bright.height - 4) < 1e-3)
        #expect(bright.score > 0.99)
        #expect(abs(found[1].score - sigmoid(1.5)) < 1e-4 && abs(found[1].x - 39) < 1e-3)
        // The main heat map alone finds nothing: both blocks are on odd columns.
        let (main, fine) = det.outputs(for: Self.frame(), width: 32, height: 16)
        #expect(main.gridWidth == 16 && main.gridHeight == 8 && main.peaks(minScore: 0.5).isEmpty)
        #expect(fine?.gridWidth == 32 && fine?.stride == 1)
        let off = try PlateDetector(model: model, options: PlateDetector.Options(minScore: 0.5, edgeCutTolerance: nil, useFineHead: false))
        #expect(off.detect(in: Self.frame()).isEmpty)
        // The file's fine min score keeps the dimmer block out.
        let strict = try PlateDetector(model: DetectorFixtures.model(Self.tensors(), Self.meta(fineMinScore: "0.85")), options: options)
        #expect(strict.detect(in: Self.frame()).map(\.score).count == 1)
    }

    @Test func badFineHeadsAreRejectedWithTheKey() {
        func message(_ t: [(name: String, shape: [Int], values: [Float])], _ m: [String: String]) -> String? {
            do { _ = try DetectorFixtures.model(t, m); return nil } catch { return "\(error)" }
        }
        #expect(message(Self.tensors(), Self.meta()) == nil)
        var m = Self.meta(); m["platetop.fine.context_layer"] = "0"
        #expect(message(Self.tensors(), m)?.contains("must satisfy 0 <= input < context") == true)
        m = Self.meta(); m["platetop.fine.input_layer"] = "1"; m["platetop.fine.context_layer"] = "2"
        #expect(message(Self.tensors(), m)?.contains("must satisfy") == true)
        m = Self.meta(); m.removeValue(forKey: "platetop.fine.min_score")
        #expect(message(Self.tensors(), m) == "detector metadata: missing \"platetop.fine.min_score\"")
        #expect(message(Self.tensors(), Self.meta(fineMinScore: "1.5")) == "detector metadata: fine min_score 1.5 must be between 0 and 1")
        #expect(message(Self.tensors(fineInputChannels: 3), Self.meta())?.hasPrefix("tensor 'fine.layers.0.weight': shape [5, 3, 1, 1]") == true)
        #expect(message(Array(Self.tensors().dropLast()), Self.meta()) == "tensor 'fine.layers.0.bias': missing")
        // Fine tensors without the metadata that uses them.
        var plain = Self.meta()
        for k in plain.keys where k.hasPrefix("platetop.fine.") { plain.removeValue(forKey: k) }
        #expect(message(Self.tensors(), plain)?.hasSuffix("unexpected in a centernet-tiny detector") == true)
    }
}
