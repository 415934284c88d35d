import PlatetopCore
import Testing
@testable import PlatetopDashboard

@Suite("render(state, ui, size)")
struct RenderTests {
    @Test("grid has exactly the requested size", arguments: [(20, 6), (40, 12), (80, 24), (200, 60)])
    func gridSize(cols: Int, rows: Int) {
        let g = Dashboard.render(state: Fixture.state(), ui: UIState(), size: (cols, rows))
        #expect(g.columns == cols)
        #expect(g.rows == rows)
        #expect(g.cells.count == cols * rows)
    }

    @Test("never writes outside the grid, even on tiny sizes")
    func tinySizes() {
        var state = Fixture.state(history: Fixture.history(50), tabs: ["a", "b", "c"])
        state.preview = .init(image: PixelImage(width: 8, height: 4, format: .gray8, fill: 200),
                              overlays: [.init(rect: PixelRect(x: -5, y: -5, width: 500, height: 500), kind: .roi)],
                              frameWidth: 80, frameHeight: 40)
        state.header.mode = .error(String(repeating: "x", count: 300))
        for cols in [0, 1, 2, 5, 10, 39, 40, 41, 99, 100, 101, 140] {
            for rows in [0, 1, 2, 3, 11, 12, 13, 15, 16, 30] {
                for help in [false, true] {
                    let g = Dashboard.render(state: state, ui: UIState(showHelp: help), size: (cols, rows))
                    #expect(g.cells.count == cols * rows, "\(cols)x\(rows)")
                    // Every wide character's continuation is in the same row, right after it.
                    for y in 0..<rows {
                        for x in 0..<cols where g[x, y].isContinuation {
                            #expect(x > 0 && CharacterWidth.of(g[x - 1, y].text) == 2, "\(cols)x\(rows) at \(x),\(y)")
                        }
                    }
                }
            }
        }
        let negative = Dashboard.render(state: state, ui: UIState(), size: (-3, -3))
        #expect(negative.cells.isEmpty)
    }

    @Test("too small shows a centred notice with the size")
    func tooSmall() {
        let g = Dashboard.render(state: Fixture.state(), ui: UIState(), size: (38, 10))
        let notice = "Too small 38x10 — need 40x12"
        #expect(g.text(row: 4) == "     " + notice + "     ")
        let at = g.find("38x10")
        #expect(at?.x == 15 && at?.y == 4)
        #expect(g[15, 4].role == .statusError)
        #expect(g.text(row: 5).contains("q quits"))
    }

    @Test("too small at 20x6 clips the notice to what fits")
    func tooSmallClipped() {
        let g = Dashboard.render(state: Fixture.state(), ui: UIState(), size: (20, 6))
        #expect(g.text(row: 2) == "Too small 20x6 — nee")
        let one = Dashboard.render(state: Fixture.state(), ui: UIState(), size: (1, 1))
        #expect(one.text(row: 0) == "T")
    }

    @Test("80x24: header, plate at the live-read coordinates, newest history row first, hint bar")
    func fullLayout80x24() {
        let g = Dashboard.render(state: Fixture.state(), ui: UIState(), size: (80, 24))
        #expect(g.text(x: 1, y: 0, width: 8) == "platetop")
        #expect(g.text(row: 0).contains("rtsp://***@cam/live │ 1280x720 h264 │ lprnet "))
        #expect(g.text(row: 0).hasSuffix(" 01:02:05  ● LIVE "))
        #expect(g.text(x: 0, y: 5, width: 12) == "┌ Live read ")
        #expect(g.text(x: 2, y: 6, width: 7) == "AB123CD")
        #expect(g.text(x: 9, y: 6, width: 5) == "  81%")
        #expect(g.text(row: 8).contains("candidates  AB123CD ×7"))
        // History box starts at row 10; row 11 is the column header; row 12 the newest.
        #expect(g.text(x: 0, y: 10, width: 12) == "┌ History 3 ")
        #expect(g.text(x: 1, y: 12, width: 13) == " 12:00:02 P2 ")
        #expect(g.text(x: 1, y: 14, width: 13) == " 12:00:00 P0 ")
        #expect(g.text(row: 22).hasPrefix(" below threshold (0.42 < 0.60)"))
        #expect(g.text(row: 22).hasSuffix("thr 0.60  roi 0.3,0.6,0.4,0.2 "))
        #expect(g.text(row: 23).hasPrefix(" q quit  p pause  ? help  / filter  t theme"))
        #expect(g[1, 23].role == .hint)
    }

