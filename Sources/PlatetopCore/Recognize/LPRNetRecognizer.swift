import COpenBLAS
import Dispatch

/// Runs an ``LPRNetModel`` on the CPU (im2col + OpenBLAS `sgemm`, hand-written pools and
/// context) and decodes the logits with a ``CTCDecoder``.
///
/// **Thread confinement.** An instance owns mutable scratch buffers allocated at init and
/// reused on every call (no allocation inside the network). It is not `Sendable`: create it on
/// the queue that uses it and call it only from there (one instance per recognition queue).
///
/// **Threads and batching.** Images are processed in micro-batches of `microBatch` (1 by
/// default: measured fastest per plate on this CPU, the activations stay in L2). With
/// `threads > 1` and more than one micro-batch, the micro-batches run in parallel on `threads`
/// workers, each with its own workspace and single-threaded OpenBLAS; a single micro-batch uses
/// `threads` OpenBLAS threads instead. The OpenBLAS thread count is process-global and is set
/// on every call, so instances with different `threads` should not run at the same time.
///
/// **Kernels (measured on the 2-core AMD EPYC dev box, 1 thread).** Convolutions are OpenBLAS
/// `sgemm` on [C][n][H][W] activations: 1x1 convs directly, 3x3 / 1x3 / 1x4 through im2col,
/// 3x1 and 13x1 as one GEMM per tap on row-shifted views (~10% faster than im2col there). A
/// hand-written, auto-vectorised direct 3x3 conv for layer 0 (the best case for it, K = 27) took
/// 0.25-0.30 ms against 0.083 ms for im2col + sgemm, so BLAS is kept for every conv. Pools,
/// bias/ReLU and the context are hand-written; at batch 1 sgemm is ~85% of the time.
///
/// **Logits layout.** For each image, `classCount * timeSteps` floats, class-major:
/// `logits[c * timeSteps + t]` is the raw (pre-softmax) score of class `c` at time step `t`.
/// Batched outputs are image-major.
///
/// **Context normalisation.** Each global-context map is divided by the mean of its squares
/// *per image* (the seed divides by one scalar over the whole batch, so results equal the seed
/// at batch size 1 and are batch-independent here). An all-zero map stays zero (the seed would
/// produce NaN).
public final class LPRNetRecognizer: PlateRecognizer {
    public let model: LPRNetModel
    public var info: ModelInfo { model.info }
    /// Most crops preprocessed at once by ``logits(for:)`` / ``recognize(_:)``.
    public let maxBatch: Int
    public let threads: Int
    public let microBatch: Int
    public var decoder: CTCDecoder
    /// Plate formats of the stream being read (none by default). When a crop's read matches no
    /// pattern, ``recognize(_:)`` returns instead the most probable of the best
    /// ``formatBeamWidth`` candidate texts that one matches (``CTCDecoder/bestRead(logits:classCount:timeSteps:alphabet:blankIndex:width:accepting:)``),
    /// or the read as it was when none does.
    public var formats: FormatRules = .none
    /// Candidate texts looked at for ``formats`` (16; 4 and 64 read the BR validation crops alike, measured 2026-12-06).
    public var formatBeamWidth = 16

    private let workspaces: [LPRNetWorkspace]
    private let input: UnsafeMutablePointer<Float>
    private let result: UnsafeMutablePointer<Float>

    /// Loads a model file (see ``LPRNetModel``) and allocates buffers.
    /// - Parameters:
    ///   - maxBatch: crops preprocessed together (bigger calls are split).
    ///   - threads: worker threads (1 or 2 are sensible beside the rest of the pipeline).
    public convenience init(modelPath: String, maxBatch: Int = 16, threads: Int = 1, decoder: CTCDecoder = .greedy) throws {
        try self.init(model: LPRNetModel(contentsOf: modelPath), maxBatch: maxBatch, threads: threads, decoder: decoder)
    }

