import Foundation

/// What a recogniser model says about itself (from the safetensors metadata and tensor shapes).
public struct ModelInfo: Sendable, Equatable {
    public var name: String
    public var description: String
    /// Class labels in class order, blank included.
    public var alphabet: [String]
    public var blankIndex: Int
    public var inputWidth: Int
    public var inputHeight: Int
    public var inputChannels: Int
    public var colorOrder: ChannelOrder
    /// Input normalisation: `(pixel - mean) * scale`.
    public var mean: Float
    public var scale: Float
    /// Plate regexes the model was trained for (may be empty).
    public var patterns: [String]
    /// Learnable parameters in the file (conv weights and biases, BN affine; not BN running stats).
    public var parameterCount: Int
    /// Multiply-adds of one forward pass at the nominal architecture (the seed: 144.4 M).
    public var macsPerImage: Int
    /// Inferred widths `[c0, b1, b2, head]` (the seed: 64, 128, 256, 256).
    public var widths: [Int]
    /// CTC time steps of the output (18 for the 94-wide input, 22 for 110).
    public var timeSteps: Int
    /// Width of the container conv over the time steps: 1 for the seed's 1x1 container; an odd
    /// `k > 1` lets each step weigh the context of `k / 2` neighbours on either side.
    public var contextKernel: Int = 1
    /// Per-crop contrast normalisation the model was trained with (`platetop.contrast_std` and
    /// `platetop.contrast_floor`), applied to the normalised input plane; nil for the seed and
    /// models trained without it.
    public var contrast: InputContrast? = nil
    /// How crops are resized to the input (`platetop.resample`; bilinear when the file does not say).
    public var resampling: Resampling = .bilinear
    public var classCount: Int { alphabet.count }
    /// The widths joined by "/", plus ", context kernel K" for a container wider than 1x1
    /// ("48/96/192/192, context kernel 11"), as `platetop info` and `bench` print them.
    public var layoutDescription: String {
        widths.map(String.init).joined(separator: "/") + (contextKernel > 1 ? ", context kernel \(contextKernel)" : "")
    }
}

/// Per-crop contrast normalisation of a model's input: each image (all its channels together) is
/// shifted to mean 0 and scaled to standard deviation `std`, its own deviation taken as at least
/// `floor`, so faded, dark and washed-out crops reach the network with the contrast of clear ones.
public struct InputContrast: Sendable, Equatable {
    public var std: Float
    public var floor: Float

    public init(std: Float, floor: Float) {
        self.std = std
        self.floor = floor
    }

    /// Normalises `count` floats in place (statistics in Double, population deviation).
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var sum = 0.0
        for i in 0..<count { sum += Double(x[i]) }
        let mean = sum / Double(count)
        var sq = 0.0
        for i in 0..<count {
            let d = Double(x[i]) - mean
            sq += d * d
        }
        let gain = Double(std) / max((sq / Double(count)).squareRoot(), Double(floor))
        for i in 0..<count { x[i] = Float((Double(x[i]) - mean) * gain) }
    }
}

/// A convolution with batch norm folded in: `weight` is `[outC][inC * kh * kw]` (im2col row order
/// `c, ky, kx`), zero padding `padH`, `padW`, stride 1.
struct FoldedConv: Sendable {
    let outC: Int, inC: Int, kh: Int, kw: Int, padH: Int, padW: Int
    let weight: [Float]
    let bias: [Float]
    /// The same weights tap-major, `[ky * kw + kx][outC][inC]`, for per-tap shifted GEMMs.
    let taps: [Float]
    var k: Int { inC * kh * kw }

