import COpenBLAS
import Foundation

/// A scored box in some pixel space (floats, top-left origin).
public struct DetectedBox: Sendable, Equatable {
    public var x: Float, y: Float, width: Float, height: Float
    public var score: Float

    public init(x: Float, y: Float, width: Float, height: Float, score: Float) {
        self.x = x; self.y = y; self.width = width; self.height = height; self.score = score
    }

    /// Area of the overlap of the two boxes (0 when they do not overlap).
    func intersectionArea(_ o: DetectedBox) -> Float {
        let ix = max(0, min(x + width, o.x + o.width) - max(x, o.x))
        let iy = max(0, min(y + height, o.y + o.height) - max(y, o.y))
        return ix * iy
    }

    /// Intersection over union (0 when either box is empty).
    public func iou(_ o: DetectedBox) -> Float {
        let inter = intersectionArea(o)
        let union = width * height + o.width * o.height - inter
        return union > 0 ? inter / union : 0
    }

    /// The share of this box's area that lies inside `o` (0 when this box is empty).
    public func fractionInside(_ o: DetectedBox) -> Float {
        let area = width * height
        return area > 0 ? intersectionArea(o) / area : 0
    }
}

/// The raw network output for one input: `channels x gridHeight x gridWidth` floats, planar.
/// Channel 0 is the heat-map logit, 1-2 the centre offset in cells, 3-4 log(size / stride).
public struct DetectorOutput: Sendable {
    public let gridWidth: Int
    public let gridHeight: Int
    public let stride: Int
    public let values: [Float]

    public init(gridWidth: Int, gridHeight: Int, stride: Int, values: [Float]) {
        precondition(values.count == DetectorModel.outputChannels * gridWidth * gridHeight)
        self.gridWidth = gridWidth; self.gridHeight = gridHeight; self.stride = stride; self.values = values
    }

    @inline(__always) public func value(channel: Int, x: Int, y: Int) -> Float {
        values[(channel * gridHeight + y) * gridWidth + x]
    }

    /// Heat-map peaks (3x3 local maxima of the logit, ties kept) whose sigmoid score is at least
    /// `minScore`, decoded to boxes in input pixels, best first, at most `limit`.
    public func peaks(minScore: Float, limit: Int = 100) -> [DetectedBox] {
        let clamped = min(max(minScore, 1e-6), 1 - 1e-6)
        let minLogit = log(clamped / (1 - clamped))
        var found: [DetectedBox] = []
        let s = Float(stride)
        for y in 0..<gridHeight {
            for x in 0..<gridWidth {
                let v = value(channel: 0, x: x, y: y)
                guard v >= minLogit else { continue }
                var isPeak = true
                for dy in -1...1 where isPeak {
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let nx = x + dx, ny = y + dy
                        if nx >= 0, ny >= 0, nx < gridWidth, ny < gridHeight, value(channel: 0, x: nx, y: ny) > v {
                            isPeak = false; break
                        }
                    }
                }
                guard isPeak else { continue }
                let cx = (Float(x) + value(channel: 1, x: x, y: y)) * s
                let cy = (Float(y) + value(channel: 2, x: x, y: y)) * s
                let w = exp(min(value(channel: 3, x: x, y: y), 12)) * s
                let h = exp(min(value(channel: 4, x: x, y: y), 12)) * s
                found.append(DetectedBox(x: cx - w / 2, y: cy - h / 2, width: w, height: h, score: sigmoid(v)))
            }
        }
        found.sort { $0.score > $1.score }
        return Array(found.prefix(max(limit, 0)))
    }
}

/// The logistic function: a network's logit as a probability.
@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

/// Greedy non-maximum suppression: keeps boxes best first, dropping any whose IoU with a kept
/// box exceeds `iouThreshold` or, with `containmentThreshold`, more than that share of whose area
/// lies inside a kept box; at most `limit` boxes. Equal scores keep their input order.
public func nonMaximumSuppression(_ boxes: [DetectedBox], iouThreshold: Float, containmentThreshold: Float? = nil,
                                  limit: Int = .max) -> [DetectedBox] {
    var kept: [DetectedBox] = []
    for b in boxes.sorted(by: { $0.score > $1.score }) {
        if kept.count >= limit { break }
        let separate = kept.allSatisfy { k in
            k.iou(b) <= iouThreshold && containmentThreshold.map { b.fractionInside(k) <= $0 } ?? true
        }
        if separate { kept.append(b) }
    }
    return kept
}

