import PlatetopCore

extension RegionOfInterest {
    /// The region moved by (`dx`, `dy`) steps and resized by (`dw`, `dh`) steps, as the `h j k l` /
    /// `H J K L` keys ask (`UIEffect.nudgeROI`). It stays inside the frame and keeps its units.
    /// - Parameters:
    ///   - dx: steps right (negative: left); `dy`: steps down; `dw`, `dh`: steps wider / taller.
    ///   - frameWidth: the frame width in pixels (used for pixel regions and to size a step).
    ///   - frameHeight: the frame height in pixels.
    ///   - stepFraction: one step as a fraction of the frame dimension (default 1%; pixel regions move
    ///     at least 1 px).
    /// - Returns: the moved region; its size never drops below two steps (and 2 px).
    public func nudged(dx: Int = 0, dy: Int = 0, dw: Int = 0, dh: Int = 0, frameWidth: Int, frameHeight: Int,
                       stepFraction: Double = 0.01) -> RegionOfInterest {
        switch units {
        case .fractions:
            let s = stepFraction
            func round4(_ v: Double) -> Double { (v * 10_000).rounded() / 10_000 }
            let w = round4(min(1, max(2 * s, width + Double(dw) * s)))
            let h = round4(min(1, max(2 * s, height + Double(dh) * s)))
            let nx = round4(min(1 - w, max(0, x + Double(dx) * s)))
            let ny = round4(min(1 - h, max(0, y + Double(dy) * s)))
            return RegionOfInterest(x: nx, y: ny, width: w, height: h, units: .fractions)
        case .pixels:
            let sx = max(1.0, (stepFraction * Double(frameWidth)).rounded())
            let sy = max(1.0, (stepFraction * Double(frameHeight)).rounded())
            let fw = Double(frameWidth), fh = Double(frameHeight)
            let w = min(fw, max(max(2, 2 * sx), width + Double(dw) * sx))
            let h = min(fh, max(max(2, 2 * sy), height + Double(dh) * sy))
            let nx = min(fw - w, max(0, x + Double(dx) * sx))
            let ny = min(fh - h, max(0, y + Double(dy) * sy))
            return RegionOfInterest(x: nx.rounded(), y: ny.rounded(), width: w.rounded(), height: h.rounded(),
                                    units: .pixels)
        }
    }
}