    init(outC: Int, inC: Int, kh: Int, kw: Int, padH: Int, padW: Int, weight: [Float], bias: [Float]) {
        self.outC = outC; self.inC = inC; self.kh = kh; self.kw = kw; self.padH = padH; self.padW = padW
        self.weight = weight; self.bias = bias
        let kk = kh * kw
        var t = [Float](repeating: 0, count: weight.count)
        for o in 0..<outC {
            for c in 0..<inC {
                for tap in 0..<kk { t[(tap * outC + o) * inC + c] = weight[(o * inC + c) * kk + tap] }
            }
        }
        taps = t
    }
}

/// The four convolutions of a `small_basic_block` (BN after it folded into the last one).
struct FoldedBlock: Sendable {
    let conv1: FoldedConv, conv2: FoldedConv, conv3: FoldedConv, conv4: FoldedConv
    var inC: Int { conv1.inC }
    var outC: Int { conv4.outC }
}

/// A validated LPRNet (architecture "lprnet", version 1) with batch norm folded into its convs.
///
/// Widths are inferred from the tensors and every shape is checked layer to layer; any problem
/// throws a ``ModelFileError`` naming the tensor or metadata key.
public struct LPRNetModel: Sendable {
    public let info: ModelInfo
    let conv0: FoldedConv
    let block1: FoldedBlock, block2: FoldedBlock, block3: FoldedBlock
    let conv16: FoldedConv, conv20: FoldedConv
    let container: FoldedConv

    public static let batchNormEpsilon: Float = 1e-5

    public init(contentsOf path: String) throws {
        try self.init(file: try SafeTensorsFile(contentsOf: path))
    }