    @Test("per-character roles: high, mid, low (low also underlined)")
    func characterRoles() {
        let g = Dashboard.render(state: Fixture.state(), ui: UIState(), size: (80, 24))
        // Confidences: 0.95, 0.7, 0.3, 0.99, 0.9, 0.59, 0.6
        let expected: [Role] = [.confHigh, .confMid, .confLow, .confHigh, .confHigh, .confLow, .confMid]
        for (i, role) in expected.enumerated() {
            #expect(g[2 + i, 6].role == role, "char \(i)")
            #expect(g[2 + i, 6].attributes.contains(.underline) == (role == .confLow), "char \(i)")
        }
    }

    @Test("no history rows shows an empty-state line")
    func emptyHistory() {
        let g = Dashboard.render(state: Fixture.state(history: []), ui: UIState(), size: (80, 24))
        #expect(g.text(x: 0, y: 10, width: 12) == "┌ History 0 ")
        #expect(g.text(x: 2, y: 12, width: 13) == "no plates yet")
    }

    @Test("200 history rows scroll: first visible row follows historyScroll, clamped at the end")
    func scrolling() {
        let state = Fixture.state(history: Fixture.history(200))
        // 80x24: history box rows 10..21, 12 tall → 9 visible rows.
        #expect(HistoryPanel.visibleRows(in: Layout.compute(size: .init(columns: 80, rows: 24)).history) == 9)
        let top = Dashboard.render(state: state, ui: UIState(), size: (80, 24))
        #expect(top.text(row: 12).contains(" P199 "))
        #expect(top.text(row: 20).contains(" P191 "))
        #expect(top[79, 20].text == "↓")
        let scrolled = Dashboard.render(state: state, ui: UIState(historyScroll: 5), size: (80, 24))
        #expect(scrolled.text(row: 12).contains(" P194 "))
        #expect(scrolled[79, 12].text == "↑")
        let past = Dashboard.render(state: state, ui: UIState(historyScroll: 10_000), size: (80, 24))
        #expect(past.text(row: 12).contains(" P8 "))
        #expect(past.text(row: 20).contains(" P0 "))
    }

    @Test("a long plate is clipped inside the live-read box")
    func longPlateClipped() {
        let long = String(repeating: "W", count: 300)
        let read = DashboardState.LiveRead(text: long, characterConfidences: [], confidence: 0.5)
        let g = Dashboard.render(state: Fixture.state(read: read), ui: UIState(), size: (40, 12))
        // 40x12: live read box rows 2..4, plate on row 3 from x=2, border at x=39.
        #expect(g.text(x: 2, y: 3, width: 37) == String(repeating: "W", count: 37))
        #expect(g[39, 3].text == "│")
        #expect(g[2, 3].role == .confLow)
    }

    @Test("wide characters take two cells")
    func wideCharacters() {
        let read = DashboardState.LiveRead(text: "皖A12", characterConfidences: [0.95, 0.95, 0.95, 0.95], confidence: 0.95)
        let g = Dashboard.render(state: Fixture.state(read: read), ui: UIState(), size: (80, 24))
        #expect(g[2, 6].text == "皖")
        #expect(g[3, 6].isContinuation)
        #expect(g[4, 6].text == "A")
        #expect(g[5, 6].text == "1")
        #expect(g.text(x: 2, y: 6, width: 5) == "皖A12")
    }

    @Test("watchlist rows use the watchlist role and show the label")
    func watchlistRow() {
        var rows = Fixture.history(3)
        rows[1].watchlistLabel = "stolen"
        let g = Dashboard.render(state: Fixture.state(history: rows), ui: UIState(), size: (80, 24))
        #expect(g.text(row: 13).contains("★ stolen"))
        #expect(g[11, 13].role == .watchlist)
        #expect(g[11, 12].role == .main)
    }

    @Test("the filter narrows the history and shows in the title")
    func filterNarrows() {
        var rows = Fixture.history(12)
        rows[4].watchlistLabel = "stolen"
        let g = Dashboard.render(state: Fixture.state(history: rows), ui: UIState(filter: "P1"), size: (80, 24))
        // P11, P10, P1 match "P1".
        #expect(g.text(x: 0, y: 10, width: 20) == "┌ History 3/12 /P1 ─")
        #expect(g.text(row: 12).contains(" P11 "))
        #expect(g.text(row: 13).contains(" P10 "))
        #expect(g.text(row: 14).contains(" P1 "))
        #expect(!g.text(row: 15).contains("P"))
        let label = Dashboard.render(state: Fixture.state(history: rows), ui: UIState(filter: "stol"), size: (80, 24))
        #expect(label.text(row: 12).contains(" P7 "))
        #expect(HistoryPanel.filtered(rows, by: "p1").count == 3)   // lower case: case-insensitive
        #expect(HistoryPanel.filtered(rows, by: "STOL").isEmpty)    // upper case: case-sensitive
    }

