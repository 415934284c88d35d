import Foundation

/// Straightens tilted plates found by the detector, whose boxes are axis-aligned.
///
/// The tilt is the angle whose projection profile of edge strength is sharpest: character tops and
/// bottoms and the plate's borders all run along the plate, so rows taken along the right angle
/// collect them into few, strong bins. The straightened crop is then sampled from the *frame*
/// (not from the box's crop), so corners that the tilted box cut off are not lost.
public enum PlateDeskew {
    /// Tilt of the text in `image`, in degrees: the text runs along the direction (cos θ, sin θ) in image
    /// coordinates (y down), so positive means falling to the right. Searches ±`maxDegrees` in
    /// `step`-degree steps, then refines to a tenth of `step` around the best.
    ///
    /// Returns 0 for images too small to judge (under 8x4) and when no angle beats level by at least
    /// `minGain` (relative profile sharpness): a level plate is never rotated by noise.
    public static func estimateAngle(_ image: PixelImage, maxDegrees: Double = 15, step: Double = 1,
                                     minGain: Double = 1.05) -> Double
    {
        guard image.width >= 8, image.height >= 4 else { return 0 }
        // The angle does not depend on scale: judge big crops at 160 px wide (same aspect).
        let small = image.width > 160
            ? image.resized(width: 160, height: max(4, Int((Double(image.height) * 160 / Double(image.width)).rounded())))
            : image
        let w = small.width, h = small.height
        let gray = small.grayscale().pixels
        // Edge strength |dI/dx| + |dI/dy| at interior pixels (points with weights).
        var xs: [Double] = [], ys: [Double] = [], weights: [Double] = []
        xs.reserveCapacity(w * h); ys.reserveCapacity(w * h); weights.reserveCapacity(w * h)
        var total = 0.0
        for y in 1..<(h - 1) {
            for x in 1..<(w - 1) {
                let gx = abs(Int(gray[y * w + x + 1]) - Int(gray[y * w + x - 1]))
                let gy = abs(Int(gray[(y + 1) * w + x]) - Int(gray[(y - 1) * w + x]))
                let g = Double(gx + gy)
                if g > 0 {
                    xs.append(Double(x) - Double(w) / 2)
                    ys.append(Double(y) - Double(h) / 2)
                    weights.append(g)
                    total += g
                }
            }
        }
        guard total > 0 else { return 0 }
        let binCount = Int((Double(w) + Double(h)) * 1.5) + 4
        var bins = [Double](repeating: 0, count: binCount)
        let points = xs.count
        // Sum of squared bin masses (linear splatting keeps it smooth in the angle). Called ~50
        // times per crop, hence the raw buffers.
        func sharpness(_ degrees: Double) -> Double {
            let t = degrees * .pi / 180, s = sin(t), c = cos(t)
            let offset = Double(binCount) / 2
            return xs.withUnsafeBufferPointer { xp in
                ys.withUnsafeBufferPointer { yp in
                    weights.withUnsafeBufferPointer { wp in
                        bins.withUnsafeMutableBufferPointer { bp in
                            let b = bp.baseAddress!
                            b.update(repeating: 0, count: binCount)
                            for i in 0..<points {
                                let r = -xp[i] * s + yp[i] * c + offset
                                let r0 = Int(r.rounded(.down))
                                let f = r - Double(r0)
                                guard r0 >= 0, r0 + 1 < binCount else { continue }
                                b[r0] += wp[i] * (1 - f)
                                b[r0 + 1] += wp[i] * f
                            }
                            var sum = 0.0
                            for j in 0..<binCount { sum += b[j] * b[j] }
                            return sum
                        }
                    }
                }
            }
        }
        let level = sharpness(0)
        var best = 0.0, bestScore = level
        var a = -maxDegrees
        while a <= maxDegrees + 1e-9 {
            let score = sharpness(a)
            if score > bestScore { best = a; bestScore = score }
            a += step
        }
        var fine = best - step
        while fine <= best + step + 1e-9 {
            let score = sharpness(fine)
            if score > bestScore { best = fine; bestScore = score }
            fine += step / 10
        }
        guard bestScore >= level * minGain else { return 0 }
        return (best * 100).rounded() / 100
    }

    /// A `width` x `height` crop of `frame` centred at (`centerX`, `centerY`) and rotated by `degrees`
    /// (the crop's rows run along (cos θ, sin θ) in the frame), bilinear, edge pixels repeated outside.
    public static func rotatedCrop(of frame: PixelImage, centerX: Double, centerY: Double, width: Int, height: Int,
                                   degrees: Double) -> PixelImage
    {
        let ch = frame.channels, fw = frame.width, fh = frame.height
        let t = degrees * .pi / 180, s = sin(t), c = cos(t)
        var out = [UInt8](repeating: 0, count: max(width, 0) * max(height, 0) * ch)
        frame.pixels.withUnsafeBufferPointer { src in
            for v in 0..<height {
                let dv = Double(v) + 0.5 - Double(height) / 2
                for u in 0..<width {
                    let du = Double(u) + 0.5 - Double(width) / 2
                    // Pixel centres sit at +0.5.
                    let fx = min(max(centerX + du * c - dv * s - 0.5, 0), Double(fw - 1))
                    let fy = min(max(centerY + du * s + dv * c - 0.5, 0), Double(fh - 1))
                    let x0 = Int(fx), y0 = Int(fy)
                    let x1 = min(x0 + 1, fw - 1), y1 = min(y0 + 1, fh - 1)
                    let ax = fx - Double(x0), ay = fy - Double(y0)
                    for k in 0..<ch {
                        let p00 = Double(src[(y0 * fw + x0) * ch + k]), p01 = Double(src[(y0 * fw + x1) * ch + k])
                        let p10 = Double(src[(y1 * fw + x0) * ch + k]), p11 = Double(src[(y1 * fw + x1) * ch + k])
                        let top = p00 + (p01 - p00) * ax, bottom = p10 + (p11 - p10) * ax
                        out[(v * width + u) * ch + k] = UInt8(clamping: Int((top + (bottom - top) * ay).rounded()))
                    }
                }
            }
        }
        return PixelImage(width: width, height: height, format: frame.format, pixels: out)
    }

    /// Size of the plate whose rotation by `degrees` has the axis-aligned extent `boxWidth` x `boxHeight`
    /// (the detector's box): w·c + h·s = W, w·s + h·c = H, solved for w and h.
    public static func uprightSize(boxWidth: Double, boxHeight: Double, degrees: Double) -> (width: Double, height: Double) {
        let t = abs(degrees) * .pi / 180, s = sin(t), c = cos(t)
        let det = c * c - s * s
        guard det > 0.5 else { return (boxWidth, boxHeight) }
        let w = (boxWidth * c - boxHeight * s) / det
        let h = (boxHeight * c - boxWidth * s) / det
        // A box much wider than tall leaves little height after the solve; keep a sane aspect.
        return (max(w, boxWidth * 0.5), max(h, boxHeight * 0.35))
    }
}
