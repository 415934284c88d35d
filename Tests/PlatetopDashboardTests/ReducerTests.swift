import PlatetopCore
import Testing
@testable import PlatetopDashboard

@Suite("Keymap and reducer")
struct ReducerTests {
    @Test("p and Space pause")
    func pause() {
        var ui = UIState()
        #expect(ui.handle(.character("p")) == [.togglePause])
        #expect(ui.handle(.character(" ")) == [.togglePause])
        #expect(ui == UIState())
    }

    @Test("? toggles help; Esc and ? close it; Esc never quits")
    func help() {
        var ui = UIState()
        #expect(ui.handle(.character("?")) == [])
        #expect(ui.showHelp)
        #expect(ui.handle(.escape) == [])
        #expect(!ui.showHelp)
        #expect(ui.handle(.function(1)) == [])
        #expect(ui.showHelp)
        #expect(ui.handle(.character("?")) == [])
        #expect(!ui.showHelp)
        #expect(ui.handle(.escape) == [])
        #expect(ui == UIState())
        // Keys other than close/quit do nothing under the overlay.
        ui.showHelp = true
        #expect(ui.handle(.character("h")) == [])
        #expect(ui.handle(.character("q")) == [.quit])
    }

    @Test("q and Ctrl-C quit")
    func quit() {
        var ui = UIState()
        #expect(ui.handle(.character("q")) == [.quit])
        #expect(ui.handle(.control("c")) == [.quit])
    }

    @Test("+/- step the threshold by 0.05 and clamp to 0...1", arguments: [
        (Float(0.6), Key.character("+"), Float(0.65)), (0.6, .character("-"), 0.55), (0.98, .character("+"), 1.0),
        (1.0, .character("+"), 1.0), (0.02, .character("-"), 0.0), (0.0, .character("-"), 0.0),
    ])
    func threshold(from: Float, key: Key, to: Float) {
        var ui = UIState()
        #expect(ui.handle(key, context: UIContext(threshold: from)) == [.setThreshold(to)])
    }

    @Test("h j k l nudge and H J K L resize the ROI")
    func roi() {
        var ui = UIState()
        #expect(ui.handle(.character("h")) == [.nudgeROI(dx: -1, dy: 0, dw: 0, dh: 0)])
        #expect(ui.handle(.character("j")) == [.nudgeROI(dx: 0, dy: 1, dw: 0, dh: 0)])
        #expect(ui.handle(.character("k")) == [.nudgeROI(dx: 0, dy: -1, dw: 0, dh: 0)])
        #expect(ui.handle(.character("l")) == [.nudgeROI(dx: 1, dy: 0, dw: 0, dh: 0)])
        #expect(ui.handle(.character("H")) == [.nudgeROI(dx: 0, dy: 0, dw: -1, dh: 0)])
        #expect(ui.handle(.character("L")) == [.nudgeROI(dx: 0, dy: 0, dw: 1, dh: 0)])
        #expect(ui.handle(.character("J")) == [.nudgeROI(dx: 0, dy: 0, dw: 0, dh: 1)])
        #expect(ui.handle(.character("K")) == [.nudgeROI(dx: 0, dy: 0, dw: 0, dh: -1)])
    }