    @Test("40x12: compact stats line, 3-row live read, history below")
    func minimumSize() {
        let g = Dashboard.render(state: Fixture.state(), ui: UIState(), size: (40, 12))
        #expect(g.text(row: 1).hasPrefix(" dec 25.0fps  rec 12.5fps  q 1  drop 3"))
        #expect(g.text(x: 2, y: 3, width: 7) == "AB123CD")
        #expect(g.text(x: 0, y: 5, width: 12) == "┌ History 3 ")
        #expect(g.text(x: 1, y: 7, width: 13) == " 12:00:02 P2 ")
    }

    @Test("200x60: preview column with half blocks and the ROI outline")
    func preview200x60() {
        var state = Fixture.state()
        var img = PixelImage(width: 16, height: 9, format: .gray8, fill: 255)
        img.pixels[0] = 0
        state.preview = .init(image: img, overlays: [.init(rect: PixelRect(x: 640, y: 360, width: 320, height: 180),
                                                           kind: .roi)],
                              frameWidth: 1280, frameHeight: 720)
        let g = Dashboard.render(state: state, ui: UIState(), size: (200, 60))
        #expect(g.text(x: 120, y: 1, width: 11) == "┌ Preview ─")
        // Inner 78x55 cells = 78x110 pixels; 16x9 fits as 78x43 → 22 cell rows, centred.
        let blocks = g.cells.filter { $0.text == "▀" && $0.color != nil }
        #expect(blocks.count == 78 * 22)
        let colors = Set(blocks.flatMap { [$0.color!.foreground, $0.color!.background] }.compactMap { $0 })
        #expect(colors.contains(255))   // white pixels → top of the grey ramp
        #expect(colors.contains(232))   // the black pixel
        #expect(colors.contains(PreviewPanel.overlayColor(.roi)))
        // The left column keeps the panels: plate still at (2, 6).
        #expect(g.text(x: 2, y: 6, width: 7) == "AB123CD")
    }

    @Test("help overlay lists the key table")
    func helpOverlay() {
        let g = Dashboard.render(state: Fixture.state(), ui: UIState(showHelp: true), size: (80, 24))
        #expect(g.find("┌ Keys ") != nil)
        #expect(g.text.contains("q, Ctrl-C"))
        #expect(g.text.contains("Quit and print the summary"))
        #expect(g.text.contains("Esc or ? closes"))
    }

    @Test("stream tabs row with the selected tab highlighted")
    func tabs() {
        var state = Fixture.state(tabs: ["cam-a", "cam-b"])
        state.tabs.selected = 1
        let g = Dashboard.render(state: state, ui: UIState(), size: (80, 24))
        #expect(g.text(row: 1).hasPrefix("  1 cam-a   2 cam-b "))
        #expect(g[11, 1].role == .selected)
        #expect(g[2, 1].role == .inactive)
        #expect(g.text(x: 2, y: 7, width: 7) == "AB123CD")   // everything below moved down one row
    }

    @Test("header modes", arguments: [
        (DashboardState.Mode.paused, "‖ PAUSED"), (.reconnecting(attempt: 2, inSeconds: 4.2), "↻ RECONNECTING #2 in 5s"),
        (.ended, "■ ENDED"), (.error("boom"), "✖ ERROR: boom"),
    ])
    func headerModes(mode: DashboardState.Mode, text: String) {
        var state = Fixture.state()
        state.header.mode = mode
        let g = Dashboard.render(state: state, ui: UIState(), size: (80, 24))
        #expect(g.text(row: 0).hasSuffix(text + " "))
        // The clock stays visible on a narrow terminal; the source is cut instead.
        let narrow = Dashboard.render(state: state, ui: UIState(), size: (40, 12))
        #expect(narrow.text(row: 0).contains("01:02:05"))
    }

    @Test("status line shows the filter prompt while typing")
    func filterPrompt() {
        let g = Dashboard.render(state: Fixture.state(), ui: UIState(filterDraft: "AB"), size: (80, 24))
        #expect(g.text(row: 22).hasPrefix(" /AB▏  Enter apply · Esc clear"))
    }
}

@Suite("Stats panel")
struct StatsPanelTests {
    @Test("stats items that do not fit are dropped whole, not cut")
    func dropWhole() {
        var state = Fixture.state()
        state.stats.framesDecoded = 123_456
        state.stats.framesRecognized = 7_890
        let wide = Dashboard.render(state: state, ui: UIState(), size: (80, 24))
        #expect(wide.text(row: 2).contains("frames 123456/7890"))
        let narrow = Dashboard.render(state: state, ui: UIState(), size: (60, 24))
        #expect(narrow.text(row: 2).hasPrefix("│ decode 25.0 fps  recognize 12.5 fps  queue 1  dropped 3"))
        #expect(!narrow.text(row: 2).contains("frames"))
        #expect(narrow.text(row: 3).hasPrefix("│ ms decode 0.0  locate 0.0  recognize 0.0  track 0.0"))
    }
}
