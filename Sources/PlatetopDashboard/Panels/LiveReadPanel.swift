/// The current read: each character coloured by its confidence (low ones also underlined),
/// the plate confidence bar and the voted candidates.
enum LiveReadPanel {
    /// Offset of the plate text from the panel's top-left corner.
    static let plateOffset = (x: 2, y: 1)

    static func draw(_ read: DashboardState.LiveRead?, threshold: Float, in r: Rect, compact: Bool,
                     grid: inout Grid) {
        grid.box(r, title: "Live read")
        let inner = r.inset(1)
        guard !inner.isEmpty else { return }
        let y = r.y + plateOffset.y
        guard let read, !read.text.isEmpty else {
            grid.write("no read yet", x: r.x + plateOffset.x, y: y, role: .inactive, clip: inner)
            return
        }
        var x = r.x + plateOffset.x
        for (i, ch) in read.text.enumerated() {
            let c = i < read.characterConfidences.count ? read.characterConfidences[i] : 0
            let role = Role.forConfidence(c)
            x = grid.write(ch, x: x, y: y, role: role, attributes: attributes(for: role), clip: inner)
        }
        let plateRole = Role.forConfidence(read.confidence)
        x = grid.write("  " + Format.percent(read.confidence), x: x, y: y, role: plateRole, attributes: .bold,
                       clip: inner)
        if read.confidence < threshold {
            grid.write("  below " + Format.two(threshold), x: x, y: y, role: .statusWarn, clip: inner)
        }
        if compact || inner.height < 2 { return }
        // Confidence bar.
        let barY = y + 1
        var bx = grid.write("conf ", x: r.x + plateOffset.x, y: barY, role: .inactive, clip: inner)
        let barWidth = max(0, min(30, inner.maxX - bx - 6))
        let filled = Int((Float(barWidth) * max(0, min(1, read.confidence))).rounded())
        for i in 0..<barWidth {
            bx = grid.write(i < filled ? "█" : "░", x: bx, y: barY, role: i < filled ? plateRole : .inactive,
                            clip: inner)
        }
        grid.write(" " + Format.percent(read.confidence), x: bx, y: barY, role: plateRole, clip: inner)
        if inner.height < 3 { return }
        // Candidates.
        let cy = y + 2
        var cx = grid.write("candidates", x: r.x + plateOffset.x, y: cy, role: .inactive, clip: inner)
        if read.candidates.isEmpty {
            grid.write("  —", x: cx, y: cy, role: .inactive, clip: inner)
        }
        for cand in read.candidates {
            cx = grid.write("  " + cand.text, x: cx, y: cy, role: .main, attributes: .bold, clip: inner)
            cx = grid.write(" ×\(cand.votes)", x: cx, y: cy, role: .inactive, clip: inner)
        }
    }

    /// Low confidence is underlined too, so it never relies on hue alone.
    static func attributes(for role: Role) -> TextAttributes {
        switch role {
        case .confLow: return [.underline, .bold]
        default: return .bold
        }
    }
}
