import Foundation

/// What a plate-detector model file says about itself.
public struct DetectorInfo: Sendable, Equatable {
    public var name: String
    public var description: String
    /// Output cells per input pixel: one heat-map cell covers `stride x stride` input pixels.
    public var stride: Int
    public var colorOrder: ChannelOrder
    /// Input normalisation: `(pixel - mean) * scale`.
    public var mean: Float
    public var scale: Float
    /// The input width the model was trained for (frames are resized to it by default).
    public var inputWidth: Int
    /// The score threshold the model was calibrated for (`platetop.min_score`; 0.3 when absent).
    public var minScore: Float
    /// Learnable values in the file (conv weights and biases).
    public var parameterCount: Int
    /// Number of convolution layers.
    public var layerCount: Int
    /// The second stage that re-scores candidates, when the file has one.
    public var verifier: VerifierInfo? = nil
    /// The finer heat map for the smallest plates, when the file has one.
    public var fineHead: FineHeadInfo? = nil
}

/// What a detector file says about its fine head: a second, finer heat map (same five channels as
/// the main one) for plates only a cell or two wide at the main stride.
///
/// It runs its layers on the backbone's output after layer `inputLayer` (stride ``stride``); the
/// output after layer `contextLayer` (twice that stride), passed through its own 1x1 context
/// convolutions and upsampled x2 (nearest), is concatenated (after the channels there) to the input
/// of its layer `contextJoinsLayer` (0: to the backbone features themselves). Its peaks scoring
/// at least `minScore` join the main heat map's candidates before non-maximum suppression and the verifier.
public struct FineHeadInfo: Sendable, Equatable {
    public var inputLayer: Int
    public var contextLayer: Int
    /// The fine layer whose input the upsampled context joins (`platetop.fine.context_joins_layer`, default 0).
    public var contextJoinsLayer: Int = 0
    /// Input pixels per fine cell.
    public var stride: Int
    /// Lowest fine heat-map score that makes a candidate (`platetop.fine.min_score`).
    public var minScore: Float
    public var parameterCount: Int
    public var layerCount: Int
}

/// What a detector file says about its plate verifier: a small grey-level network that looks again
/// at each candidate in the frame's own pixels and gives the probability that it is a plate.
///
/// Candidates are the heat-map peaks scoring at least `candidateMinScore`; each one's crop is its
/// box grown by `margin` of its size on each side, resized (half-pixel bilinear, grey) to
/// `inputWidth x inputHeight` and normalised `(v - mean) * scale`; the network's output averaged
/// over its cells has one channel, the plate logit, or five (``refinesBoxes``): the plate logit and
/// the plate's box as fractions of the crop (left, top, right, bottom), which replaces the
/// heat map's box of a kept candidate. The candidate's final score is
/// `detector^(1 - weight) * verifier^weight`, compared with `minScore` (the calibrated threshold
/// of that combined score; the file's `platetop.min_score` stays the heat map's own threshold).
public struct VerifierInfo: Sendable, Equatable {
    public var minScore: Float
    public var inputWidth: Int
    public var inputHeight: Int
    public var margin: Double
    public var mean: Float
    public var scale: Float
    public var weight: Float
    public var candidateMinScore: Float
    public var parameterCount: Int
    public var layerCount: Int
    /// The network also gives the plate's box inside the crop (five output channels, not one).
    public var refinesBoxes: Bool = false
    /// With a box head (``refinesBoxes``): a candidate whose combined score reaches this is looked at
    /// a second time, cropped around the box it moved to, and that second probability replaces the
    /// first in its score (`platetop.verifier.recheck_min_score`; nil: one look). The heat map's box
    /// of a small plate is often off by a good part of the plate, so the first crop is off-centre;
    /// the second one is centred the way the verifier saw most plates in training.
    public var recheckMinScore: Float? = nil
}

/// One convolution of the detector: kernel `kh x kw` (rows x columns; square in the heat map, the
/// whole last grid in a verifier's dense head), zero padding, stride and dilation;
/// `weight` is `[outC][inC * kh * kw]` (im2col row order `c, ky, kx`).
struct DetectorConv: Sendable {
    let outC: Int, inC: Int, kh: Int, kw: Int, stride: Int, dilation: Int, padding: Int, relu: Bool
    let weight: [Float]
    let bias: [Float]
    var kk: Int { inC * kh * kw }

