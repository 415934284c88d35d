/// A fixed region of the frame where plates appear, given in pixels or as fractions of the frame.
///
/// Parsed from `x,y,w,h`: all four values in `0...1` with at least one non-integer means
/// fractions (`0.3,0.6,0.4,0.2`); otherwise they are whole pixels (`640,400,320,120`).
public struct RegionOfInterest: Sendable, Equatable, CustomStringConvertible {
    public enum Units: String, Sendable { case pixels, fractions }

    public let x: Double
    public let y: Double
    public let width: Double
    public let height: Double
    public let units: Units

    /// Why a region string or a region/frame pair is invalid.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public init(x: Double, y: Double, width: Double, height: Double, units: Units) {
        self.x = x; self.y = y; self.width = width; self.height = height; self.units = units
    }

    /// Parses `x,y,w,h`.
    /// - Throws: `Invalid` for anything other than four non-negative numbers with positive size.
    public init(parsing text: String) throws(Invalid) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { String($0.filter { !$0.isWhitespace }) }
        guard parts.count == 4 else {
            throw Invalid(message: "ROI '\(text)' must be x,y,w,h (four numbers)")
        }
        var values: [Double] = []
        for p in parts {
            guard let v = Double(p), v.isFinite else {
                throw Invalid(message: "ROI '\(text)': '\(p)' is not a number")
            }
            guard v >= 0 else { throw Invalid(message: "ROI '\(text)': '\(p)' is negative") }
            values.append(v)
        }
        guard values[2] > 0, values[3] > 0 else {
            throw Invalid(message: "ROI '\(text)': width and height must be positive")
        }
        let allUnit = values.allSatisfy { $0 <= 1 }
        let anyFraction = values.contains { $0 != $0.rounded() }
        if allUnit && anyFraction || allUnit && values[2] == 1 && values[3] == 1 && values[0] == 0 && values[1] == 0 {
            guard values[0] + values[2] <= 1.0000001, values[1] + values[3] <= 1.0000001 else {
                throw Invalid(message: "ROI '\(text)': fractions must stay within the frame (x+w <= 1, y+h <= 1)")
            }
            self.init(x: values[0], y: values[1], width: values[2], height: values[3], units: .fractions)
        } else {
            guard !anyFraction else {
                throw Invalid(message: "ROI '\(text)': pixel values must be whole numbers (or all four fractions in 0...1)")
            }
            self.init(x: values[0], y: values[1], width: values[2], height: values[3], units: .pixels)
        }
    }

    /// The region in pixels for a frame of the given size.
    /// - Throws: `Invalid` when the region does not lie inside the frame.
    public func resolve(frameWidth: Int, frameHeight: Int) throws(Invalid) -> PixelRect {
        let rect: PixelRect
        switch units {
        case .pixels:
            rect = PixelRect(x: Int(x), y: Int(y), width: Int(width), height: Int(height))
        case .fractions:
            let x0 = Int((x * Double(frameWidth)).rounded()), y0 = Int((y * Double(frameHeight)).rounded())
            let x1 = Int(((x + width) * Double(frameWidth)).rounded()), y1 = Int(((y + height) * Double(frameHeight)).rounded())
            rect = PixelRect(x: x0, y: y0, width: min(x1, frameWidth) - x0, height: min(y1, frameHeight) - y0)
        }
        guard rect.width >= 2, rect.height >= 2 else {
            throw Invalid(message: "ROI \(self) is smaller than 2x2 pixels on a \(frameWidth)x\(frameHeight) frame")
        }
        guard PixelRect(x: 0, y: 0, width: frameWidth, height: frameHeight).contains(rect) else {
            throw Invalid(message: "ROI \(self) lies outside the \(frameWidth)x\(frameHeight) frame")
        }
        return rect
    }

    public var description: String {
        func f(_ v: Double) -> String {
            units == .pixels ? String(Int(v)) : String(v)
        }
        return "\(f(x)),\(f(y)),\(f(width)),\(f(height))"
    }
}