/// Finds plates anywhere in a frame with a ``DetectorModel`` (CPU, im2col + OpenBLAS `sgemm` in
/// cache-sized bands of output rows).
///
/// The frame is resized (half-pixel bilinear) to `options.inputWidth` wide, keeping its aspect
/// (height rounded to a multiple of the model stride), run through the network, heat-map peaks
/// above `options.minScore` are decoded to boxes, suppressed with NMS, mapped back to frame
/// pixels and expanded by `options.cropMargin` on each side for the recognizer's crop.
///
/// **Thread confinement.** Owns scratch buffers reused on every call (reallocated only when the
/// input size changes); not `Sendable`: create and use it on one queue.
public final class PlateDetector: PlateLocator {
    /// Tunables; all have sensible defaults.
    public struct Options: Sendable, Equatable {
        /// Lowest heat-map score (0...1) that counts as a plate (nil: the model's calibrated `min_score`).
        public var minScore: Float? = nil
        /// Width of the network input in pixels (nil: the model's own `input_width`, 640).
        public var inputWidth: Int? = nil
        /// Boxes overlapping a better one by more than this IoU are dropped.
        public var nmsThreshold: Float = 0.3
        /// A box lying by more than this share of its area inside a better-scored one is a part of
        /// that plate, not a plate of its own, and is dropped (plates do not hold other plates: a
        /// Mercosur plate's `BRASIL` band or one line of a two-line plate can score as a plate); nil
        /// turns it off. IoU alone misses these: a band is a small part of its plate's box.
        public var containmentThreshold: Float? = 0.9
        /// Most plates returned per frame.
        public var maxDetections: Int = 16
        /// The crop grows by this fraction of the box width (height) on the left and right (top and bottom).
        public var cropMargin: Double = 0.08
        /// OpenBLAS threads used by `locate` (the count is process-global and set on each call).
        public var threads: Int = 1
        /// Plates tilted by at least this many degrees (``PlateDeskew``) are straightened before
        /// recognition; nil turns deskewing off.
        public var deskewMinDegrees: Double? = 3
        /// Plates whose box runs past the frame's edge by more than this many pixels are cut by it
        /// and not handed to the recognizer (a vehicle entering or leaving would otherwise be logged
        /// under a partial text); nil keeps them. The default, -0.5, also cuts a box that ends on the
        /// edge (less than half a pixel inside): the verifier's crop is clamped to the frame, so its box
        /// of a plate that continues past the edge ends exactly there (a Mercosur plate's `BRASIL` band
        /// is all that is left of it as the car leaves the demo clip's frame).
        public var edgeCutTolerance: Float? = -0.5
        /// Re-score candidates with the model's verifier when it has one (``DetectorInfo/verifier``);
        /// false uses the heat-map scores alone.
        public var useVerifier: Bool = true
        /// Add the candidates of the model's fine head when it has one (``DetectorInfo/fineHead``);
        /// false uses the main heat map's alone.
        public var useFineHead: Bool = true

        public init(minScore: Float? = nil, inputWidth: Int? = nil, nmsThreshold: Float = 0.3,
                    maxDetections: Int = 16, cropMargin: Double = 0.08, threads: Int = 1,
                    deskewMinDegrees: Double? = 3, edgeCutTolerance: Float? = -0.5, useVerifier: Bool = true,
                    useFineHead: Bool = true, containmentThreshold: Float? = 0.9) {
            self.containmentThreshold = containmentThreshold
            self.edgeCutTolerance = edgeCutTolerance
            self.useVerifier = useVerifier
            self.useFineHead = useFineHead
            self.minScore = minScore; self.inputWidth = inputWidth; self.nmsThreshold = nmsThreshold
            self.maxDetections = maxDetections; self.cropMargin = cropMargin; self.threads = threads
            self.deskewMinDegrees = deskewMinDegrees
        }
    }

    /// Why options are unusable.
    public struct InvalidOptions: Error, CustomStringConvertible {
        public let description: String
    }