    public init(file: SafeTensorsFile) throws {
        let meta = file.metadata
        func required(_ key: String) throws -> String {
            guard let v = meta[key] else { throw ModelFileError("model metadata: missing \"\(key)\"") }
            return v
        }
        func int(_ key: String) throws -> Int {
            guard let v = Int(try required(key)) else { throw ModelFileError("model metadata: \"\(key)\" is not an integer") }
            return v
        }
        func float(_ key: String) throws -> Float {
            guard let v = Float(try required(key)), v.isFinite else {
                throw ModelFileError("model metadata: \"\(key)\" is not a finite number")
            }
            return v
        }
        func jsonStrings(_ key: String) throws -> [String] {
            guard let list = try? JSONDecoder().decode([String].self, from: Data(try required(key).utf8)) else {
                throw ModelFileError("model metadata: \"\(key)\" is not a JSON list of strings")
            }
            return list
        }
        let arch = try required("platetop.architecture")
        guard arch == "lprnet" else { throw ModelFileError("model metadata: architecture \"\(arch)\" is not lprnet") }
        let version = try required("platetop.architecture_version")
        guard version == "1" else { throw ModelFileError("model metadata: lprnet architecture_version \(version) unsupported (need 1)") }
        let alphabet = try jsonStrings("platetop.alphabet")
        guard alphabet.count >= 2 else { throw ModelFileError("model metadata: alphabet has \(alphabet.count) classes") }
        let blank = try int("platetop.blank_index")
        guard blank >= 0, blank < alphabet.count else {
            throw ModelFileError("model metadata: blank_index \(blank) outside the \(alphabet.count)-class alphabet")
        }
        let width = try int("platetop.input_width"), height = try int("platetop.input_height")
        guard LPRNetGeometry.isSupported(height: height), LPRNetGeometry.isSupported(width: width) else {
            throw ModelFileError("model metadata: input \(width)x\(height) unsupported (LPRNet needs height 24 to 96 and "
                                 + "width 94, or a wider one with an even f2 map such as 98, 102, 106, 110)")
        }
        let channels = try int("platetop.input_channels")
        let orderName = try required("platetop.color_order")
        guard let order = ChannelOrder(rawValue: orderName) else {
            throw ModelFileError("model metadata: color_order \"\(orderName)\" (need bgr, rgb or gray)")
        }
        guard order.channels == channels else {
            throw ModelFileError("model metadata: input_channels \(channels) does not match color_order \(orderName)")
        }
        let mean = try float("platetop.mean"), scale = try float("platetop.scale")
        guard scale != 0 else { throw ModelFileError("model metadata: scale is 0") }
        let patterns = meta["platetop.patterns"] == nil ? [] : try jsonStrings("platetop.patterns")
        var contrast: InputContrast?
        if meta["platetop.contrast_std"] != nil || meta["platetop.contrast_floor"] != nil {
            let std = try float("platetop.contrast_std"), floor = try float("platetop.contrast_floor")
            guard std > 0, floor > 0 else {
                throw ModelFileError("model metadata: contrast_std and contrast_floor must be positive")
            }
            contrast = InputContrast(std: std, floor: floor)
        }

        var resampling = Resampling.bilinear
        if let name = meta["platetop.resample"] {
            guard let r = Resampling(rawValue: name) else {
                throw ModelFileError("model metadata: resample \"\(name)\" (need bilinear or area)")
            }
            resampling = r
        }

        var reader = TensorReader(tensors: file.tensors)
        let classes = alphabet.count
        let conv0 = try reader.conv("backbone.0", inC: channels, kh: 3, kw: 3, padH: 0, padW: 0, bn: "backbone.1")
        let c0 = conv0.outC
        let block1 = try reader.block("backbone.4", inC: c0, bn: "backbone.5")
        let b1 = block1.outC
        let block2 = try reader.block("backbone.8", inC: (b1 + 1) / 2, bn: "backbone.9")
        let b2 = block2.outC
        let block3 = try reader.block("backbone.11", inC: b2, bn: "backbone.12", outC: b2)
        let conv16 = try reader.conv("backbone.16", inC: (b2 + 3) / 4, kh: 1, kw: 4, padH: 0, padW: 0, bn: "backbone.17")
        let head = conv16.outC
        let conv20 = try reader.conv("backbone.20", inC: head, kh: 13, kw: 1, padH: 0, padW: 0, bn: "backbone.21", outC: classes)
        // The container's kernel width is the file's (1 for the seed); odd, zero-padded to keep t steps.
        let contextKernel = file.tensors["container.0.weight"].flatMap { $0.shape.count == 4 ? $0.shape[3] : nil } ?? 1
        guard contextKernel % 2 == 1, contextKernel <= 63 else {
            throw ModelFileError("tensor 'container.0.weight': context kernel width \(contextKernel) unsupported (need odd, 1 to 63)")
        }
        let container = try reader.conv("container.0", inC: c0 + b1 + b2 + classes, kh: 1, kw: contextKernel, padH: 0,
                                        padW: contextKernel / 2, bn: nil, outC: classes)
        if let extra = reader.unused.sorted().first {
            throw ModelFileError("tensor '\(extra)': unexpected in an lprnet model")
        }

        self.conv0 = conv0; self.block1 = block1; self.block2 = block2; self.block3 = block3
        self.conv16 = conv16; self.conv20 = conv20; self.container = container
        let params = file.tensors.values.filter { !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") }
            .reduce(0) { $0 + $1.values.count }
        let geometry = LPRNetGeometry(inputWidth: width, inputHeight: height)
        var macs = conv0.outC * conv0.k * geometry.h0 * geometry.w0
        for (b, hw) in [(block1, geometry.h1 * geometry.w1), (block2, geometry.h2 * geometry.w2), (block3, geometry.h2 * geometry.w2)] {
            macs += (b.conv1.outC * b.conv1.k + b.conv2.outC * b.conv2.k + b.conv3.outC * b.conv3.k + b.conv4.outC * b.conv4.k) * hw
        }
        macs += conv16.outC * conv16.k * geometry.h4 * geometry.t
        macs += conv20.outC * conv20.k * geometry.h5 * geometry.t
        macs += container.outC * container.k * geometry.h5 * geometry.t
        info = ModelInfo(
            name: meta["platetop.name"] ?? "unnamed", description: meta["platetop.description"] ?? "",
            alphabet: alphabet, blankIndex: blank, inputWidth: width, inputHeight: height, inputChannels: channels,
            colorOrder: order, mean: mean, scale: scale, patterns: patterns, parameterCount: params,
            macsPerImage: macs, widths: [c0, b1, b2, head], timeSteps: geometry.t, contextKernel: contextKernel,
            contrast: contrast, resampling: resampling)
    }
}

/// Spatial sizes of the LPRNet at one input size, and its context-pooling windows.
///
/// At the seed's 94x24 everything is the seed's: 18 time steps, f0/f1 context pools 5x5 stride 5,
/// f2 pool (4,10) stride (4,2). Wider inputs give more CTC time steps (110 -> 22); their f0/f1 context
/// maps are averaged over 5-row bands and then over PyTorch's adaptive-average column windows
/// (`training/lprnet.py` computes the same), and the f2 pool stays the seed's, which fits exactly when
/// the f2 map is even-wide (``isSupported(width:)``). Taller inputs (more rows per character) keep the
/// same pools; the pooled maps then differ in height, and each is averaged over its own rows.
struct LPRNetGeometry: Sendable {
    static let seedWidth = 94, seedHeight = 24
    let inH: Int, inW: Int
    let h0: Int, w0: Int          // conv 3x3 (f0)
    let h1: Int, w1: Int          // max-pool 3x3 s1, block 1 (f1)
    let h2: Int, w2: Int          // max-pool 3x3 s(1,2), blocks 2, 3 (f2)
    let h3: Int, w3: Int          // max-pool 3x3 s(1,2)
    let h4: Int                   // conv (1,4) -> h3 x t
    let h5: Int, t: Int           // conv (13,1) -> (h4 - 12) x t (f3; 4 rows at height 24)