    func outputWidth(_ n: Int) -> Int { (n + 2 * padding - dilation * (kw - 1) - 1) / stride + 1 }
    func outputHeight(_ n: Int) -> Int { (n + 2 * padding - dilation * (kh - 1) - 1) / stride + 1 }
}

/// A validated plate detector (architecture "centernet-tiny", version 1): a list of plain
/// convolutions whose last layer gives, per output cell, 5 channels — centre heat-map logit,
/// centre offset x and y inside the cell (in cells), log(width / stride), log(height / stride).
///
/// Layers come from `platetop.layers` (a JSON list of `{stride, dilation, padding, relu}`) with
/// tensors `layers.<i>.weight` `[out, in, kh, kw]` and `layers.<i>.bias` `[out]`. Every problem
/// throws a one-line ``ModelFileError`` naming the tensor or metadata key.
public struct DetectorModel: Sendable {
    public let info: DetectorInfo
    let layers: [DetectorConv]
    /// The verifier's convolutions (empty without one, see ``DetectorInfo/verifier``).
    let verifierLayers: [DetectorConv]
    /// The fine head's context convolutions and its own (empty without one, see ``DetectorInfo/fineHead``).
    let fineContextLayers: [DetectorConv]
    let fineLayers: [DetectorConv]
    /// Output channels of the last layer.
    public static let outputChannels = 5
    /// Output channels of a verifier that also gives the plate's box (logit + left, top, right, bottom).
    static let verifierBoxOutputs = 5

    public init(contentsOf path: String) throws {
        try self.init(file: try SafeTensorsFile(contentsOf: path))
    }

