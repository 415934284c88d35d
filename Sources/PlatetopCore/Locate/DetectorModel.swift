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
}

/// One convolution of the detector: square kernel `k`, zero padding, stride and dilation;
/// `weight` is `[outC][inC * k * k]` (im2col row order `c, ky, kx`).
struct DetectorConv: Sendable {
    let outC: Int, inC: Int, k: Int, stride: Int, dilation: Int, padding: Int, relu: Bool
    let weight: [Float]
    let bias: [Float]
    var kk: Int { inC * k * k }

    func outputSize(_ n: Int) -> Int { (n + 2 * padding - dilation * (k - 1) - 1) / stride + 1 }
}

/// A validated plate detector (architecture "centernet-tiny", version 1): a list of plain
/// convolutions whose last layer gives, per output cell, 5 channels — centre heat-map logit,
/// centre offset x and y inside the cell (in cells), log(width / stride), log(height / stride).
///
/// Layers come from `platetop.layers` (a JSON list of `{stride, dilation, padding, relu}`) with
/// tensors `layers.<i>.weight` `[out, in, k, k]` and `layers.<i>.bias` `[out]`. Every problem
/// throws a one-line ``ModelFileError`` naming the tensor or metadata key.
public struct DetectorModel: Sendable {
    public let info: DetectorInfo
    let layers: [DetectorConv]
    /// Output channels of the last layer.
    public static let outputChannels = 5

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

        struct LayerSpec: Decodable { let stride: Int; let dilation: Int; let padding: Int; let relu: Bool }
        let layersJSON = try required("platetop.layers")
        guard let specs = try? JSONDecoder().decode([LayerSpec].self, from: Data(layersJSON.utf8)) else {
            throw ModelFileError("detector metadata: \"platetop.layers\" is not a JSON list of {stride, dilation, padding, relu}")
        }
        guard !specs.isEmpty, specs.count <= 64 else {
            throw ModelFileError("detector metadata: \"platetop.layers\" has \(specs.count) layers (need 1...64)")
        }
        var unused = Set(file.tensors.keys)
        var layers: [DetectorConv] = []
        var inC = channels, totalStride = 1
        for (i, s) in specs.enumerated() {
            let wName = "layers.\(i).weight", bName = "layers.\(i).bias"
            guard s.stride >= 1, s.stride <= 4, s.dilation >= 1, s.dilation <= 16, s.padding >= 0, s.padding <= 32 else {
                throw ModelFileError("detector metadata: layer \(i) has stride \(s.stride), dilation \(s.dilation), padding \(s.padding) (need 1...4, 1...16, 0...32)")
            }
            guard let w = file.tensors[wName] else { throw ModelFileError("tensor '\(wName)': missing") }
            guard w.shape.count == 4, w.shape[1] == inC, w.shape[2] == w.shape[3], w.shape[0] > 0, w.shape[2] > 0, w.shape[2] % 2 == 1 else {
                throw ModelFileError("tensor '\(wName)': shape \(w.shape), expected [out, \(inC), k, k] with odd k")
            }
            let outC = w.shape[0]
            if i == specs.count - 1 {
                guard outC == Self.outputChannels else {
                    throw ModelFileError("tensor '\(wName)': \(outC) output channels, the last layer needs \(Self.outputChannels)")
                }
                guard !s.relu else { throw ModelFileError("detector metadata: the last layer must not have relu") }
            }
            guard let b = file.tensors[bName] else { throw ModelFileError("tensor '\(bName)': missing") }
            guard b.shape == [outC] else { throw ModelFileError("tensor '\(bName)': shape \(b.shape), expected [\(outC)]") }
            for t in [w, b] where !t.values.allSatisfy({ $0.isFinite }) {
                throw ModelFileError("tensor '\(t.name)': non-finite values")
            }
            unused.remove(wName); unused.remove(bName)
            layers.append(DetectorConv(outC: outC, inC: inC, k: w.shape[2], stride: s.stride, dilation: s.dilation,
                                       padding: s.padding, relu: s.relu, weight: w.values, bias: b.values))
            inC = outC
            totalStride *= s.stride
        }
        guard totalStride == stride else {
            throw ModelFileError("detector metadata: stride \(stride) but the layers' strides multiply to \(totalStride)")
        }
        if let extra = unused.sorted().first {
            throw ModelFileError("tensor '\(extra)': unexpected in a centernet-tiny detector")
        }
        self.layers = layers
        info = DetectorInfo(
            name: meta["platetop.name"] ?? "unnamed", description: meta["platetop.description"] ?? "",
            stride: stride, colorOrder: order, mean: mean, scale: scale, inputWidth: inputWidth,
            minScore: minScore, parameterCount: layers.reduce(0) { $0 + $1.weight.count + $1.bias.count }, layerCount: layers.count)
    }

    /// Output grid (cells) for an input of `width x height` pixels.
    public func gridSize(width: Int, height: Int) -> (width: Int, height: Int) {
        var w = width, h = height
        for l in layers { w = l.outputSize(w); h = l.outputSize(h) }
        return (w, h)
    }

    /// Multiply-adds of one forward pass on a `width x height` input.
    public func multiplyAdds(width: Int, height: Int) -> Int {
        var w = width, h = height, total = 0
        for l in layers {
            w = l.outputSize(w); h = l.outputSize(h)
            total += l.outC * l.kk * w * h
        }
        return total
    }
}