    init(inputWidth: Int = LPRNetGeometry.seedWidth, inputHeight: Int = LPRNetGeometry.seedHeight) {
        inW = inputWidth
        inH = inputHeight
        h0 = inputHeight - 2
        h1 = h0 - 2
        h2 = h1 - 2
        h3 = h2 - 2
        h4 = h3
        h5 = h4 - 12
        w0 = inputWidth - 2
        w1 = w0 - 2
        w2 = (w1 - 3) / 2 + 1
        w3 = (w2 - 3) / 2 + 1
        t = w3 - 3
    }

    /// 94, or a wider input whose f2 map is even-wide so the seed's f2 pool yields `t` columns.
    static func isSupported(width: Int) -> Bool {
        if width == seedWidth { return true }
        guard width > seedWidth, width <= 4096 else { return false }
        return LPRNetGeometry(inputWidth: width).w2 % 2 == 0
    }

    /// The seed's 24 rows, or a taller input up to 96 (`training/lprnet.py` `supported_height`).
    static func isSupported(height: Int) -> Bool { (seedHeight...96).contains(height) }

    /// The context pooling of f0 (`level` 0), f1, f2 or f3 (`level` 3).
    func contextPool(level: Int) -> ContextPool {
        switch level {
        case 0, 1:
            let width = level == 0 ? w0 : w1, height = level == 0 ? h0 : h1
            let columns = inW == LPRNetGeometry.seedWidth
                ? (0..<t).map { 5 * $0 ..< 5 * $0 + 5 }                                  // the seed's 5x5 stride 5
                : (0..<t).map { i in (i * width) / t ..< ((i + 1) * width + t - 1) / t }  // adaptive windows
            return ContextPool(rows: 5, rowStride: 5, mapHeight: height, columns: columns)
        case 2:  // the seed's (4,10) s(4,2)
            return ContextPool(rows: 4, rowStride: 4, mapHeight: h2, columns: (0..<t).map { 2 * $0 ..< 2 * $0 + 10 })
        default: return ContextPool(rows: 1, rowStride: 1, mapHeight: h5, columns: (0..<t).map { $0 ..< $0 + 1 })
        }
    }
}

/// One context average pool over a map `mapHeight` rows high: windows `rows` high every `rowStride`
/// rows (`outRows` of them, as PyTorch's avg_pool2d counts), and one column window `[start, end)` per
/// time step, with the reciprocal of each window's area.
struct ContextPool: Sendable {
    let rows: Int, rowStride: Int, outRows: Int
    let columns: [Range<Int>]
    let scales: [Float]