    public init(file: SafeTensorsFile) throws {
        let meta = file.metadata
        func required(_ key: String) throws -> String {
            guard let v = meta[key] else { throw ModelFileError("detector metadata: missing \"\(key)\"") }
            return v
        }
        func int(_ key: String) throws -> Int {
            guard let v = Int(try required(key)) else { throw ModelFileError("detector metadata: \"\(key)\" is not an integer") }
            return v
        }
        func float(_ key: String) throws -> Float {
            guard let v = Float(try required(key)), v.isFinite else {
                throw ModelFileError("detector metadata: \"\(key)\" is not a finite number")
            }
            return v
        }
        let arch = try required("platetop.architecture")
        guard arch == "centernet-tiny" else {
            throw ModelFileError("detector metadata: architecture \"\(arch)\" is not centernet-tiny (is this a recognizer model?)")
        }
        let version = try required("platetop.architecture_version")
        guard version == "1" else { throw ModelFileError("detector metadata: centernet-tiny architecture_version \(version) unsupported (need 1)") }
        let orderName = try required("platetop.color_order")
        guard let order = ChannelOrder(rawValue: orderName) else {
            throw ModelFileError("detector metadata: color_order \"\(orderName)\" (need bgr, rgb or gray)")
        }
        let channels = try int("platetop.input_channels")
        guard channels == order.channels else {
            throw ModelFileError("detector metadata: input_channels \(channels) does not match color_order \(orderName)")
        }
        let mean = try float("platetop.mean"), scale = try float("platetop.scale")
        guard scale != 0 else { throw ModelFileError("detector metadata: scale is 0") }
        let stride = try int("platetop.stride")
        let inputWidth = try int("platetop.input_width")
        guard inputWidth >= 16, inputWidth <= 4096 else {
            throw ModelFileError("detector metadata: input_width \(inputWidth) outside 16...4096")
        }

        var minScore: Float = 0.3
        if meta["platetop.min_score"] != nil {
            minScore = try float("platetop.min_score")
            guard minScore > 0, minScore < 1 else { throw ModelFileError("detector metadata: min_score \(minScore) must be between 0 and 1") }
        }

        var unused = Set(file.tensors.keys)
        let layers = try Self.layers(in: file, metaKey: "platetop.layers", prefix: "layers.", inputChannels: channels,
                                     outputChannels: [Self.outputChannels], unused: &unused)
        let totalStride = layers.reduce(1) { $0 * $1.stride }
        guard totalStride == stride else {
            throw ModelFileError("detector metadata: stride \(stride) but the layers' strides multiply to \(totalStride)")
        }
        var verifier: VerifierInfo?
        var verifierLayers: [DetectorConv] = []
        if meta["platetop.verifier.layers"] != nil {
            verifierLayers = try Self.layers(in: file, metaKey: "platetop.verifier.layers", prefix: "verifier.layers.",
                                             inputChannels: 1, outputChannels: [1, Self.verifierBoxOutputs], unused: &unused)
            let vw = try int("platetop.verifier.input_width"), vh = try int("platetop.verifier.input_height")
            guard (8...512).contains(vw), (8...512).contains(vh) else {
                throw ModelFileError("detector metadata: verifier input \(vw)x\(vh) outside 8...512")
            }
            let grid = Self.walk(verifierLayers, width: vw, height: vh)
            guard grid.width >= 1, grid.height >= 1 else { throw ModelFileError("detector metadata: verifier input \(vw)x\(vh) is too small for its layers") }
            let margin = try float("platetop.verifier.margin"), weight = try float("platetop.verifier.weight")
            let candidate = try float("platetop.verifier.candidate_min_score")
            let vScale = try float("platetop.verifier.scale")
            guard margin >= 0, margin <= 2 else { throw ModelFileError("detector metadata: verifier margin \(margin) outside 0...2") }
            guard weight >= 0, weight <= 1 else { throw ModelFileError("detector metadata: verifier weight \(weight) outside 0...1") }
            guard candidate > 0, candidate < 1 else {
                throw ModelFileError("detector metadata: verifier candidate_min_score \(candidate) must be between 0 and 1")
            }
            guard vScale != 0 else { throw ModelFileError("detector metadata: verifier scale is 0") }
            let vMin = try float("platetop.verifier.min_score")
            guard vMin > 0, vMin < 1 else { throw ModelFileError("detector metadata: verifier min_score \(vMin) must be between 0 and 1") }
            let refines = verifierLayers.last?.outC == Self.verifierBoxOutputs
            var recheck: Float?
            if meta["platetop.verifier.recheck_min_score"] != nil {
                let r = try float("platetop.verifier.recheck_min_score")
                guard r > 0, r < 1 else {
                    throw ModelFileError("detector metadata: verifier recheck_min_score \(r) must be between 0 and 1")
                }
                guard refines else {
                    throw ModelFileError("detector metadata: verifier recheck_min_score needs a verifier with a box head (\(Self.verifierBoxOutputs) outputs)")
                }
                recheck = r
            }
            verifier = VerifierInfo(
                minScore: vMin, inputWidth: vw, inputHeight: vh, margin: Double(margin), mean: try float("platetop.verifier.mean"), scale: vScale,
                weight: weight, candidateMinScore: candidate,
                parameterCount: Self.parameterCount(verifierLayers), layerCount: verifierLayers.count,
                refinesBoxes: refines, recheckMinScore: recheck)
        }
        var fineHead: FineHeadInfo?
        var fineContextLayers: [DetectorConv] = [], fineLayers: [DetectorConv] = []
        if meta["platetop.fine.layers"] != nil {
            let input = try int("platetop.fine.input_layer"), context = try int("platetop.fine.context_layer")
            guard input >= 0, input < context, context < layers.count - 1 else {
                throw ModelFileError("detector metadata: fine input_layer \(input) and context_layer \(context) must satisfy 0 <= input < context < \(layers.count - 1)")
            }
            guard layers[input].relu, layers[context].relu else {
                throw ModelFileError("detector metadata: the fine head's input and context layers must have relu")
            }
            let fineStride = layers[...input].reduce(1) { $0 * $1.stride }
            let contextStride = layers[...context].reduce(1) { $0 * $1.stride }
            guard contextStride == 2 * fineStride else {
                throw ModelFileError("detector metadata: fine context_layer has stride \(contextStride), need twice the input layer's \(fineStride)")
            }
            fineContextLayers = try Self.layers(in: file, metaKey: "platetop.fine.context_layers", prefix: "fine.context.",
                                                inputChannels: layers[context].outC, outputChannels: nil, unused: &unused)
            var joins = 0
            if meta["platetop.fine.context_joins_layer"] != nil {
                joins = try int("platetop.fine.context_joins_layer")
            }
            fineLayers = try Self.layers(in: file, metaKey: "platetop.fine.layers", prefix: "fine.layers.",
                                         inputChannels: layers[input].outC, outputChannels: [Self.outputChannels],
                                         extraInput: (joins, fineContextLayers.last!.outC), unused: &unused)
            guard joins >= 0, joins < fineLayers.count else {
                throw ModelFileError("detector metadata: fine context_joins_layer \(joins) outside 0...\(fineLayers.count - 1)")
            }
            guard (fineContextLayers + fineLayers).allSatisfy({ $0.stride == 1 }) else {
                throw ModelFileError("detector metadata: the fine head's layers must all have stride 1")
            }
            for l in fineContextLayers where l.kh != 1 || l.kw != 1 || l.padding != 0 {
                throw ModelFileError("detector metadata: the fine head's context layers must be unpadded 1x1 convolutions")
            }
            for l in fineLayers where l.outputWidth(100) != 100 || l.outputHeight(100) != 100 {
                throw ModelFileError("detector metadata: the fine head's layers must keep the grid size (padding = dilation * (kernel - 1) / 2)")
            }
            let fineMin = try float("platetop.fine.min_score")
            guard fineMin > 0, fineMin < 1 else { throw ModelFileError("detector metadata: fine min_score \(fineMin) must be between 0 and 1") }
            fineHead = FineHeadInfo(inputLayer: input, contextLayer: context, contextJoinsLayer: joins, stride: fineStride, minScore: fineMin,
                                    parameterCount: Self.parameterCount(fineContextLayers + fineLayers),
                                    layerCount: fineContextLayers.count + fineLayers.count)
        }
        if let extra = unused.sorted().first {
            throw ModelFileError("tensor '\(extra)': unexpected in a centernet-tiny detector")
        }
        self.layers = layers
        self.verifierLayers = verifierLayers
        self.fineContextLayers = fineContextLayers
        self.fineLayers = fineLayers
        info = DetectorInfo(
            name: meta["platetop.name"] ?? "unnamed", description: meta["platetop.description"] ?? "",
            stride: stride, colorOrder: order, mean: mean, scale: scale, inputWidth: inputWidth,
            minScore: minScore, parameterCount: Self.parameterCount(layers), layerCount: layers.count,
            verifier: verifier, fineHead: fineHead)
    }

