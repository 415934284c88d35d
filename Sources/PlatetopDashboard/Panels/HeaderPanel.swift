/// The one-line header (source, format, model, elapsed time, mode) and the stream tabs row.
enum HeaderPanel {
    static func modeText(_ mode: DashboardState.Mode) -> (String, Role) {
        switch mode {
        case .live: return ("● LIVE", .statusOK)
        case .paused: return ("‖ PAUSED", .statusWarn)
        case .reconnecting(let attempt, let inSeconds):
            if attempt == 0 { return ("↻ CONNECTING", .statusWarn) }  // first open, not a reconnect
            return ("↻ RECONNECTING #\(attempt) in \(Int(inSeconds.rounded(.up)))s", .statusWarn)
        case .ended: return ("■ ENDED", .inactive)
        case .error(let message): return ("✖ ERROR: \(message)", .statusError)
        }
    }

    /// Left: program, source, format, model (cut when narrow). Right, always shown: elapsed time and mode.
    static func draw(_ header: DashboardState.Header, in r: Rect, grid: inout Grid) {
        let (mode, modeRole) = modeText(header.mode)
        let modeWidth = min(CharacterWidth.of(mode), max(0, r.width - 20))
        let modeX = r.maxX - modeWidth - 1
        grid.write(mode, x: modeX, y: r.y, role: modeRole, attributes: .bold,
                   clip: Rect(x: modeX, y: r.y, width: modeWidth, height: 1))
        let clock = Format.clock(header.elapsedSeconds)
        let clockX = modeX - 2 - clock.count
        grid.write(clock, x: clockX, y: r.y, role: .main, clip: r)
        let left = Rect(x: r.x, y: r.y, width: max(0, clockX - 1 - r.x), height: 1)
        var x = grid.write("platetop", x: r.x + 1, y: r.y, role: .title, attributes: .bold, clip: left)
        var parts: [String] = []
        if !header.source.isEmpty { parts.append(header.source) }
        let format = [header.resolution, header.codec].filter { !$0.isEmpty }.joined(separator: " ")
        if !format.isEmpty { parts.append(format) }
        if !header.modelName.isEmpty { parts.append(header.modelName) }
        for part in parts {
            x = grid.write(" │ ", x: x, y: r.y, role: .border, clip: left)
            x = grid.write(part, x: x, y: r.y, role: .main, clip: left)
        }
    }

    static func drawTabs(_ tabs: DashboardState.Tabs, in r: Rect, grid: inout Grid) {
        var x = r.x + 1
        for (i, name) in tabs.names.enumerated() {
            let label = " \(i + 1) \(name) "
            let selected = i == tabs.selected
            x = grid.write(label, x: x, y: r.y, role: selected ? .selected : .inactive,
                           attributes: selected ? .bold : [], clip: r)
            x += 1
        }
    }
}
