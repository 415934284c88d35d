/// How many colours the terminal can show.
public enum ColorDepth: Sendable, Hashable {
    /// No colour: roles map to bold / reverse / underline / dim.
    case monochrome
    case ansi8
    case ansi16
    case xterm256

    /// The depth for ncurses' `COLORS` (0 or no colour support → monochrome).
    public init(colorCount: Int) {
        switch colorCount {
        case ..<8: self = .monochrome
        case 8..<16: self = .ansi8
        case 16..<256: self = .ansi16
        default: self = .xterm256
        }
    }
}

/// Colour arithmetic for the xterm-256 palette.
public enum Palette {
    /// The standard xterm RGB values of the 16 ANSI colours.
    static let ansi: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255),
        (255, 255, 255),
    ]
    static let cubeLevels: [UInt8] = [0, 95, 135, 175, 215, 255]

    /// The RGB value of an xterm-256 index.
    public static func rgb(ofIndex i: UInt8) -> (r: UInt8, g: UInt8, b: UInt8) {
        switch i {
        case 0..<16: let c = ansi[Int(i)]; return (c.0, c.1, c.2)
        case 16..<232:
            let v = Int(i) - 16
            return (cubeLevels[v / 36], cubeLevels[v / 6 % 6], cubeLevels[v % 6])
        default:
            let g = UInt8(8 + 10 * (Int(i) - 232))
            return (g, g, g)
        }
    }

    /// The xterm-256 index for a 24-bit colour. Like btop's `truecolor_to_256` it chooses between the
    /// grey ramp (232-255) and the 6x6x6 cube (16-231), but it uses xterm's real cube levels
    /// (0, 95, 135, 175, 215, 255) and picks whichever candidate is nearer, so palette colours such as
    /// `#5fd75f` map exactly (77) and pure greys land on the ramp (`#808080` → 244).
    public static func xterm256(r: UInt8, g: UInt8, b: UInt8) -> UInt8 {
        func level(_ v: Int) -> Int { v < 48 ? 0 : (v < 115 ? 1 : (v - 35) / 40) }
        let R = Int(r), G = Int(g), B = Int(b)
        let lr = level(R), lg = level(G), lb = level(B)
        let cr = Int(cubeLevels[lr]), cg = Int(cubeLevels[lg]), cb = Int(cubeLevels[lb])
        let cubeDistance = (R - cr) * (R - cr) + (G - cg) * (G - cg) + (B - cb) * (B - cb)
        let average = (R + G + B) / 3
        let greyIndex = average > 238 ? 23 : max(0, (average - 3) / 10)
        let grey = 8 + 10 * greyIndex
        let greyDistance = (R - grey) * (R - grey) + (G - grey) * (G - grey) + (B - grey) * (B - grey)
        if greyDistance < cubeDistance { return UInt8(232 + greyIndex) }
        return UInt8(16 + 36 * lr + 6 * lg + lb)
    }

    /// The grey-ramp index (232-255) for a grey level.
    public static func grey256(_ v: UInt8) -> UInt8 {
        UInt8(232 + min(23, Int((Double(v) / 11).rounded())))
    }

    /// The nearest of the first `count` ANSI colours (8 or 16) by squared RGB distance. Near-greys
    /// (channels within 40 of each other) only match the grey family (black, white, and with 16
    /// colours bright black and bright white), so grey never turns yellow.
    public static func nearestANSI(r: UInt8, g: UInt8, b: UInt8, count: Int) -> UInt8 {
        let spread = Int(max(r, g, b)) - Int(min(r, g, b))
        let candidates: [Int]
        if spread < 40 {
            candidates = count >= 16 ? [0, 8, 7, 15] : [0, 7]
        } else {
            candidates = Array(0..<min(16, max(1, count)))
        }
        var best = 0, bestDistance = Int.max
        for i in candidates {
            let c = ansi[i]
            let dr = Int(r) - Int(c.0), dg = Int(g) - Int(c.1), db = Int(b) - Int(c.2)
            let d = dr * dr + dg * dg + db * db
            if d < bestDistance { bestDistance = d; best = i }
        }
        return UInt8(best)
    }

    /// An xterm-256 index shown at a lower depth (-1 for monochrome).
    public static func index(_ i: UInt8, at depth: ColorDepth) -> Int {
        switch depth {
        case .xterm256: return Int(i)
        case .ansi16:
            if i < 16 { return Int(i) }
            let c = rgb(ofIndex: i); return Int(nearestANSI(r: c.r, g: c.g, b: c.b, count: 16))
        case .ansi8:
            if i < 8 { return Int(i) }
            if i < 16 { return Int(i) - 8 }
            let c = rgb(ofIndex: i); return Int(nearestANSI(r: c.r, g: c.g, b: c.b, count: 8))
        case .monochrome: return -1
        }
    }

    /// Perceived brightness 0...255 of an index (BT.601 weights).
    public static func luma(ofIndex i: UInt8) -> Int {
        let c = rgb(ofIndex: i)
        return (299 * Int(c.r) + 587 * Int(c.g) + 114 * Int(c.b)) / 1000
    }
}