    /// The convolutions listed by metadata `metaKey` (a JSON list of `{stride, dilation, padding, relu}`)
    /// with tensors `<prefix><i>.weight` / `.bias`; the last one has one of `outputChannels` and no ReLU
    /// (nil: any channels and activation, for layers whose output feeds more layers). With `extraInput`
    /// `(i, n)`, layer i's input has n more channels (concatenated from elsewhere) than the layer before gives.
    /// Names of the tensors used are removed from `unused`.
    private static func layers(in file: SafeTensorsFile, metaKey: String, prefix: String, inputChannels: Int,
                               outputChannels: [Int]?, extraInput: (at: Int, channels: Int)? = nil,
                               unused: inout Set<String>) throws -> [DetectorConv] {
        struct LayerSpec: Decodable { let stride: Int; let dilation: Int; let padding: Int; let relu: Bool }
        guard let layersJSON = file.metadata[metaKey] else { throw ModelFileError("detector metadata: missing \"\(metaKey)\"") }
        guard let specs = try? JSONDecoder().decode([LayerSpec].self, from: Data(layersJSON.utf8)) else {
            throw ModelFileError("detector metadata: \"\(metaKey)\" is not a JSON list of {stride, dilation, padding, relu}")
        }
        guard !specs.isEmpty, specs.count <= 64 else {
            throw ModelFileError("detector metadata: \"\(metaKey)\" has \(specs.count) layers (need 1...64)")
        }
        var layers: [DetectorConv] = []
        var inC = inputChannels
        for (i, s) in specs.enumerated() {
            if let extraInput, extraInput.at == i { inC += extraInput.channels }
            let wName = "\(prefix)\(i).weight", bName = "\(prefix)\(i).bias"
            guard s.stride >= 1, s.stride <= 4, s.dilation >= 1, s.dilation <= 16, s.padding >= 0, s.padding <= 32 else {
                throw ModelFileError("detector metadata: \(metaKey) layer \(i) has stride \(s.stride), dilation \(s.dilation), padding \(s.padding) (need 1...4, 1...16, 0...32)")
            }
            guard let w = file.tensors[wName] else { throw ModelFileError("tensor '\(wName)': missing") }
            guard w.shape.count == 4, w.shape[1] == inC, w.shape[0] > 0, (1...64).contains(w.shape[2]), (1...64).contains(w.shape[3]) else {
                throw ModelFileError("tensor '\(wName)': shape \(w.shape), expected [out, \(inC), kh, kw] with kernel sides 1...64")
            }
            let outC = w.shape[0]
            if i == specs.count - 1, let outputChannels {
                guard outputChannels.contains(outC) else {
                    let need = outputChannels.map(String.init).joined(separator: " or ")
                    throw ModelFileError("tensor '\(wName)': \(outC) output channels, the last layer needs \(need)")
                }
                guard !s.relu else { throw ModelFileError("detector metadata: the last layer of \(metaKey) must not have relu") }
            }
            guard let b = file.tensors[bName] else { throw ModelFileError("tensor '\(bName)': missing") }
            guard b.shape == [outC] else { throw ModelFileError("tensor '\(bName)': shape \(b.shape), expected [\(outC)]") }
            for t in [w, b] where !t.values.allSatisfy({ $0.isFinite }) {
                throw ModelFileError("tensor '\(t.name)': non-finite values")
            }
            unused.remove(wName); unused.remove(bName)
            layers.append(DetectorConv(outC: outC, inC: inC, kh: w.shape[2], kw: w.shape[3], stride: s.stride,
                                       dilation: s.dilation, padding: s.padding, relu: s.relu, weight: w.values, bias: b.values))
            inC = outC
        }
        return layers
    }