    public init(model: LPRNetModel, maxBatch: Int = 16, threads: Int = 1, microBatch: Int = 1,
                decoder: CTCDecoder = .greedy) throws {
        guard maxBatch >= 1, maxBatch <= 4096 else { throw ModelFileError("maxBatch \(maxBatch) must be 1...4096") }
        guard threads >= 1, threads <= 64 else { throw ModelFileError("threads \(threads) must be 1...64") }
        guard microBatch >= 1, microBatch <= 64 else { throw ModelFileError("microBatch \(microBatch) must be 1...64") }
        self.model = model
        self.maxBatch = maxBatch
        self.threads = threads
        self.microBatch = min(microBatch, maxBatch)
        self.decoder = decoder
        workspaces = (0..<threads).map { _ in LPRNetWorkspace(model: model, capacity: min(microBatch, maxBatch)) }
        let perImage = model.info.inputChannels * model.info.inputHeight * model.info.inputWidth
        input = .allocate(capacity: maxBatch * perImage)
        input.initialize(repeating: 0, count: maxBatch * perImage)
        result = .allocate(capacity: maxBatch * model.info.classCount * model.info.timeSteps)
        result.initialize(repeating: 0, count: maxBatch * model.info.classCount * model.info.timeSteps)
    }

    deinit {
        input.deallocate()
        result.deallocate()
    }

    /// Floats per image in the planar input: `inputChannels * 24 * inputWidth` (94 for the seed).
    public var inputCount: Int { info.inputChannels * info.inputHeight * info.inputWidth }
    /// Floats per image of logits: `classCount * timeSteps`.
    public var logitCount: Int { info.classCount * info.timeSteps }

    /// Raw logits for crops of any size (each resized with ``PixelImage/writePlanar``),
    /// one class-major `[classCount * timeSteps]` array per crop.
    public func logits(for crops: [PixelImage]) -> [[Float]] {
        var all: [[Float]] = []
        all.reserveCapacity(crops.count)
        var start = 0
        while start < crops.count {
            let n = min(maxBatch, crops.count - start)
            for i in 0..<n {
                crops[start + i].writePlanar(width: info.inputWidth, height: info.inputHeight, order: info.colorOrder,
                                             mean: info.mean, scale: info.scale, resampling: info.resampling,
                                             into: input + i * inputCount)
            }
            forward(planarInput: input, batch: n, into: result)
            for i in 0..<n {
                all.append(Array(UnsafeBufferPointer(start: result + i * logitCount, count: logitCount)))
            }
            start += n
        }
        return all
    }

    /// Reads each crop and decodes it with `decoder` (and ``formats``, when set).
    public func recognize(_ crops: [PixelImage]) throws -> [PlateRead] {
        logits(for: crops).map { l in
            l.withUnsafeBufferPointer { logits in
                let read = decoder.decode(logits: logits, classCount: info.classCount, timeSteps: info.timeSteps,
                                          alphabet: info.alphabet, blankIndex: info.blankIndex)
                guard !formats.patterns.isEmpty, formats.firstMatch(read.text) == nil else { return read }
                return CTCDecoder.bestRead(logits: logits, classCount: info.classCount, timeSteps: info.timeSteps,
                                           alphabet: info.alphabet, blankIndex: info.blankIndex, width: formatBeamWidth,
                                           accepting: { formats.firstMatch($0) != nil }) ?? read
            }
        }
    }

    /// Logits for `batch` already-normalised planar images at `planarInput`
    /// (image-major `[batch][inputChannels][24][inputWidth]`), one class-major array per image.
    public func logits(planarInput: UnsafePointer<Float>, batch: Int) -> [[Float]] {
        let outBuf = UnsafeMutablePointer<Float>.allocate(capacity: max(1, batch * logitCount))
        defer { outBuf.deallocate() }
        forward(planarInput: planarInput, batch: batch, into: outBuf)
        return (0..<batch).map { Array(UnsafeBufferPointer(start: outBuf + $0 * logitCount, count: logitCount)) }
    }