    public let model: DetectorModel
    public let options: Options
    public var info: DetectorInfo { model.info }
    /// The score threshold in use: `options.minScore`, else the model's calibrated one (its
    /// verifier's when that is in use).
    public var minScore: Float { options.minScore ?? verifier?.minScore ?? model.info.minScore }
    /// The input width in use: `options.inputWidth`, else the model's.
    public var inputWidth: Int { options.inputWidth ?? model.info.inputWidth }
    /// The verifier in use: the model's, unless `options.useVerifier` is false.
    public var verifier: VerifierInfo? { options.useVerifier ? model.info.verifier : nil }
    /// The fine head in use: the model's, unless `options.useFineHead` is false.
    public var fineHead: FineHeadInfo? { options.useFineHead ? model.info.fineHead : nil }

    private var buffers: [UnsafeMutablePointer<Float>] = []
    private var bufferSizes: [Int] = []

    public convenience init(modelPath: String, options: Options = Options()) throws {
        try self.init(model: DetectorModel(contentsOf: modelPath), options: options)
    }

    public init(model: DetectorModel, options: Options = Options()) throws {
        if let s = options.minScore, !(s > 0 && s < 1) {
            throw InvalidOptions(description: "detector min score \(s) must be between 0 and 1 (exclusive)")
        }
        if let w = options.inputWidth, w < 32 || w > 4096 {
            throw InvalidOptions(description: "detector input width \(w) must be 32...4096")
        }
        guard options.nmsThreshold >= 0, options.nmsThreshold <= 1 else {
            throw InvalidOptions(description: "detector NMS threshold \(options.nmsThreshold) must be 0...1")
        }
        if let c = options.containmentThreshold, !(c > 0 && c <= 1) {
            throw InvalidOptions(description: "detector containment threshold \(c) must be in (0, 1]")
        }
        guard options.maxDetections >= 1, options.cropMargin >= 0, options.cropMargin <= 2,
              options.threads >= 1, options.threads <= 64 else {
            throw InvalidOptions(description: "detector options out of range (maxDetections >= 1, cropMargin 0...2, threads 1...64)")
        }
        self.model = model
        self.options = options
    }

    deinit {
        for (p, n) in zip(buffers, bufferSizes) { p.deinitialize(count: n); p.deallocate() }
    }

    /// The network input size used for a `frameWidth x frameHeight` frame.
    public func inputSize(frameWidth: Int, frameHeight: Int) -> (width: Int, height: Int) {
        let w = inputWidth
        let s = model.info.stride
        let h = Int((Double(frameHeight) * Double(w) / Double(max(frameWidth, 1)) / Double(s)).rounded()) * s
        return (w, max(s, h))
    }

    /// Plates in `frame`, best first: box in frame pixels, detector score, crop with margin
    /// (straightened when the plate is tilted, see `Options.deskewMinDegrees`).
    public func locate(in frame: PixelImage) throws -> [PlateCandidate] {
        guard frame.width >= 2, frame.height >= 2 else { return [] }
        return detect(in: frame).compactMap { candidate(for: $0, in: frame) }
    }

    /// The candidate ``locate(in:)`` makes of detection `b`: nil when the box runs past the frame's edge
    /// (see `Options.edgeCutTolerance`) or has no pixels inside it.
    public func candidate(for b: DetectedBox, in frame: PixelImage) -> PlateCandidate? {
        let fw = Float(frame.width), fh = Float(frame.height)
        if let t = options.edgeCutTolerance,
           b.x < -t || b.y < -t || b.x + b.width > fw + t || b.y + b.height > fh + t { return nil }
        let bounds = frame.bounds
        let box = Self.pixelRect(b, margin: 0, in: bounds)
        let cropRect = Self.pixelRect(b, margin: options.cropMargin, in: bounds)
        guard let box, let cropRect else { return nil }
        return PlateCandidate(box: box, score: b.score, crop: crop(of: frame, box: b, rect: cropRect))
    }

