/// The pure dashboard renderer: state + view state + size in, a grid of cells out. No terminal involved.
public enum Dashboard {
    /// Renders the dashboard.
    /// - Parameters:
    ///   - state: the pipeline's snapshot.
    ///   - ui: the view state (overlay, filter, scroll).
    ///   - size: the terminal size; the grid has exactly this size (negative sizes give an empty grid).
    ///   - keymap: the key table used for the hint bar and help overlay.
    /// - Returns: the grid to paint.
    public static func render(state: DashboardState, ui: UIState, size: TerminalSize,
                              keymap: Keymap = .standard) -> Grid {
        var grid = Grid(size: size)
        let layout = Layout.compute(size: size, streamCount: state.tabs.names.count)
        if layout.tooSmall {
            renderTooSmall(into: &grid)
            return grid
        }
        if let r = layout.header { HeaderPanel.draw(state.header, in: r, grid: &grid) }
        if let r = layout.tabs { HeaderPanel.drawTabs(state.tabs, in: r, grid: &grid) }
        if let r = layout.stats { StatsPanel.draw(state.stats, in: r, compact: layout.statsCompact, grid: &grid) }
        if let r = layout.liveRead {
            LiveReadPanel.draw(state.liveRead, threshold: state.threshold, in: r, compact: layout.liveCompact,
                               grid: &grid)
        }
        if let r = layout.history { HistoryPanel.draw(state.history, ui: ui, in: r, grid: &grid) }
        if let r = layout.preview { PreviewPanel.draw(state.preview, in: r, grid: &grid) }
        if let r = layout.status { StatusPanel.draw(state: state, ui: ui, in: r, grid: &grid) }
        if let r = layout.hints { StatusPanel.drawHints(keymap: keymap, in: r, grid: &grid) }
        if ui.showHelp { HelpOverlay.draw(keymap: keymap, size: size, grid: &grid) }
        return grid
    }

    /// Renders with a `(columns, rows)` tuple.
    public static func render(state: DashboardState, ui: UIState, size: (columns: Int, rows: Int)) -> Grid {
        render(state: state, ui: ui, size: TerminalSize(columns: size.columns, rows: size.rows))
    }

    /// The centred "Too small WxH — need 40x12" notice, clipped to whatever fits.
    static func renderTooSmall(into grid: inout Grid) {
        let current = "\(grid.columns)x\(grid.rows)"
        let prefix = "Too small "
        let suffix = " — need \(TerminalSize.minimum)"
        let width = CharacterWidth.of(prefix + current + suffix)
        let x = max(0, (grid.columns - width) / 2)
        let y = max(0, (grid.rows - 1) / 2)
        var col = grid.write(prefix, x: x, y: y, role: .statusWarn, attributes: .bold)
        col = grid.write(current, x: col, y: y, role: .statusError, attributes: .bold)
        grid.write(suffix, x: col, y: y, role: .statusWarn, attributes: .bold)
        if grid.rows >= 3 {
            let q = "q quits"
            grid.write(q, x: max(0, (grid.columns - q.count) / 2), y: y + 1, role: .inactive)
        }
    }
}

/// Small text helpers shared by the panels.
enum Format {
    /// `HH:MM:SS` for a duration in seconds.
    static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.isFinite ? seconds : 0))
        return "\(pad2(s / 3600)):\(pad2(s / 60 % 60)):\(pad2(s % 60))"
    }

    static func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// One decimal place.
    static func one(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        let t = (abs(v) * 10).rounded()
        return (v < 0 ? "-" : "") + "\(Int(t) / 10).\(Int(t) % 10)"
    }

    /// Two decimal places for a value in 0...1.
    static func two(_ v: Float) -> String {
        guard v.isFinite else { return "-" }
        let t = Int((abs(v) * 100).rounded())
        return (v < 0 ? "-" : "") + "\(t / 100)." + pad2(t % 100)
    }

    /// A percentage, `"94%"`.
    static func percent(_ v: Float) -> String {
        guard v.isFinite else { return "-%" }
        return "\(Int((max(0, min(1, v)) * 100).rounded()))%"
    }

    /// `text` cut or padded with spaces to exactly `width` columns.
    static func fit(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        var out = "", w = 0
        for ch in text {
            let cw = CharacterWidth.of(ch)
            if w + cw > width { break }
            out.append(ch); w += cw
        }
        return out + String(repeating: " ", count: width - w)
    }

    /// `text` right-aligned in `width` columns (cut on the left side when too long).
    static func right(_ text: String, _ width: Int) -> String {
        let w = CharacterWidth.of(text)
        return w >= width ? fit(text, width) : String(repeating: " ", count: width - w) + text
    }
}