    init(rows: Int, rowStride: Int, mapHeight: Int, columns: [Range<Int>]) {
        self.rows = rows; self.rowStride = rowStride; self.columns = columns
        outRows = (mapHeight - rows) / rowStride + 1
        scales = columns.map { 1 / Float(rows * $0.count) }
    }
}

private struct TensorReader {
    let tensors: [String: SafeTensor]
    var unused: Set<String>

    init(tensors: [String: SafeTensor]) {
        self.tensors = tensors
        unused = Set(tensors.keys)
    }

    mutating func tensor(_ name: String, shape: [Int?]) throws -> SafeTensor {
        guard let t = tensors[name] else { throw ModelFileError("tensor '\(name)': missing") }
        let ok = t.shape.count == shape.count && zip(t.shape, shape).allSatisfy { $1 == nil || $0 == $1! } && !t.shape.contains(0)
        guard ok else {
            let want = shape.map { $0.map(String.init) ?? "*" }.joined(separator: ", ")
            throw ModelFileError("tensor '\(name)': shape \(t.shape), expected [\(want)] (nonzero)")
        }
        guard t.values.allSatisfy({ $0.isFinite }) else { throw ModelFileError("tensor '\(name)': non-finite values") }
        unused.remove(name)
        return t
    }

    mutating func conv(_ prefix: String, inC: Int, kh: Int, kw: Int, padH: Int, padW: Int, bn: String?,
                       outC expectedOut: Int? = nil) throws -> FoldedConv {
        let w = try tensor(prefix + ".weight", shape: [expectedOut, inC, kh, kw])
        let outC = w.shape[0]
        let b = try tensor(prefix + ".bias", shape: [outC])
        var weight = w.values, bias = b.values
        if let bn {
            let gamma = try tensor(bn + ".weight", shape: [outC]).values
            let beta = try tensor(bn + ".bias", shape: [outC]).values
            let mean = try tensor(bn + ".running_mean", shape: [outC]).values
            let variance = try tensor(bn + ".running_var", shape: [outC])
            let k = inC * kh * kw
            for o in 0..<outC {
                let v = variance.values[o]
                guard v >= 0 else { throw ModelFileError("tensor '\(variance.name)': negative variance") }
                let s = gamma[o] / (v + LPRNetModel.batchNormEpsilon).squareRoot()
                for i in 0..<k { weight[o * k + i] *= s }
                bias[o] = (bias[o] - mean[o]) * s + beta[o]
            }
        }
        return FoldedConv(outC: outC, inC: inC, kh: kh, kw: kw, padH: padH, padW: padW, weight: weight, bias: bias)
    }

    mutating func block(_ prefix: String, inC: Int, bn: String, outC: Int? = nil) throws -> FoldedBlock {
        let c1 = try conv(prefix + ".block.0", inC: inC, kh: 1, kw: 1, padH: 0, padW: 0, bn: nil)
        let mid = c1.outC
        let c2 = try conv(prefix + ".block.2", inC: mid, kh: 3, kw: 1, padH: 1, padW: 0, bn: nil, outC: mid)
        let c3 = try conv(prefix + ".block.4", inC: mid, kh: 1, kw: 3, padH: 0, padW: 1, bn: nil, outC: mid)
        let c4 = try conv(prefix + ".block.6", inC: mid, kh: 1, kw: 1, padH: 0, padW: 0, bn: bn, outC: outC)
        return FoldedBlock(conv1: c1, conv2: c2, conv3: c3, conv4: c4)
    }
}
