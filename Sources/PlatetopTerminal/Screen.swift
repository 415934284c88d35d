import CNcursesw
import Glibc
import PlatetopDashboard

/// The ncurses screen: locale and terminal setup, painting a `Grid` with a theme, and `endwin`.
///
/// Not `Sendable`: one thread (the UI loop's) owns every ncurses call.
public final class Screen {
    private var screen: OpaquePointer?
    private var ended = false
    /// The colour depth the terminal offers (monochrome when it has no colours).
    public let depth: ColorDepth
    private let defaultColorsWork: Bool
    private let pairLimit: Int
    private var pairs: [PairKey: Int16] = [:]
    private var nextPair: Int = 1
    private var pairsExhausted = false
    private var styleCache: (name: String, styles: [Role: ResolvedStyle])?
    /// The last grid painted; cells equal to it are skipped (same theme, same size, no forced redraw).
    private var lastGrid: Grid?

    private struct PairKey: Hashable { var fg: Int; var bg: Int }

    /// Sets the locale (UTF-8 required: falls back to `C.UTF-8`), starts curses on stdout/stdin
    /// (`newterm`), and sets cbreak, noecho, keypad, `curs_set(0)`, `set_escdelay(25)` and colours.
    /// - Throws: `TerminalError` when stdin/stdout is not a terminal, no UTF-8 locale exists, or
    ///   the terminal type is unknown.
    public init() throws(TerminalError) {
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            throw TerminalError("standard input and output must be a terminal (use --headless otherwise)")
        }
        try Screen.setUTF8Locale()
        guard let s = CNcursesw_newterm_stdio() else {
            let term = getenv("TERM").map { String(cString: $0) } ?? "(unset)"
            throw TerminalError("cannot start the terminal: unknown terminal type TERM=\(term)")
        }
        screen = s
        _ = set_term(s)
        let win = CNcursesw_stdscr()
        _ = cbreak()
        _ = noecho()
        _ = nonl()
        _ = keypad(win, true)
        _ = intrflush(win, false)
        _ = curs_set(0)
        _ = set_escdelay(25)
        _ = leaveok(win, true)
        var colorsOK = false
        if has_colors() {
            _ = start_color()
            colorsOK = use_default_colors() == CNcursesw_OK
        }
        defaultColorsWork = colorsOK
        depth = has_colors() ? ColorDepth(colorCount: Int(CNcursesw_COLORS())) : .monochrome
        pairLimit = has_colors() ? min(Int(CNcursesw_COLOR_PAIRS()), Int(Int16.max)) : 0
    }

    deinit { end() }

    /// `setlocale(LC_ALL, "")`, then `C.UTF-8` when the codeset is not UTF-8.
    /// - Throws: `TerminalError` when no UTF-8 locale can be set.
    public static func setUTF8Locale() throws(TerminalError) {
        func codeset() -> String { String(cString: CNcursesw_codeset()) }
        func isUTF8(_ s: String) -> Bool { s.uppercased().filter { $0 != "-" } == "UTF8" }
        _ = setlocale(LC_ALL, "")
        if isUTF8(codeset()) { return }
        _ = setlocale(LC_ALL, "C.UTF-8")
        if isUTF8(codeset()) { return }
        throw TerminalError("the locale is not UTF-8 (codeset \(codeset())); set LANG=C.UTF-8")
    }

    /// The current size (`getmaxyx` of stdscr).
    public var size: TerminalSize {
        guard !ended else { return TerminalSize(columns: 0, rows: 0) }
        let win = CNcursesw_stdscr()
        return TerminalSize(columns: Int(CNcursesw_getmaxx(win)), rows: Int(CNcursesw_getmaxy(win)))
    }

    /// Copies `grid` to the screen with `theme`'s colours (lowered to the terminal's depth), then refreshes.
    /// Wide characters are drawn once; their continuation cells are skipped.
    public func paint(_ grid: Grid, theme: Theme) {
        guard !ended else { return }
        let win = CNcursesw_stdscr()
        if pairsExhausted { lastGrid = nil; resetPairs() }
        if styleCache?.name != theme.name + "\(theme.attributesOnly)" {
            lastGrid = nil
            var styles: [Role: ResolvedStyle] = [:]
            for role in Role.allCases { styles[role] = theme.style(for: role, depth: depth) }
            styleCache = (theme.name + "\(theme.attributesOnly)", styles)
        }
        let styles = styleCache!.styles
        let current = size
        let rows = min(grid.rows, current.rows), cols = min(grid.columns, current.columns)
        let previous = (lastGrid?.size == grid.size && grid.size == current) ? lastGrid : nil
        var cc = cchar_t()
        var wch: [wchar_t] = [0, 0, 0, 0, 0, 0]
        let cells = grid.cells
        // A wide character is always followed by its continuation cell (a Grid invariant), so comparing
        // cell by cell is enough to know nothing changed.
        let previousCells = previous?.cells ?? []
        let comparing = !previousCells.isEmpty
        for y in 0..<rows {
            let rowStart = y * grid.columns
            for x in 0..<cols {
                let i = rowStart + x
                let cell = cells[i]
                if cell.isContinuation { continue }
                if comparing, previousCells[i] == cell { continue }
                let text: String
                let style: ResolvedStyle
                if cell.color == nil {
                    text = cell.text
                    var s = styles[cell.role]!
                    s.attributes.formUnion(cell.attributes)
                    style = s
                } else {
                    let r = theme.resolve(cell, depth: depth)
                    text = r.text; style = r.style
                }
                var n = 0
                for scalar in text.unicodeScalars where n < 5 { wch[n] = wchar_t(bitPattern: scalar.value); n += 1 }
                if n == 0 { wch[0] = 32; n = 1 }
                wch[n] = 0
                let pair = pairNumber(fg: style.foreground, bg: style.background)
                _ = setcchar(&cc, wch, Screen.attributes(style.attributes), pair, nil)
                _ = mvwadd_wch(win, Int32(y), Int32(x), &cc)
            }
        }
        _ = wnoutrefresh(win)
        _ = doupdate()
        lastGrid = grid
    }

    /// Makes the next refresh repaint the whole terminal (Ctrl-L).
    public func forceRedraw() {
        guard !ended else { return }
        lastGrid = nil
        _ = clearok(CNcursesw_stdscr(), true)
    }

    /// Calls `endwin` exactly once; later calls do nothing.
    public func end() {
        guard !ended else { return }
        ended = true
        _ = endwin()
        if let s = screen { delscreen(s); screen = nil }
    }

    /// True after `end()`.
    public var isEnded: Bool { ended }

    /// The number of colour pairs allocated so far (pair 0 excluded).
    public var pairsInUse: Int { pairs.count }

    private func resetPairs() {
        pairs.removeAll(keepingCapacity: true)
        nextPair = 1
        pairsExhausted = false
    }

    /// A pair for (fg, bg), allocated lazily and capped at `COLOR_PAIRS`; 0 when none is left this frame.
    private func pairNumber(fg: Int, bg: Int) -> Int16 {
        guard pairLimit > 0 else { return 0 }
        var f = fg, b = bg
        if !defaultColorsWork { if f < 0 { f = 7 }; if b < 0 { b = 0 } }
        if f < 0 && b < 0 { return 0 }
        let key = PairKey(fg: f, bg: b)
        if let p = pairs[key] { return p }
        guard nextPair < pairLimit else { pairsExhausted = true; return 0 }
        let p = Int16(nextPair)
        nextPair += 1
        _ = init_pair(p, Int16(f), Int16(b))
        pairs[key] = p
        return p
    }

    static func attributes(_ a: TextAttributes) -> attr_t {
        var r = CNcursesw_A_NORMAL
        if a.contains(.bold) { r |= CNcursesw_A_BOLD }
        if a.contains(.underline) { r |= CNcursesw_A_UNDERLINE }
        if a.contains(.reverse) { r |= CNcursesw_A_REVERSE }
        if a.contains(.dim) { r |= CNcursesw_A_DIM }
        return r
    }
}