    /// The allocation-free core: writes `batch * logitCount` floats (image-major, each image
    /// class-major) to `output`.
    public func forward(planarInput: UnsafePointer<Float>, batch: Int, into output: UnsafeMutablePointer<Float>) {
        guard batch > 0 else { return }
        let chunks = (batch + microBatch - 1) / microBatch
        let inCount = inputCount, outCount = logitCount, mb = microBatch
        if threads == 1 || chunks == 1 {
            setBLASThreads(threads)
            for k in 0..<chunks {
                let n = min(mb, batch - k * mb)
                workspaces[0].run(planarInput + k * mb * inCount, batch: n, into: output + k * mb * outCount)
            }
            return
        }
        setBLASThreads(1)
        let workers = min(threads, chunks)
        let spaces = workspaces
        let inAddress = UInt(bitPattern: planarInput), outAddress = UInt(bitPattern: output)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let x = UnsafePointer<Float>(bitPattern: inAddress)!, y = UnsafeMutablePointer<Float>(bitPattern: outAddress)!
            var k = w
            while k < chunks {
                let n = min(mb, batch - k * mb)
                spaces[w].run(x + k * mb * inCount, batch: n, into: y + k * mb * outCount)
                k += workers
            }
        }
    }

    /// Runs `runs` single-worker forward passes with `clock` (monotonic nanoseconds, injected by
    /// the caller) and returns the mean milliseconds per pass spent in each kernel kind
    /// ("sgemm", "im2col", "bias+relu", "maxpool", "context").
    public func profile(planarInput: UnsafePointer<Float>, batch: Int, runs: Int,
                        detailed: Bool = false, clock: @escaping () -> UInt64) -> [(kernel: String, milliseconds: Double)] {
        let ws = workspaces[0]
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(1, batch * logitCount))
        defer { out.deallocate(); ws.clock = nil; ws.kernelNanoseconds = [:] }
        setBLASThreads(threads)
        ws.clock = clock
        ws.detailedProfile = detailed
        ws.kernelNanoseconds = [:]
        for _ in 0..<max(runs, 1) {
            var k = 0
            while k < batch {
                let n = min(microBatch, batch - k)
                ws.run(planarInput + k * inputCount, batch: n, into: out + k * logitCount)
                k += n
            }
        }
        return ws.kernelNanoseconds.sorted { $0.value > $1.value }
            .map { ($0.key, Double($0.value) / 1e6 / Double(max(runs, 1))) }
    }

    private func setBLASThreads(_ n: Int) {
        if openblas_get_num_threads() != Int32(n) { openblas_set_num_threads(Int32(n)) }
    }
}

/// Scratch buffers for `capacity` images and the network code that uses them. One workspace is
/// used by one thread at a time (the recogniser hands each worker its own).
final class LPRNetWorkspace: @unchecked Sendable {
    let model: LPRNetModel
    let capacity: Int
    private let g: LPRNetGeometry
    private let c0: Int, b1: Int, b2: Int, head: Int, classes: Int, k1: Int, k2: Int, ctxC: Int
    private let col: UnsafeMutablePointer<Float>
    private let f0: UnsafeMutablePointer<Float>, p0: UnsafeMutablePointer<Float>
    private let tA: UnsafeMutablePointer<Float>, tB: UnsafeMutablePointer<Float>
    private let f1: UnsafeMutablePointer<Float>, p1: UnsafeMutablePointer<Float>
    private let gB: UnsafeMutablePointer<Float>, f2: UnsafeMutablePointer<Float>, p2: UnsafeMutablePointer<Float>
    private let hB: UnsafeMutablePointer<Float>, f3: UnsafeMutablePointer<Float>
    private let ctx: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
    /// The input after per-crop contrast normalisation, for models that use it (nil otherwise).
    private let normalised: UnsafeMutablePointer<Float>?
    private let rowMax: UnsafeMutablePointer<Float>
    /// The context pools of f0, f1, f2 and f3.
    private let contextPools: [ContextPool]
    private let allocations: [(UnsafeMutablePointer<Float>, Int)]
    /// Optional injected monotonic clock (nanoseconds) for per-kernel profiling; the core never
    /// reads a clock itself. Totals accumulate in `kernelNanoseconds`.
    var clock: (() -> UInt64)?
    var kernelNanoseconds: [String: UInt64] = [:]
    var detailedProfile = false

    @inline(__always) private func timed(_ kernel: String, _ body: () -> Void) {
        guard let clock else { body(); return }
        let t0 = clock()
        body()
        kernelNanoseconds[kernel, default: 0] += clock() - t0
    }