    @Test("/ filter: typing edits, Enter applies, Esc clears, and the history narrows")
    func filter() {
        var ui = UIState()
        let state = Fixture.state(history: Fixture.history(30))
        #expect(ui.handle(.character("/")) == [])
        #expect(ui.isEditingFilter)
        for c in "P2" { #expect(ui.handle(.character(c)) == []) }   // 'p' would pause outside the filter
        #expect(ui.filterDraft == "P2")
        #expect(ui.handle(.character("q")) == [])                    // typed, not quit
        #expect(ui.handle(.backspace) == [])
        #expect(ui.handle(.enter) == [])
        #expect(ui.filter == "P2" && !ui.isEditingFilter)
        let g = Dashboard.render(state: state, ui: ui, size: (80, 24))
        #expect(g.text(x: 0, y: 10, width: 18) == "┌ History 11/30 /P")   // P29, P28...P20, P2
        #expect(g.text(row: 12).contains(" P29 "))
        // Esc at top level clears an applied filter and does not quit.
        #expect(ui.handle(.escape) == [])
        #expect(ui.filter.isEmpty)
        // Esc while typing clears too.
        _ = ui.handle(.character("/"))
        _ = ui.handle(.character("x"))
        #expect(ui.handle(.escape) == [])
        #expect(ui.filter.isEmpty && !ui.isEditingFilter)
    }

    @Test("scrolling with Up/Down/PgUp/PgDn/Home/End stays within the history")
    func scroll() {
        var ui = UIState()
        let ctx = UIContext(historyCount: 200, pageSize: 10)
        _ = ui.handle(.up, context: ctx); #expect(ui.historyScroll == 0)
        _ = ui.handle(.down, context: ctx); #expect(ui.historyScroll == 1)
        _ = ui.handle(.pageDown, context: ctx); #expect(ui.historyScroll == 11)
        _ = ui.handle(.end, context: ctx); #expect(ui.historyScroll == 190)
        _ = ui.handle(.down, context: ctx); #expect(ui.historyScroll == 190)
        _ = ui.handle(.pageUp, context: ctx); #expect(ui.historyScroll == 180)
        _ = ui.handle(.home, context: ctx); #expect(ui.historyScroll == 0)
        _ = ui.handle(.down, context: UIContext(historyCount: 5, pageSize: 10)); #expect(ui.historyScroll == 0)
    }

    @Test("Tab and 1-9 select streams; r, Ctrl-L; s only while paused; t cycles themes")
    func misc() {
        var ui = UIState()
        let three = UIContext(streamCount: 3, selectedStream: 2)
        #expect(ui.handle(.tab, context: three) == [.selectStream(0)])
        #expect(ui.handle(.character("2"), context: three) == [.selectStream(1)])
        #expect(ui.handle(.character("5"), context: three) == [])
        #expect(ui.handle(.tab) == [])   // one stream
        #expect(ui.handle(.character("r")) == [.resetCounters])
        #expect(ui.handle(.control("l")) == [.redraw])
        #expect(ui.handle(.character("s")) == [])
        #expect(ui.handle(.character("s"), context: UIContext(isPaused: true)) == [.step])
        let themes = UIContext(themeNames: ["default", "light", "mono"])
        _ = ui.handle(.character("t"), context: themes)
        #expect(ui.themeIndex == 1 && ui.notice == "theme: light")
        _ = ui.handle(.character("t"), context: themes)
        _ = ui.handle(.character("t"), context: themes)
        #expect(ui.themeIndex == 0)
    }

    @Test("UIContext from a snapshot counts filtered rows and the page size")
    func contextFromState() {
        let state = Fixture.state(history: Fixture.history(30), tabs: ["a", "b"])
        let ctx = UIContext(state: state, ui: UIState(filter: "P1"), size: TerminalSize(columns: 80, rows: 24))
        #expect(ctx.historyCount == 11)   // P19...P10, P1
        #expect(ctx.pageSize == 8)        // 80x24 with tabs: history box of 11 rows
        #expect(ctx.streamCount == 2)
        #expect(ctx.threshold == 0.6)
    }

    @Test("terminal bytes map to keys")
    func scalars() {
        #expect(Key(scalar: 3) == .control("c"))
        #expect(Key(scalar: 12) == .control("l"))
        #expect(Key(scalar: 27) == .escape)
        #expect(Key(scalar: 127) == .backspace)
        #expect(Key(scalar: 9) == .tab)
        #expect(Key(scalar: 13) == .enter)
        #expect(Key(scalar: 0x7696) == .character("皖"))
        #expect(Key(scalar: 0) == nil)
    }

    @Test("one key table drives the hint bar and the Markdown keys table")
    func keymapOutputs() {
        let hints = Keymap.standard.hints.map { "\($0.key) \($0.label)" }
        #expect(hints == ["q quit", "p pause", "? help", "/ filter", "t theme"])
        let md = Keymap.standard.markdownTable()
        #expect(md.hasPrefix("| Key | Action |\n|---|---|\n| `q`, `Ctrl-C` | Quit and print the summary |\n"))
        #expect(md.contains("| `1-9` | Select stream tab 1-9 |"))
        #expect(md.split(separator: "\n").count == Keymap.standard.bindings.count + 2)
        // Every key in the table dispatches to its row's action.
        for b in Keymap.standard.bindings {
            for k in b.keys { #expect(Keymap.standard.action(for: k) == b.action(for: k)) }
        }
        #expect(Keymap.standard.action(for: .character("x")) == nil)
    }
}

@Suite("ROI nudges")
struct NudgeTests {
    @Test("fraction regions move by 1% steps and stay inside the frame")
    func fractions() throws {
        let roi = try RegionOfInterest(parsing: "0.3,0.6,0.4,0.2")
        #expect(roi.nudged(dx: 1, frameWidth: 1280, frameHeight: 720).description == "0.31,0.6,0.4,0.2")
        #expect(roi.nudged(dy: -2, dw: 1, frameWidth: 1280, frameHeight: 720).description == "0.3,0.58,0.41,0.2")
        #expect(roi.nudged(dy: 50, frameWidth: 1280, frameHeight: 720).description == "0.3,0.8,0.4,0.2")
        #expect(roi.nudged(dw: -100, frameWidth: 1280, frameHeight: 720).width == 0.02)
    }

    @Test("pixel regions move by 1% of the frame, at least 1 px, clamped")
    func pixels() throws {
        let roi = try RegionOfInterest(parsing: "640,400,320,120")
        #expect(roi.nudged(dx: -1, frameWidth: 1280, frameHeight: 720).description == "627,400,320,120")
        #expect(roi.nudged(dh: 1, frameWidth: 1280, frameHeight: 720).description == "640,400,320,127")
        #expect(roi.nudged(dx: 100, frameWidth: 1280, frameHeight: 720).description == "960,400,320,120")
        #expect(roi.nudged(dx: 1, frameWidth: 50, frameHeight: 50).description == "0,0,50,50")   // shrunk into a tiny frame
    }
}