    /// The recognizer's pixels for detection `b`: the margin-grown `rect`, or, for a tilted plate, the
    /// upright plate (plus the same margin) sampled from the frame along its tilt.
    func crop(of frame: PixelImage, box b: DetectedBox, rect: PixelRect) -> PixelImage {
        let straight = frame.cropped(to: rect)
        guard let minDegrees = options.deskewMinDegrees else { return straight }
        let angle = PlateDeskew.estimateAngle(straight)
        guard abs(angle) >= minDegrees else { return straight }
        let (pw, ph) = PlateDeskew.uprightSize(boxWidth: Double(b.width), boxHeight: Double(b.height), degrees: angle)
        let grow = 1 + 2 * options.cropMargin
        let w = max(2, Int((pw * grow).rounded())), h = max(2, Int((ph * grow).rounded()))
        return PlateDeskew.rotatedCrop(of: frame, centerX: Double(b.x + b.width / 2), centerY: Double(b.y + b.height / 2),
                                       width: w, height: h, degrees: angle)
    }

    /// Detections in frame pixels (floats, unclamped), after NMS, best first. With a fine head
    /// (``fineHead``), its peaks scoring at least its `minScore` join the heat map's before NMS.
    /// With a verifier (``verifier``), the heat-map peaks scoring at least its `candidateMinScore` are candidates and
    /// each one's score becomes `detector^(1 - weight) * verifier^weight`; those reaching ``minScore``
    /// are kept, moved to the verifier's box when it gives one (``VerifierInfo/refinesBoxes``) and
    /// suppressed again with NMS (two candidates of one plate can move onto the same box). With
    /// ``VerifierInfo/recheckMinScore``, a moved candidate scoring at least that is verified again at
    /// its new box and scored with that second probability (the box stays where the first look put it).
    public func detect(in frame: PixelImage) -> [DetectedBox] {
        let (w, h) = inputSize(frameWidth: frame.width, frameHeight: frame.height)
        let (out, fineOut) = outputs(for: frame, width: w, height: h)
        let sx = Float(frame.width) / Float(w), sy = Float(frame.height) / Float(h)
        var threshold = verifier?.candidateMinScore ?? minScore
        if let v = verifier, v.weight < 1 {
            // The verifier's probability is at most 1, so a peak below minScore^(1 / (1 - weight)) can
            // never reach minScore: not worth verifying (the slack covers float rounding).
            threshold = max(threshold, pow(minScore, 1 / (1 - v.weight)) * 0.999)
        }
        var peaks = out.peaks(minScore: threshold, limit: options.maxDetections * 8)
        if let fineOut, let f = fineHead {
            peaks += fineOut.peaks(minScore: max(threshold, f.minScore), limit: options.maxDetections * 8)
        }
        // With a verifier, containment waits for the verified scores: a candidate box that the verifier
        // rejects must not take the plate inside it along.
        let boxes = nonMaximumSuppression(peaks, iouThreshold: options.nmsThreshold,
                                          containmentThreshold: verifier == nil ? options.containmentThreshold : nil,
                                          limit: options.maxDetections).map {
            DetectedBox(x: $0.x * sx, y: $0.y * sy, width: $0.width * sx, height: $0.height * sy, score: $0.score)
        }
        guard let v = verifier else { return boxes }
        var kept: [DetectedBox] = []
        for b in boxes {
            let verdict = verify(b, in: frame)
            var k = verdict.box ?? b
            k.score = pow(b.score, 1 - v.weight) * pow(verdict.probability, v.weight)
            if let recheck = v.recheckMinScore, verdict.box != nil, k.score >= recheck {
                k.score = pow(b.score, 1 - v.weight) * pow(verify(k, in: frame).probability, v.weight)
            }
            if k.score >= minScore { kept.append(k) }
        }
        // Best combined score first (Swift's sort is stable: equal scores keep the heat-map order).
        // Unmoved boxes passed NMS already, so this only drops moved boxes that landed on a better one.
        return nonMaximumSuppression(kept, iouThreshold: options.nmsThreshold,
                                     containmentThreshold: options.containmentThreshold)
    }

    /// What the verifier says about one candidate: its plate probability and, when the verifier
    /// refines boxes, the plate's box in frame pixels (score 0).
    public struct Verdict: Sendable, Equatable {
        public var probability: Float
        public var box: DetectedBox?

        public init(probability: Float, box: DetectedBox? = nil) {
            self.probability = probability; self.box = box
        }
    }