    init(model: LPRNetModel, capacity: Int) {
        self.model = model
        self.capacity = capacity
        let w = model.info.widths
        c0 = w[0]; b1 = w[1]; b2 = w[2]; head = w[3]
        classes = model.info.classCount
        k1 = (b1 + 1) / 2; k2 = (b2 + 3) / 4
        ctxC = c0 + b1 + b2 + classes
        let g = LPRNetGeometry(inputWidth: model.info.inputWidth, inputHeight: model.info.inputHeight)
        self.g = g
        let n = capacity
        var list: [(UnsafeMutablePointer<Float>, Int)] = []
        func alloc(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            list.append((p, max(count, 1)))
            return p
        }
        let hw0 = g.h0 * g.w0, hw1 = g.h1 * g.w1, hw2 = g.h2 * g.w2, hw4 = g.h4 * g.t, hw5 = g.h5 * g.t
        let colSize = [model.conv0.k * hw0,
                       model.block1.conv2.k * hw1, model.block1.conv3.k * hw1,
                       model.block2.conv2.k * hw2, model.block2.conv3.k * hw2,
                       model.block3.conv2.k * hw2, model.block3.conv3.k * hw2,
                       model.conv16.k * hw4, model.conv20.k * hw5, model.container.k * g.t].max()!
        col = alloc(n * colSize)
        f0 = alloc(n * c0 * hw0)
        p0 = alloc(n * c0 * hw1)
        let mid = max(model.block1.conv1.outC * hw1, model.block2.conv1.outC * hw2, model.block3.conv1.outC * hw2)
        tA = alloc(n * mid)
        tB = alloc(n * mid)
        f1 = alloc(n * b1 * hw1)
        p1 = alloc(n * k1 * hw2)
        gB = alloc(n * b2 * hw2)
        f2 = alloc(n * b2 * hw2)
        p2 = alloc(n * k2 * g.h3 * g.w3)
        hB = alloc(n * head * hw4)
        f3 = alloc(n * classes * hw5)
        ctx = alloc(n * ctxC * g.t)
        out = alloc(n * classes * g.t)
        normalised = model.info.contrast == nil ? nil : alloc(n * model.info.inputChannels * g.inH * g.inW)
        rowMax = alloc(g.h0 * g.w0)
        contextPools = (0..<4).map { g.contextPool(level: $0) }
        allocations = list
    }

    deinit {
        for (p, count) in allocations {
            p.deinitialize(count: count)
            p.deallocate()
        }
    }

