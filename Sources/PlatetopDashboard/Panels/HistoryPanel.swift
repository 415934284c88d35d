/// The detection history: newest first, filtered, scrollable, watchlist rows highlighted.
public enum HistoryPanel {
    /// The rows matching `filter`: a smart-case substring of plate, stream or watchlist label
    /// (case-sensitive only when the filter has an uppercase letter). An empty filter keeps all rows.
    public static func filtered(_ rows: [DashboardState.HistoryRow], by filter: String) -> [DashboardState.HistoryRow] {
        guard !filter.isEmpty else { return rows }
        let caseSensitive = filter.contains { $0.isUppercase }
        let needle = caseSensitive ? filter : filter.lowercased()
        return rows.filter { row in
            [row.plate, row.stream, row.watchlistLabel ?? ""].contains { field in
                (caseSensitive ? field : field.lowercased()).contains(needle)
            }
        }
    }

    /// How many data rows fit in a history panel of this rectangle (border and column header excluded).
    public static func visibleRows(in rect: Rect?) -> Int {
        guard let rect else { return 0 }
        return max(0, rect.height - 3)
    }

    /// The column widths for an inner width: time, plate, conf, seen, stream (0 = hidden).
    static func columns(innerWidth: Int) -> (time: Int, plate: Int, conf: Int, seen: Int, stream: Int) {
        if innerWidth >= 56 { return (8, 12, 5, 5, 12) }
        if innerWidth >= 44 { return (8, 12, 5, 5, 0) }
        return (8, 10, 5, 0, 0)
    }

    static func draw(_ rows: [DashboardState.HistoryRow], ui: UIState, in r: Rect, grid: inout Grid) {
        let shown = filtered(rows, by: ui.effectiveFilter)
        var title = "History \(rows.count)"
        if !ui.effectiveFilter.isEmpty { title = "History \(shown.count)/\(rows.count) /\(ui.effectiveFilter)" }
        grid.box(r, title: title)
        let inner = r.inset(1)
        guard inner.height >= 1 else { return }
        let c = columns(innerWidth: inner.width)
        // Column header.
        var headerText = Format.fit("time", c.time + 1) + Format.fit("plate", c.plate + 1)
            + Format.right("conf", c.conf) + " "
        if c.seen > 0 { headerText += Format.right("seen", c.seen) + " " }
        if c.stream > 0 { headerText += Format.fit("stream", c.stream + 1) }
        headerText += "watch"
        grid.write(" " + headerText, x: inner.x, y: inner.y, role: .inactive, attributes: .underline, clip: inner)
        let capacity = visibleRows(in: r)
        guard capacity > 0 else { return }
        if shown.isEmpty {
            let note = rows.isEmpty ? "no plates yet" : "no match for /\(ui.effectiveFilter)"
            grid.write(note, x: inner.x + 1, y: inner.y + 1, role: .inactive, clip: inner)
            return
        }
        let maxScroll = max(0, shown.count - capacity)
        let scroll = max(0, min(ui.historyScroll, maxScroll))
        for i in 0..<min(capacity, shown.count - scroll) {
            let row = shown[scroll + i]
            let y = inner.y + 1 + i
            let watch = row.watchlistLabel != nil
            let base: Role = watch ? .watchlist : .main
            let attrs: TextAttributes = watch ? [.bold] : []
            if watch { grid.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), role: .watchlist) }
            var x = grid.write(" " + Format.fit(row.time, c.time + 1), x: inner.x, y: y, role: watch ? base : .inactive,
                               attributes: attrs, clip: inner)
            x = grid.write(Format.fit(row.plate, c.plate) + " ", x: x, y: y, role: base, attributes: .bold, clip: inner)
            x = grid.write(Format.right(Format.percent(row.confidence), c.conf) + " ", x: x, y: y,
                           role: watch ? base : Role.forConfidence(row.confidence), attributes: attrs, clip: inner)
            if c.seen > 0 {
                x = grid.write(Format.right("\(row.sightings)", c.seen) + " ", x: x, y: y, role: base,
                               attributes: attrs, clip: inner)
            }
            if c.stream > 0 {
                x = grid.write(Format.fit(row.stream, c.stream) + " ", x: x, y: y, role: watch ? base : .inactive,
                               attributes: attrs, clip: inner)
            }
            if let label = row.watchlistLabel {
                grid.write("★ " + label, x: x, y: y, role: .watchlist, attributes: [.bold, .reverse], clip: inner)
            }
        }
        // Scroll marks on the right border.
        if scroll > 0 { grid.write("↑", x: r.maxX - 1, y: inner.y + 1, role: .hint) }
        if scroll < maxScroll { grid.write("↓", x: r.maxX - 1, y: inner.maxY - 1, role: .hint) }
    }
}