    /// The verifier's plate probability (0...1) for box `b` of `frame` (frame pixels); 0 when the
    /// model has no verifier or the box has no pixels inside the frame.
    public func verifierScore(_ b: DetectedBox, in frame: PixelImage) -> Float {
        verify(b, in: frame).probability
    }

    /// The verifier's ``Verdict`` on box `b` of `frame` (frame pixels): probability 0 and no box
    /// when the model has no verifier or the box has no pixels inside the frame.
    public func verify(_ b: DetectedBox, in frame: PixelImage) -> Verdict {
        guard let v = model.info.verifier,
              let rect = Self.pixelRect(b, margin: v.margin, in: frame.bounds) else { return Verdict(probability: 0) }
        let input = buffer(0, count: v.inputWidth * v.inputHeight)
        frame.cropped(to: rect).writePlanar(width: v.inputWidth, height: v.inputHeight, order: .gray,
                                            mean: v.mean, scale: v.scale, into: input)
        let (y, gw, gh) = run(model.verifierLayers, planar: input, width: v.inputWidth, height: v.inputHeight)
        let cells = gw * gh
        func mean(_ channel: Int) -> Float {
            var sum: Float = 0
            for i in 0..<cells { sum += y[channel * cells + i] }
            return sum / Float(cells)
        }
        let probability = sigmoid(mean(0))
        guard v.refinesBoxes else { return Verdict(probability: probability) }
        // Left, top, right, bottom as fractions of the crop.
        let rx = Float(rect.x), ry = Float(rect.y), rw = Float(rect.width), rh = Float(rect.height)
        let x0 = rx + mean(1) * rw, y0 = ry + mean(2) * rh, x1 = rx + mean(3) * rw, y1 = ry + mean(4) * rh
        guard x1 > x0, y1 > y0 else { return Verdict(probability: probability) }
        return Verdict(probability: probability, box: DetectedBox(x: x0, y: y0, width: x1 - x0, height: y1 - y0, score: 0))
    }

    /// The raw network output (main heat map) for `frame` resized to `width x height`.
    public func output(for frame: PixelImage, width: Int, height: Int) -> DetectorOutput {
        forward(planar: planar(frame, width: width, height: height), width: width, height: height, fine: false).main
    }

    /// The raw outputs of the main heat map and of the fine head (nil without one in use, see
    /// ``fineHead``) for `frame` resized to `width x height`.
    public func outputs(for frame: PixelImage, width: Int, height: Int) -> (main: DetectorOutput, fine: DetectorOutput?) {
        forward(planar: planar(frame, width: width, height: height), width: width, height: height, fine: fineHead != nil)
    }

    /// The raw network output (main heat map) for an already normalised planar input `[channels][height][width]`.
    public func output(planarInput: [Float], width: Int, height: Int) -> DetectorOutput {
        outputs(planarInput: planarInput, width: width, height: height, fine: false).main
    }

    /// ``outputs(for:width:height:)`` for an already normalised planar input `[channels][height][width]`;
    /// `fine` false skips the fine head.
    public func outputs(planarInput: [Float], width: Int, height: Int, fine: Bool = true) -> (main: DetectorOutput, fine: DetectorOutput?) {
        let c = model.info.colorOrder.channels
        precondition(planarInput.count == c * width * height, "planar input must hold channels * height * width floats")
        let input = buffer(0, count: planarInput.count)
        planarInput.withUnsafeBufferPointer { input.update(from: $0.baseAddress!, count: $0.count) }
        return forward(planar: input, width: width, height: height, fine: fine && fineHead != nil)
    }

    /// `frame` resized to `width x height` and normalised, planar, in scratch buffer 0.
    private func planar(_ frame: PixelImage, width: Int, height: Int) -> UnsafeMutablePointer<Float> {
        let input = buffer(0, count: model.info.colorOrder.channels * width * height)
        frame.writePlanar(width: width, height: height, order: model.info.colorOrder,
                          mean: model.info.mean, scale: model.info.scale, into: input)
        return input
    }

    /// Floats of im2col matrix per band of output rows: small enough for the band, OpenBLAS's
    /// packed copy of it and the output band to stay in the L2 cache (one 800x448 pass through
    /// the whole matrix at once is memory-bound: the copies cost more than the multiply-adds).
    static let defaultBandFloats = 64 * 1024
    /// ``defaultBandFloats``; tests make it tiny so that every layer runs in many bands.
    var bandFloats = PlateDetector.defaultBandFloats