    /// Runs `n <= capacity` images (image-major planar input) into image-major logits.
    func run(_ x: UnsafePointer<Float>, batch n: Int, into output: UnsafeMutablePointer<Float>) {
        precondition(n >= 1 && n <= capacity)
        let m = model
        let hw0 = g.h0 * g.w0
        // conv 3x3 (+BN, ReLU) -> f0; input is image-major.
        let inC = model.info.inputChannels
        var x = x
        if let contrast = m.info.contrast, let normalised {
            let per = inC * g.inH * g.inW
            normalised.update(from: x, count: n * per)
            for i in 0..<n { contrast.apply(normalised + i * per, count: per) }
            x = UnsafePointer(normalised)
        }
        im2col(x, channels: inC, channelStride: g.inH * g.inW, imageStride: inC * g.inH * g.inW, batch: n,
               h: g.inH, w: g.inW, kh: 3, kw: 3, padH: 0, padW: 0, into: col)
        conv(m.conv0, col: col, cols: n * hw0, into: f0, relu: true)
        // max-pool 3x3 s1 -> p0
        maxPool(f0, channels: c0, channelStride: 1, batch: n, h: g.h0, w: g.w0, strideW: 1, outH: g.h1, outW: g.w1, into: p0)
        // block 1 -> f1 (BN, ReLU folded/fused)
        block(m.block1, input: p0, batch: n, h: g.h1, w: g.w1, into: f1)
        // channel-stride 2 max-pool -> p1
        maxPool(f1, channels: k1, channelStride: 2, batch: n, h: g.h1, w: g.w1, strideW: 2, outH: g.h2, outW: g.w2, into: p1)
        block(m.block2, input: p1, batch: n, h: g.h2, w: g.w2, into: gB)
        block(m.block3, input: gB, batch: n, h: g.h2, w: g.w2, into: f2)
        // channel-stride 4 max-pool -> p2 (h3 x w3; 16 x 21 for the seed)
        maxPool(f2, channels: k2, channelStride: 4, batch: n, h: g.h2, w: g.w2, strideW: 2, outH: g.h3, outW: g.w3, into: p2)
        // conv (1,4) -> h4 x t (16 x 18)
        let hw3 = g.h3 * g.w3
        im2col(p2, channels: k2, channelStride: n * hw3, imageStride: hw3, batch: n, h: g.h3, w: g.w3,
               kh: 1, kw: 4, padH: 0, padW: 0, into: col)
        conv(m.conv16, col: col, cols: n * g.h4 * g.t, into: hB, relu: true)
        // conv (13,1) -> f3, h5 x t (4 x 18)
        convVertical(m.conv20, x: hB, batch: n, h: g.h4, w: g.t, into: f3, relu: true)

        // Global context, already averaged over H (the container is linear and 1 row high, so
        // mean_H(container(x)) == container(mean_H(x))): ctx is [ctxC][n][t].
        context(f0, channels: c0, batch: n, h: g.h0, w: g.w0, pool: contextPools[0], rowOffset: 0)
        context(f1, channels: b1, batch: n, h: g.h1, w: g.w1, pool: contextPools[1], rowOffset: c0)
        context(f2, channels: b2, batch: n, h: g.h2, w: g.w2, pool: contextPools[2], rowOffset: c0 + b1)
        context(f3, channels: classes, batch: n, h: g.h5, w: g.t, pool: contextPools[3], rowOffset: c0 + b1 + b2)
        if m.container.kw == 1 {
            conv(m.container, col: ctx, cols: n * g.t, into: out, relu: false)
        } else {
            // A (1,k) container over the time steps: each image's ctx row is a 1 x t map.
            im2col(ctx, channels: ctxC, channelStride: n * g.t, imageStride: g.t, batch: n, h: 1, w: g.t,
                   kh: 1, kw: m.container.kw, padH: 0, padW: m.container.padW, into: col)
            conv(m.container, col: col, cols: n * g.t, into: out, relu: false)
        }
        // [classes][n][18] -> [n][classes][18]
        for c in 0..<classes {
            for i in 0..<n {
                (output + (i * classes + c) * g.t).update(from: out + (c * n + i) * g.t, count: g.t)
            }
        }
    }

    /// A small_basic_block with the following BN folded and ReLU fused. Layout [C][n][h][w].
    private func block(_ b: FoldedBlock, input: UnsafeMutablePointer<Float>, batch n: Int, h: Int, w: Int,
                       into output: UnsafeMutablePointer<Float>) {
        let cols = n * h * w
        conv(b.conv1, col: input, cols: cols, into: tA, relu: true)
        convVertical(b.conv2, x: tA, batch: n, h: h, w: w, into: tB, relu: true)
        im2col(tB, channels: b.conv2.outC, channelStride: cols, imageStride: h * w, batch: n, h: h, w: w,
               kh: 1, kw: 3, padH: 0, padW: 1, into: col)
        conv(b.conv3, col: col, cols: cols, into: tA, relu: true)
        conv(b.conv4, col: tA, cols: cols, into: output, relu: true)
    }

