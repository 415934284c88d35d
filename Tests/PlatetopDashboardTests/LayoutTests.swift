import Testing
@testable import PlatetopDashboard

@Suite("Layout breakpoints")
struct LayoutTests {
    struct Case: Sendable, CustomStringConvertible {
        var cols: Int, rows: Int, streams: Int
        var tooSmall: Bool
        var stats: Rect?, live: Rect?, history: Rect?, preview: Rect?, tabs: Rect?
        var compact: Bool
        var description: String { "\(cols)x\(rows) streams=\(streams)" }
    }

    static let cases: [Case] = [
        Case(cols: 39, rows: 12, streams: 1, tooSmall: true, compact: false),
        Case(cols: 40, rows: 11, streams: 1, tooSmall: true, compact: false),
        Case(cols: 40, rows: 12, streams: 1, tooSmall: false,
             stats: Rect(x: 0, y: 1, width: 40, height: 1), live: Rect(x: 0, y: 2, width: 40, height: 3),
             history: Rect(x: 0, y: 5, width: 40, height: 5), compact: true),
        Case(cols: 80, rows: 15, streams: 1, tooSmall: false,
             stats: Rect(x: 0, y: 1, width: 80, height: 1), live: Rect(x: 0, y: 2, width: 80, height: 3),
             history: Rect(x: 0, y: 5, width: 80, height: 8), compact: true),
        Case(cols: 80, rows: 16, streams: 1, tooSmall: false,
             stats: Rect(x: 0, y: 1, width: 80, height: 4), live: Rect(x: 0, y: 5, width: 80, height: 5),
             history: Rect(x: 0, y: 10, width: 80, height: 4), compact: false),
        Case(cols: 80, rows: 24, streams: 1, tooSmall: false,
             stats: Rect(x: 0, y: 1, width: 80, height: 4), live: Rect(x: 0, y: 5, width: 80, height: 5),
             history: Rect(x: 0, y: 10, width: 80, height: 12), compact: false),
        Case(cols: 80, rows: 24, streams: 2, tooSmall: false,
             stats: Rect(x: 0, y: 2, width: 80, height: 4), live: Rect(x: 0, y: 6, width: 80, height: 5),
             history: Rect(x: 0, y: 11, width: 80, height: 11), tabs: Rect(x: 0, y: 1, width: 80, height: 1),
             compact: false),
        Case(cols: 99, rows: 30, streams: 1, tooSmall: false,
             stats: Rect(x: 0, y: 1, width: 99, height: 4), live: Rect(x: 0, y: 5, width: 99, height: 5),
             history: Rect(x: 0, y: 10, width: 99, height: 18), compact: false),
        Case(cols: 100, rows: 30, streams: 1, tooSmall: false,
             stats: Rect(x: 0, y: 1, width: 60, height: 4), live: Rect(x: 0, y: 5, width: 60, height: 5),
             history: Rect(x: 0, y: 10, width: 60, height: 18), preview: Rect(x: 60, y: 1, width: 40, height: 27),
             compact: false),
        Case(cols: 200, rows: 60, streams: 1, tooSmall: false,
             stats: Rect(x: 0, y: 1, width: 120, height: 4), live: Rect(x: 0, y: 5, width: 120, height: 5),
             history: Rect(x: 0, y: 10, width: 120, height: 48), preview: Rect(x: 120, y: 1, width: 80, height: 57),
             compact: false),
    ]

    @Test("panels by size", arguments: cases)
    func breakpoints(c: Case) {
        let l = Layout.compute(size: TerminalSize(columns: c.cols, rows: c.rows), streamCount: c.streams)
        #expect(l.tooSmall == c.tooSmall)
        #expect(l.stats == c.stats)
        #expect(l.liveRead == c.live)
        #expect(l.history == c.history)
        #expect(l.preview == c.preview)
        #expect(l.tabs == c.tabs)
        if !c.tooSmall {
            #expect(l.statsCompact == c.compact)
            #expect(l.liveCompact == c.compact)
            #expect(l.header == Rect(x: 0, y: 0, width: c.cols, height: 1))
            #expect(l.status == Rect(x: 0, y: c.rows - 2, width: c.cols, height: 1))
            #expect(l.hints == Rect(x: 0, y: c.rows - 1, width: c.cols, height: 1))
        } else {
            #expect(l.header == nil && l.history == nil && l.status == nil)
        }
    }
}
