/// An 8-bit image owned by Swift: interleaved RGB or single-channel grey, rows packed without padding.
///
/// This is the value that crosses queues between the decoder, the locator and the recognizer.
public struct PixelImage: Sendable, Equatable {
    /// The pixel layout of `pixels`.
    public enum Format: String, Sendable, Equatable {
        case rgb24
        case gray8

        /// Bytes per pixel.
        public var channels: Int { self == .rgb24 ? 3 : 1 }
    }

    public let width: Int
    public let height: Int
    public let format: Format
    /// `height` rows of `width * format.channels` bytes.
    public var pixels: [UInt8]

    /// Creates an image from packed pixels.
    /// - Precondition: `pixels.count == width * height * format.channels`.
    public init(width: Int, height: Int, format: Format, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * format.channels,
                     "PixelImage: \(pixels.count) bytes for \(width)x\(height) \(format)")
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    /// An image filled with one value per channel.
    public init(width: Int, height: Int, format: Format, fill: UInt8 = 0) {
        self.init(width: width, height: height, format: format,
                  pixels: [UInt8](repeating: fill, count: width * height * format.channels))
    }

    public var channels: Int { format.channels }
    public var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

    /// The pixels inside `rect`, which must lie within the image.
    public func cropped(to rect: PixelRect) -> PixelImage {
        precondition(bounds.contains(rect), "crop \(rect) outside \(width)x\(height)")
        let c = channels
        var out = [UInt8](repeating: 0, count: rect.width * rect.height * c)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<rect.height {
                    let s = ((rect.y + row) * width + rect.x) * c
                    let d = row * rect.width * c
                    for i in 0..<(rect.width * c) { dst[d + i] = src[s + i] }
                }
            }
        }
        return PixelImage(width: rect.width, height: rect.height, format: format, pixels: out)
    }

    /// The image as grey, with the BT.601 luma weights in 16-bit fixed point
    /// (`(19595 R + 38470 G + 7471 B + 32768) >> 16`); training tools use the same formula.
    public func grayscale() -> PixelImage {
        if format == .gray8 { return self }
        var out = [UInt8](repeating: 0, count: width * height)
        pixels.withUnsafeBufferPointer { src in
            for i in 0..<(width * height) {
                let r = UInt32(src[3 * i]), g = UInt32(src[3 * i + 1]), b = UInt32(src[3 * i + 2])
                out[i] = UInt8((19595 * r + 38470 * g + 7471 * b + 32768) >> 16)
            }
        }
        return PixelImage(width: width, height: height, format: .gray8, pixels: out)
    }

    /// The image as RGB (grey is replicated into the three channels).
    public func rgb() -> PixelImage {
        if format == .rgb24 { return self }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            let v = pixels[i]
            out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
        }
        return PixelImage(width: width, height: height, format: .rgb24, pixels: out)
    }
}

/// An axis-aligned rectangle in pixel units.
public struct PixelRect: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var area: Int { max(0, width) * max(0, height) }
    public var description: String { "\(x),\(y),\(width),\(height)" }

    public func contains(_ other: PixelRect) -> Bool {
        other.x >= x && other.y >= y && other.maxX <= maxX && other.maxY <= maxY && other.width >= 0 && other.height >= 0
    }

    /// The overlapping part, or nil when the rectangles do not overlap.
    public func intersection(_ other: PixelRect) -> PixelRect? {
        let x0 = max(x, other.x), y0 = max(y, other.y)
        let x1 = min(maxX, other.maxX), y1 = min(maxY, other.maxY)
        guard x1 > x0, y1 > y0 else { return nil }
        return PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// Intersection over union, 0 when disjoint.
    public func iou(_ other: PixelRect) -> Double {
        guard let i = intersection(other) else { return 0 }
        let u = area + other.area - i.area
        return u > 0 ? Double(i.area) / Double(u) : 0
    }
}
