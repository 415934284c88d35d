/// The status line (why nothing was read, messages, threshold, ROI, filter prompt) and the hint bar.
enum StatusPanel {
    static func reasonText(_ reason: DashboardState.NoReadReason, threshold: Float) -> (String, Role) {
        switch reason {
        case .none: return ("", .statusOK)
        case .noPlateFound: return ("no plate found", .inactive)
        case .belowThreshold(let c): return ("below threshold (\(Format.two(c)) < \(Format.two(threshold)))", .statusWarn)
        case .patternMismatch(let text): return ("pattern mismatch: \(text)", .statusWarn)
        case .frameDropped: return ("frame dropped", .statusWarn)
        case .sourceStalled(let s): return ("source stalled \(Int(s.rounded()))s", .statusError)
        case .reconnecting: return ("reconnecting…", .statusWarn)
        }
    }

    static func draw(state: DashboardState, ui: UIState, in r: Rect, grid: inout Grid) {
        // Right side: threshold and ROI.
        var right = "thr " + Format.two(state.threshold)
        if !state.roi.isEmpty { right += "  roi " + state.roi }
        right += " "
        let rightWidth = CharacterWidth.of(right)
        let rightX = max(r.x, r.maxX - rightWidth)
        let leftClip = Rect(x: r.x, y: r.y, width: max(0, rightX - 1 - r.x), height: 1)
        if rightWidth <= r.width / 2 {
            grid.write(right, x: rightX, y: r.y, role: .inactive)
        }
        let clip = rightWidth <= r.width / 2 ? leftClip : r
        if let draft = ui.filterDraft {
            var x = grid.write(" /", x: r.x, y: r.y, role: .hint, attributes: .bold, clip: clip)
            x = grid.write(draft, x: x, y: r.y, role: .main, attributes: .bold, clip: clip)
            x = grid.write("▏", x: x, y: r.y, role: .hint, clip: clip)
            grid.write("  Enter apply · Esc clear", x: x, y: r.y, role: .inactive, clip: clip)
            return
        }
        var x = r.x + 1
        let (text, role) = reasonText(state.reason, threshold: state.threshold)
        if !text.isEmpty { x = grid.write(text, x: x, y: r.y, role: role, attributes: .bold, clip: clip) }
        if !state.message.isEmpty {
            if !text.isEmpty { x = grid.write(" · ", x: x, y: r.y, role: .inactive, clip: clip) }
            x = grid.write(state.message, x: x, y: r.y, role: .main, clip: clip)
        }
        if let notice = ui.notice, !notice.isEmpty {
            if x > r.x + 1 { x = grid.write(" · ", x: x, y: r.y, role: .inactive, clip: clip) }
            grid.write(notice, x: x, y: r.y, role: .inactive, clip: clip)
        }
    }

    /// `q quit  p pause  ? help  / filter  t theme`, key in `hint`, label in `main`.
    static func drawHints(keymap: Keymap, in r: Rect, grid: inout Grid) {
        var x = r.x + 1
        for (key, label) in keymap.hints {
            x = grid.write(key, x: x, y: r.y, role: .hint, attributes: .bold, clip: r)
            x = grid.write(" " + label + "  ", x: x, y: r.y, role: .main, clip: r)
        }
    }
}