    /// Output grid (cells) for an input of `width x height` pixels.
    public func gridSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let r = Self.walk(layers, width: width, height: height)
        return (r.width, r.height)
    }

    /// Multiply-adds of the verifier on one candidate (0 without a verifier).
    public var verifierMultiplyAdds: Int {
        guard let v = info.verifier else { return 0 }
        return Self.walk(verifierLayers, width: v.inputWidth, height: v.inputHeight).multiplyAdds
    }

    /// Multiply-adds of one forward pass on a `width x height` input (with the fine head, when the
    /// file has one and `fineHead` is true).
    public func multiplyAdds(width: Int, height: Int, fineHead: Bool = true) -> Int {
        var total = Self.walk(layers, width: width, height: height).multiplyAdds
        if fineHead, let f = info.fineHead {
            let fine = Self.walk(Array(layers[...f.inputLayer]), width: width, height: height)
            let context = Self.walk(Array(layers[...f.contextLayer]), width: width, height: height)
            total += Self.walk(fineContextLayers, width: context.width, height: context.height).multiplyAdds
            total += Self.walk(fineLayers, width: fine.width, height: fine.height).multiplyAdds
        }
        return total
    }

    /// Output size of `layers` on a `width x height` input and the multiply-adds on the way.
    static func walk(_ layers: [DetectorConv], width: Int, height: Int) -> (width: Int, height: Int, multiplyAdds: Int) {
        var w = width, h = height, total = 0
        for l in layers {
            w = l.outputWidth(w); h = l.outputHeight(h)
            total += l.outC * l.kk * w * h
        }
        return (w, h, total)
    }

    /// Learnable values of `layers` (weights and biases).
    static func parameterCount(_ layers: [DetectorConv]) -> Int {
        layers.reduce(0) { $0 + $1.weight.count + $1.bias.count }
    }
}