    /// Scratch buffers of the fine head: a copy of the stride-4 features, of the context features
    /// (the backbone's buffers are reused later on) and the input of the layer the context joins.
    private static let fineInputSlot = 7, fineContextSlot = 8, fineJoinedSlot = 9

    private func forward(planar input: UnsafeMutablePointer<Float>, width: Int, height: Int,
                         fine useFine: Bool) -> (main: DetectorOutput, fine: DetectorOutput?) {
        let layers = model.layers
        guard useFine, let f = model.info.fineHead, let contextOut = model.fineContextLayers.last else {
            let (x, w, h) = run(layers, planar: input, width: width, height: height)
            let values = Array(UnsafeBufferPointer(start: x, count: DetectorModel.outputChannels * w * h))
            return (DetectorOutput(gridWidth: w, gridHeight: h, stride: model.info.stride, values: values), nil)
        }
        let g4 = DetectorModel.walk(Array(layers[...f.inputLayer]), width: width, height: height)
        let g8 = DetectorModel.walk(Array(layers[...f.contextLayer]), width: width, height: height)
        let c4 = layers[f.inputLayer].outC, c8 = layers[f.contextLayer].outC, cc = contextOut.outC
        let joins = f.contextJoinsLayer, fineLayers = model.fineLayers
        // Channels before the context in the joined input: the backbone's, or those of the fine layer before.
        let before = joins == 0 ? c4 : fineLayers[joins - 1].outC
        let n4 = g4.width * g4.height, joinedCount = (before + cc) * n4, contextCount = c8 * g8.width * g8.height
        // With joins == 0 the backbone features are captured straight into the joined input.
        let featureSlot = joins == 0 ? Self.fineJoinedSlot : Self.fineInputSlot
        let (x, w, h) = run(layers, planar: input, width: width, height: height,
                            captures: [f.inputLayer: (featureSlot, joins == 0 ? joinedCount : c4 * n4),
                                       f.contextLayer: (Self.fineContextSlot, contextCount)])
        let main = DetectorOutput(gridWidth: w, gridHeight: h, stride: model.info.stride,
                                  values: Array(UnsafeBufferPointer(start: x, count: DetectorModel.outputChannels * w * h)))
        let (cx, cw, ch) = run(model.fineContextLayers, planar: buffer(Self.fineContextSlot, count: contextCount),
                               width: g8.width, height: g8.height)
        // The context, upsampled x2 (nearest), goes after the `before` channels.
        let joined = buffer(Self.fineJoinedSlot, count: joinedCount)
        for c in 0..<cc {
            for y in 0..<g4.height {
                let src = cx + (c * ch + min(y / 2, ch - 1)) * cw, dst = joined + ((before + c) * g4.height + y) * g4.width
                for x in 0..<g4.width { dst[x] = src[min(x / 2, cw - 1)] }
            }
        }
        if joins > 0 {
            let (px, _, _) = run(Array(fineLayers[..<joins]), planar: buffer(Self.fineInputSlot, count: c4 * n4),
                                 width: g4.width, height: g4.height)
            joined.update(from: px, count: before * n4)
        }
        let (fx, fw, fh) = run(Array(fineLayers[joins...]), planar: joined, width: g4.width, height: g4.height)
        let fine = DetectorOutput(gridWidth: fw, gridHeight: fh, stride: f.stride,
                                  values: Array(UnsafeBufferPointer(start: fx, count: DetectorModel.outputChannels * fw * fh)))
        return (main, fine)
    }

