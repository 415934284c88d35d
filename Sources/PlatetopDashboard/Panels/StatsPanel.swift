/// Throughput and stage timings: a 2-line box, or one plain line on short terminals.
enum StatsPanel {
    static func draw(_ s: DashboardState.Stats, in r: Rect, compact: Bool, grid: inout Grid) {
        if compact {
            pairs([("dec", Format.one(s.decodeFPS) + "fps"), ("rec", Format.one(s.recognizeFPS) + "fps"),
                   ("q", "\(s.queueDepth)"), ("drop", "\(s.droppedFrames)"),
                   ("rec ms", Format.one(s.recognizeMilliseconds))],
                  x: r.x + 1, y: r.y, clip: r, grid: &grid)
            return
        }
        grid.box(r, title: "Stats")
        let inner = r.inset(1)
        pairs([("decode", Format.one(s.decodeFPS) + " fps"), ("recognize", Format.one(s.recognizeFPS) + " fps"),
               ("queue", "\(s.queueDepth)"), ("dropped", "\(s.droppedFrames)"),
               ("frames", "\(s.framesDecoded)/\(s.framesRecognized)")],
              x: inner.x + 1, y: inner.y, clip: inner, grid: &grid)
        pairs([("ms decode", Format.one(s.decodeMilliseconds)), ("locate", Format.one(s.locateMilliseconds)),
               ("recognize", Format.one(s.recognizeMilliseconds)), ("track", Format.one(s.trackMilliseconds))],
              x: inner.x + 1, y: inner.y + 1, clip: inner, grid: &grid)
    }

    private static func pairs(_ items: [(String, String)], x: Int, y: Int, clip: Rect, grid: inout Grid) {
        var col = x
        for (i, (label, value)) in items.enumerated() {
            // Items after the first are dropped whole rather than cut in the middle.
            if i > 0, col + CharacterWidth.of(label + " " + value) > clip.maxX { break }
            col = grid.write(label + " ", x: col, y: y, role: .inactive, clip: clip)
            col = grid.write(value, x: col, y: y, role: .main, attributes: .bold, clip: clip)
            col += 2
        }
    }
}