    /// `output[outC][cols] = relu?(weight[outC][k] * col[k][cols] + bias)`.
    private func conv(_ c: FoldedConv, col: UnsafePointer<Float>, cols: Int, into output: UnsafeMutablePointer<Float>, relu: Bool) {
        timed(gemmKey(c, cols)) {
            c.weight.withUnsafeBufferPointer { wp in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(c.outC), Int32(cols), Int32(c.k),
                            1, wp.baseAddress, Int32(c.k), col, Int32(cols), 0, output, Int32(cols))
            }
        }
        timed("bias+relu") { biasRelu(c, cols: cols, output: output, relu: relu) }
    }

    /// A (kh x 1) convolution with vertical zero padding on [C][n][h][w] without im2col: one GEMM
    /// per tap and image on row-shifted views (measured ~10% faster than im2col + one GEMM for
    /// the 3x1 and 13x1 layers). The first GEMM is a tap that covers every output row (beta 0).
    private func convVertical(_ c: FoldedConv, x: UnsafePointer<Float>, batch n: Int, h: Int, w: Int,
                              into output: UnsafeMutablePointer<Float>, relu: Bool) {
        let oh = h + 2 * c.padH - c.kh + 1
        let inLD = n * h * w, outLD = n * oh * w
        let full = (0..<c.kh).first { ky in ky >= c.padH && h + c.padH - ky >= oh }!
        let order = [full] + (0..<c.kh).filter { $0 != full }
        timed(gemmKey(c, n * oh * w)) {
            c.taps.withUnsafeBufferPointer { tp in
                for img in 0..<n {
                    for (i, ky) in order.enumerated() {
                        let y0 = max(0, c.padH - ky), y1 = min(oh, h + c.padH - ky)
                        guard y1 > y0 else { continue }
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(c.outC), Int32((y1 - y0) * w), Int32(c.inC),
                                    1, tp.baseAddress! + ky * c.outC * c.inC, Int32(c.inC),
                                    x + img * h * w + (y0 + ky - c.padH) * w, Int32(inLD),
                                    i == 0 ? 0 : 1, output + img * oh * w + y0 * w, Int32(outLD))
                    }
                }
            }
        }
        timed("bias+relu") { biasRelu(c, cols: n * oh * w, output: output, relu: relu) }
    }

    /// Profile key: "sgemm" or, with `detailedProfile`, "sgemm MxNxK".
    private func gemmKey(_ c: FoldedConv, _ cols: Int) -> String {
        detailedProfile ? "sgemm \(c.outC)x\(cols)x\(c.k)" : "sgemm"
    }

    private func biasRelu(_ c: FoldedConv, cols: Int, output: UnsafeMutablePointer<Float>, relu: Bool) {
        c.bias.withUnsafeBufferPointer { bp in
            for o in 0..<c.outC {
                let row = output + o * cols
                let b = bp[o]
                if relu {
                    for i in 0..<cols { row[i] = max(row[i] + b, 0) }
                } else {
                    for i in 0..<cols { row[i] += b }
                }
            }
        }
    }

    /// Unfolds `x` (element `(c, img, y, x)` at `c*channelStride + img*imageStride + y*w + x`) into
    /// `col[(c*kh + ky)*kw + kx][(img*oh + oy)*ow + ox]` with zero padding; stride 1.
    private func im2col(_ x: UnsafePointer<Float>, channels: Int, channelStride: Int, imageStride: Int, batch n: Int,
                        h: Int, w: Int, kh: Int, kw: Int, padH: Int, padW: Int, into col: UnsafeMutablePointer<Float>) {
        timed("im2col") {
            im2colKernel(x, channels: channels, channelStride: channelStride, imageStride: imageStride, batch: n,
                         h: h, w: w, kh: kh, kw: kw, padH: padH, padW: padW, into: col)
        }
    }

    private func im2colKernel(_ x: UnsafePointer<Float>, channels: Int, channelStride: Int, imageStride: Int, batch n: Int,
                              h: Int, w: Int, kh: Int, kw: Int, padH: Int, padW: Int, into col: UnsafeMutablePointer<Float>) {
        let oh = h + 2 * padH - kh + 1, ow = w + 2 * padW - kw + 1
        let cols = n * oh * ow
        for c in 0..<channels {
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let dstRow = col + ((c * kh + ky) * kw + kx) * cols
                    let x0 = max(0, padW - kx), x1 = min(ow, w + padW - kx)
                    for img in 0..<n {
                        let src = x + c * channelStride + img * imageStride
                        for oy in 0..<oh {
                            let dst = dstRow + (img * oh + oy) * ow
                            let sy = oy + ky - padH
                            if sy < 0 || sy >= h || x1 <= x0 {
                                dst.update(repeating: 0, count: ow)
                                continue
                            }
                            if x0 > 0 { dst.update(repeating: 0, count: x0) }
                            (dst + x0).update(from: src + sy * w + x0 + kx - padW, count: x1 - x0)
                            if x1 < ow { (dst + x1).update(repeating: 0, count: ow - x1) }
                        }
                    }
                }
            }
        }
    }

    /// 3x3 max-pool, stride (1, strideW), of channels `0, s, 2s, …` of `x` ([C][n][h][w]) into
    /// `output` ([channels][n][outH][outW]).
    private func maxPool(_ x: UnsafePointer<Float>, channels: Int, channelStride s: Int, batch n: Int, h: Int, w: Int,
                         strideW: Int, outH: Int, outW: Int, into output: UnsafeMutablePointer<Float>) {
        timed("maxpool") {
            maxPoolKernel(x, channels: channels, channelStride: s, batch: n, h: h, w: w, strideW: strideW,
                          outH: outH, outW: outW, into: output)
        }
    }

    private func maxPoolKernel(_ x: UnsafePointer<Float>, channels: Int, channelStride s: Int, batch n: Int, h: Int, w: Int,
                               strideW: Int, outH: Int, outW: Int, into output: UnsafeMutablePointer<Float>) {
        let r = rowMax
        for j in 0..<channels {
            for img in 0..<n {
                let src = x + ((j * s) * n + img) * h * w
                let dst = output + (j * n + img) * outH * outW
                for y in 0..<h {
                    let row = src + y * w, rr = r + y * outW
                    for ox in 0..<outW {
                        let sx = ox * strideW
                        rr[ox] = max(row[sx], max(row[sx + 1], row[sx + 2]))
                    }
                }
                for oy in 0..<outH {
                    let a = r + oy * outW, b = a + outW, c = b + outW, d = dst + oy * outW
                    for ox in 0..<outW { d[ox] = max(a[ox], max(b[ox], c[ox])) }
                }
            }
        }
    }

    /// Average-pools `x` ([channels][n][h][w]) to `pool.outRows` x t, divides each image's map by the
    /// mean of its squares, and writes the mean over those rows to `ctx[rowOffset + c][img][t]`.
    private func context(_ x: UnsafePointer<Float>, channels: Int, batch n: Int, h: Int, w: Int,
                         pool: ContextPool, rowOffset: Int) {
        timed("context") {
            pool.columns.withUnsafeBufferPointer { columns in
                pool.scales.withUnsafeBufferPointer { scales in
                    contextKernel(x, channels: channels, batch: n, h: h, w: w, kh: pool.rows, sh: pool.rowStride,
                                  outRows: pool.outRows, columns: columns, scales: scales, rowOffset: rowOffset)
                }
            }
        }
    }

    private func contextKernel(_ x: UnsafePointer<Float>, channels: Int, batch n: Int, h: Int, w: Int, kh: Int, sh: Int,
                               outRows H: Int, columns: UnsafeBufferPointer<Range<Int>>, scales: UnsafeBufferPointer<Float>,
                               rowOffset: Int) {
        let T = g.t
        precondition(columns.count == T && columns[T - 1].upperBound <= w && (H - 1) * sh + kh <= h)
        let span = columns[T - 1].upperBound  // input columns the windows touch
        let colSum = rowMax                   // scratch, >= span floats
        for img in 0..<n {
            var sumSq: Double = 0
            for c in 0..<channels {
                let src = x + (c * n + img) * h * w
                let dst = ctx + ((rowOffset + c) * n + img) * T
                for t in 0..<T { dst[t] = 0 }
                var channelSq: Float = 0
                for oy in 0..<H {
                    // Separable window sum: vertical (contiguous, vectorises), then horizontal.
                    let r0 = src + oy * sh * w
                    for i in 0..<span { colSum[i] = r0[i] }
                    for dy in 1..<kh {
                        let r = r0 + dy * w
                        for i in 0..<span { colSum[i] += r[i] }
                    }
                    for t in 0..<T {
                        var s: Float = 0
                        for i in columns[t] { s += colSum[i] }
                        let v = s * scales[t]
                        channelSq += v * v
                        dst[t] += v
                    }
                }
                sumSq += Double(channelSq)
            }
            let meanSq = sumSq / Double(channels * H * T)
            let factor: Float = meanSq > 0 ? Float(1 / (meanSq * Double(H))) : 0
            for c in 0..<channels {
                let dst = ctx + ((rowOffset + c) * n + img) * T
                for t in 0..<T { dst[t] *= factor }
            }
        }
    }
}