    /// Runs `layers` on the planar input; returns the last layer's planar output (in one of the
    /// scratch buffers, valid until the next call) and its width and height. `captures` maps a
    /// layer's index to a scratch slot and its size: that layer's output (after its ReLU, planar) is
    /// copied to the start of that slot.
    private func run(_ layers: [DetectorConv], planar input: UnsafeMutablePointer<Float>, width: Int,
                     height: Int, captures: [Int: (slot: Int, count: Int)] = [:]) -> (UnsafeMutablePointer<Float>, Int, Int) {
        if openblas_get_num_threads() != Int32(options.threads) { openblas_set_num_threads(Int32(options.threads)) }
        var x = input, w = width, h = height
        var xIsSplit = false  // x already holds the column phases the layer's stride needs
        for (i, l) in layers.enumerated() {
            let ow = l.outputWidth(w), oh = l.outputHeight(h)
            precondition(ow >= 1 && oh >= 1, "network input \(width)x\(height) is too small")
            let n = ow * oh
            let y = buffer(2 + (i % 2), count: l.outC * n)
            // A 1x1 conv, or a kernel covering the whole unpadded input (a dense layer), reads its
            // input as the im2col matrix itself.
            let direct = l.padding == 0 && ((l.kh == 1 && l.kw == 1 && l.stride == 1) || (l.kh == h && l.kw == w && !xIsSplit))
            let inStarts = Self.phaseStarts(width: w, stride: l.stride)
            let rows = direct || l.stride == 1 || xIsSplit ? UnsafePointer(x)
                : splitPhases(x, rows: l.inC * h, width: w, stride: l.stride, starts: inStarts)
            // A strided next layer gets its input split into phases by this layer's ReLU pass,
            // while the band is still in the cache.
            let nextStride = i + 1 < layers.count ? layers[i + 1].stride : 1
            let splitOut: UnsafeMutablePointer<Float>? = nextStride > 1 && (layers[i + 1].kh > 1 || layers[i + 1].kw > 1)
                ? buffer(5 + (i % 2), count: l.outC * n) : nil
            let bandRows = direct ? oh : max(1, min(oh, bandFloats / (l.kk * ow)))
            let col = direct ? x : buffer(1, count: l.kk * bandRows * ow)
            var oy0 = 0
            while oy0 < oh {
                let oy1 = min(oh, oy0 + bandRows), bn = (oy1 - oy0) * ow
                if !direct {
                    im2col(rows, channels: l.inC, h: h, w: w, conv: l, phaseStarts: inStarts, rows: oy0..<oy1, ow: ow, into: col)
                }
                let band = y + oy0 * ow
                // The band starts as the bias (beta 1 adds the product to it: no zeroing pass).
                l.bias.withUnsafeBufferPointer { bp in
                    for o in 0..<l.outC { (band + o * n).update(repeating: bp[o], count: bn) }
                }
                l.weight.withUnsafeBufferPointer { wp in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(l.outC), Int32(bn), Int32(l.kk),
                                1, wp.baseAddress, Int32(l.kk), col, Int32(bn), 1, band, Int32(n))
                }
                if let splitOut {
                    let outStarts = Self.phaseStarts(width: ow, stride: nextStride)
                    for o in 0..<l.outC {
                        for oy in oy0..<oy1 {
                            let src = y + (o &* n &+ oy &* ow), dst = splitOut + (o &* n &+ oy &* ow)
                            for r in 0..<nextStride {
                                let out = dst + outStarts[r]
                                var j = r, k = 0
                                while j < ow {
                                    out[k] = l.relu ? max(src[j], 0) : src[j]
                                    j &+= nextStride; k &+= 1
                                }
                            }
                        }
                    }
                } else if l.relu {
                    for o in 0..<l.outC {
                        let r = band + o * n
                        for j in 0..<bn { r[j] = max(r[j], 0) }
                    }
                }
                oy0 = oy1
            }
            if let capture = captures[i] {
                // y holds this layer's output after its ReLU, unless a split copy took the ReLU.
                precondition(capture.count >= l.outC * n, "capture slot too small")
                let dst = buffer(capture.slot, count: capture.count)
                if splitOut != nil && l.relu {
                    for j in 0..<(l.outC * n) { dst[j] = max(y[j], 0) }
                } else {
                    dst.update(from: y, count: l.outC * n)
                }
            }
            x = splitOut ?? y; xIsSplit = splitOut != nil; w = ow; h = oh
        }
        return (x, w, h)
    }

    /// Each of `rows` rows of `width` floats split into its `stride` column phases, one after the
    /// other (phase r holds columns r, r + stride, ...), so that a strided conv's im2col rows are
    /// contiguous copies; `starts` is ``phaseStarts(width:stride:)``.
    private func splitPhases(_ x: UnsafePointer<Float>, rows: Int, width w: Int, stride s: Int,
                             starts: [Int]) -> UnsafePointer<Float> {
        let split = buffer(4, count: rows * w)
        for row in 0..<rows {
            let src = x + row * w, dst = split + row * w
            for r in 0..<s {
                let out = dst + starts[r]
                var i = 0, j = r
                while j < w { out[i] = src[j]; i &+= 1; j &+= s }
            }
        }
        return UnsafePointer(split)
    }

    /// Where column phase r (columns r, r + s, ...) begins inside a split row of width `w`.
    static func phaseStarts(width w: Int, stride s: Int) -> [Int] {
        (0...s).map { r in (0..<r).reduce(0) { $0 + (w - $1 + s - 1) / s } }
    }

    /// Output rows `rows` of the im2col matrix, `col[(c*kh + ky)*kw + kx][(oy - rows.lowerBound)*ow + ox]
    /// = x[c][oy*s - p + ky*d][ox*s - p + kx*d]` (0 outside); for a stride s > 1, `x` is the
    /// ``splitPhases(_:rows:width:stride:starts:)`` copy of the input and `starts` its
    /// ``phaseStarts(width:stride:)``.
    private func im2col(_ x: UnsafePointer<Float>, channels: Int, h: Int, w: Int, conv l: DetectorConv,
                        phaseStarts starts: [Int], rows: Range<Int>, ow: Int, into col: UnsafeMutablePointer<Float>) {
        let kh = l.kh, kw = l.kw, s = l.stride, d = l.dilation, p = l.padding
        let bn = rows.count * ow
        for c in 0..<channels {
            let plane = x + c * h * w
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let dst = col + ((c * kh + ky) * kw + kx) * bn
                    let offX = kx * d - p
                    // Valid output columns: 0 <= ox*s + offX < w.
                    let ox0 = offX >= 0 ? 0 : (-offX + s - 1) / s
                    let ox1 = min(ow, w - offX > 0 ? (w - offX - 1) / s + 1 : 0)
                    // Input column ox*s + offX is element ox + shift of phase r.
                    let r = ((offX % s) + s) % s, shift = (offX - r) / s
                    for oy in rows {
                        let row = dst + (oy - rows.lowerBound) * ow
                        let sy = oy * s + ky * d - p
                        if sy < 0 || sy >= h || ox1 <= ox0 {
                            row.update(repeating: 0, count: ow)
                            continue
                        }
                        if ox0 > 0 { row.update(repeating: 0, count: ox0) }
                        let phase = plane + sy * w + starts[r] + shift
                        (row + ox0).update(from: phase + ox0, count: ox1 - ox0)
                        if ox1 < ow { (row + ox1).update(repeating: 0, count: ow - ox1) }
                    }
                }
            }
        }
    }

    private func buffer(_ slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= slot {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: 1)
            p.initialize(to: 0)
            buffers.append(p); bufferSizes.append(1)
        }
        if bufferSizes[slot] < count {
            buffers[slot].deinitialize(count: bufferSizes[slot]); buffers[slot].deallocate()
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            p.initialize(repeating: 0, count: count)
            buffers[slot] = p; bufferSizes[slot] = count
        }
        return buffers[slot]
    }

    /// `b` grown by `margin` of its size on each side, rounded outwards and clamped to `bounds`;
    /// nil when less than 2x2 pixels remain.
    static func pixelRect(_ b: DetectedBox, margin: Double, in bounds: PixelRect) -> PixelRect? {
        let mx = Double(b.width) * margin, my = Double(b.height) * margin
        let x0 = max(Double(bounds.x), (Double(b.x) - mx).rounded(.down))
        let y0 = max(Double(bounds.y), (Double(b.y) - my).rounded(.down))
        let x1 = min(Double(bounds.maxX), (Double(b.x + b.width) + mx).rounded(.up))
        let y1 = min(Double(bounds.maxY), (Double(b.y + b.height) + my).rounded(.up))
        guard x1 - x0 >= 2, y1 - y0 >= 2 else { return nil }
        return PixelRect(x: Int(x0), y: Int(y0), width: Int(x1 - x0), height: Int(y1 - y0))
    }
}
