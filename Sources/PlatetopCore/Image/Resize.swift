/// Bilinear resampling with half-pixel centres (the convention of OpenCV's `INTER_LINEAR` and
/// PyTorch's `align_corners=False`), producing normalised planar floats for a network input.
///
/// Source sample for output x: `sx = (x + 0.5) * inW / outW - 0.5`, clamped to `[0, inW - 1]`;
/// `x0 = floor(sx)`, `x1 = min(x0 + 1, inW - 1)`, weight `sx - x0`; the same for y. Values stay
/// in float (no rounding back to 8 bits) and are then mapped as `(v - mean) * scale`.
/// `training/` mirrors this exactly in NumPy. ``Resampling/area`` is the alternative a model file
/// can ask for.
public enum ChannelOrder: String, Sendable, Equatable {
    case rgb, bgr, gray
    public var channels: Int { self == .gray ? 1 : 3 }
    /// Which channel of the grey or RGB source feeds each output plane.
    var sourceChannels: [Int] {
        switch self {
        case .rgb: [0, 1, 2]
        case .bgr: [2, 1, 0]
        case .gray: [0]
        }
    }
}

/// How ``PixelImage/writePlanar(width:height:order:mean:scale:resampling:into:)`` resizes: `bilinear`
/// (two taps per axis, above) or `area`, where each output pixel averages the source interval it
/// covers, every source pixel weighed by its overlap, on each axis that shrinks (an axis that grows
/// keeps the bilinear taps). A model file names its choice as `platetop.resample`; files without
/// it are bilinear. `training/preprocess.py` (`area_matrix`) computes the same weights.
public enum Resampling: String, Sendable, Equatable, CaseIterable {
    case bilinear, area

    /// The weights of one axis for `.area`: per output index, `(source index, weight)` pairs that sum to 1.
    static func areaTaps(_ outSize: Int, _ inSize: Int) -> [[(Int, Float)]] {
        if outSize >= inSize {
            return (0..<outSize).map { o in
                var s = (Double(o) + 0.5) * Double(inSize) / Double(outSize) - 0.5
                s = min(max(s, 0), Double(inSize - 1))
                let i0 = Int(s.rounded(.down)), i1 = min(i0 + 1, inSize - 1)
                let w1 = Float(s - Double(i0))
                return i0 == i1 ? [(i0, Float(1))] : [(i0, 1 - w1), (i1, w1)]
            }
        }
        let step = Double(inSize) / Double(outSize)
        return (0..<outSize).map { o in
            let lo = Double(o) * step, hi = lo + step
            var taps: [(Int, Float)] = []
            for i in Int(lo.rounded(.down))..<min(Int(hi.rounded(.up)), inSize) {
                let overlap = min(Double(i + 1), hi) - max(Double(i), lo)
                if overlap > 0 { taps.append((i, Float(overlap / step))) }
            }
            return taps
        }
    }
}

extension PixelImage {
    /// Writes `order.channels` planes of `outWidth * outHeight` floats to `output`.
    public func writePlanar(width outWidth: Int, height outHeight: Int, order: ChannelOrder,
                            mean: Float, scale: Float, resampling: Resampling = .bilinear,
                            into output: UnsafeMutablePointer<Float>) {
        let source: PixelImage = order == .gray ? grayscale() : rgb()
        if resampling == .area {
            source.writeAreaPlanar(width: outWidth, height: outHeight, order: order, mean: mean, scale: scale, into: output)
            return
        }
        let c = source.channels
        let inW = width, inH = height
        let planeSource = order.sourceChannels
        func taps(_ outSize: Int, _ inSize: Int) -> [(Int, Int, Float)] {
            (0..<outSize).map { o in
                var s = (Float(o) + 0.5) * Float(inSize) / Float(outSize) - 0.5
                s = min(max(s, 0), Float(inSize - 1))
                let i0 = Int(s.rounded(.down))
                let i1 = min(i0 + 1, inSize - 1)
                return (i0, i1, s - Float(i0))
            }
        }
        let xt = taps(outWidth, inW), yt = taps(outHeight, inH)
        // Separable: each source row is interpolated horizontally once (all channels, into
        // `rows`), then output rows blend two of them. The float operations are the ones of the
        // direct formula, in the same order, so the result is identical to it.
        let x0 = xt.map { $0.0 * c }, x1 = xt.map { $0.1 * c }, fx = xt.map { $0.2 }
        let rowLength = outWidth * c
        var rows = [Float](repeating: 0, count: 2 * rowLength)
        var cached = (-1, -1)  // source rows held in rows[0...] and rows[rowLength...]
        source.pixels.withUnsafeBufferPointer { px in
            rows.withUnsafeMutableBufferPointer { rowBuf in
                let rowA = rowBuf.baseAddress!, rowB = rowA + rowLength
                func horizontal(_ sy: Int, into dst: UnsafeMutablePointer<Float>) {
                    let src = px.baseAddress! + sy * inW * c
                    for ox in 0..<outWidth {
                        let i0 = x0[ox], i1 = x1[ox], f = fx[ox], d = dst + ox * c
                        for ch in 0..<c {
                            let a = Float(src[i0 + ch]), b = Float(src[i1 + ch])
                            d[ch] = a + (b - a) * f
                        }
                    }
                }
                for oy in 0..<outHeight {
                    let (y0, y1, fy) = yt[oy]
                    // Keep whichever cached row is still needed; rows only move downwards.
                    if cached.0 != y0 {
                        if cached.1 == y0 {
                            rowA.update(from: rowB, count: rowLength)
                        } else {
                            horizontal(y0, into: rowA)
                        }
                        cached.0 = y0
                        cached.1 = -1
                    }
                    if cached.1 != y1 { horizontal(y1, into: rowB); cached.1 = y1 }
                    for (plane, ch) in planeSource.enumerated() {
                        let dst = output + plane * outWidth * outHeight + oy * outWidth
                        for ox in 0..<outWidth {
                            let top = rowA[ox * c + ch], bottom = rowB[ox * c + ch]
                            let v = top + (bottom - top) * fy
                            dst[ox] = (v - mean) * scale
                        }
                    }
                }
            }
        }
    }

    /// ``writePlanar`` with `.area` resampling, on the grey or RGB `self` that it made.
    private func writeAreaPlanar(width outWidth: Int, height outHeight: Int, order: ChannelOrder,
                                 mean: Float, scale: Float, into output: UnsafeMutablePointer<Float>) {
        let c = channels, inW = width, inH = height
        let planeSource = order.sourceChannels
        let xt = Resampling.areaTaps(outWidth, inW), yt = Resampling.areaTaps(outHeight, inH)
        // Rows first: every source row resampled horizontally (all channels), then each output row
        // sums the weighted rows its taps name, as training/preprocess.py's two matrix products do.
        let rowLength = outWidth * c
        var rows = [Float](repeating: 0, count: inH * rowLength)
        pixels.withUnsafeBufferPointer { px in
            rows.withUnsafeMutableBufferPointer { rowBuf in
                for sy in 0..<inH {
                    let src = px.baseAddress! + sy * inW * c, dst = rowBuf.baseAddress! + sy * rowLength
                    for ox in 0..<outWidth {
                        for ch in 0..<c {
                            var v: Float = 0
                            for (i, w) in xt[ox] { v += Float(src[i * c + ch]) * w }
                            dst[ox * c + ch] = v
                        }
                    }
                }
            }
        }
        for oy in 0..<outHeight {
            for (plane, ch) in planeSource.enumerated() {
                let dst = output + plane * outWidth * outHeight + oy * outWidth
                for ox in 0..<outWidth {
                    var v: Float = 0
                    for (sy, w) in yt[oy] { v += rows[sy * rowLength + ox * c + ch] * w }
                    dst[ox] = (v - mean) * scale
                }
            }
        }
    }

    /// The image resized with the same bilinear rule, rounded back to 8 bits (for previews and crops).
    public func resized(width outWidth: Int, height outHeight: Int) -> PixelImage {
        let c = channels
        var planes = [Float](repeating: 0, count: outWidth * outHeight * c)
        planes.withUnsafeMutableBufferPointer { buf in
            writePlanar(width: outWidth, height: outHeight, order: c == 1 ? .gray : .rgb,
                        mean: 0, scale: 1, into: buf.baseAddress!)
        }
        var out = [UInt8](repeating: 0, count: outWidth * outHeight * c)
        let n = outWidth * outHeight
        for i in 0..<n {
            for ch in 0..<c {
                out[i * c + ch] = UInt8(min(max(planes[ch * n + i].rounded(), 0), 255))
            }
        }
        return PixelImage(width: outWidth, height: outHeight, format: format, pixels: out)
    }
}
