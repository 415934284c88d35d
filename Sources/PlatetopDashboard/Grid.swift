/// A rectangle of character cells that `render` fills and the terminal painter copies to the screen.
///
/// All writes are clipped to the grid (and to an optional clip rectangle); a wide character takes
/// two cells, the second holding `""`, and is never split at a clip edge.
public struct Grid: Sendable, Equatable {
    public let columns: Int
    public let rows: Int
    /// Row-major cells, `columns * rows` of them.
    public private(set) var cells: [Cell]

    /// A blank grid; negative sizes become 0.
    public init(columns: Int, rows: Int, fill: Cell = .blank) {
        self.columns = max(0, columns)
        self.rows = max(0, rows)
        self.cells = Array(repeating: fill, count: self.columns * self.rows)
    }

    public init(size: TerminalSize) { self.init(columns: size.columns, rows: size.rows) }

    public var size: TerminalSize { TerminalSize(columns: columns, rows: rows) }
    public var bounds: Rect { Rect(x: 0, y: 0, width: columns, height: rows) }

    /// The cell at (x, y); out of bounds reads give a blank cell.
    public subscript(x: Int, y: Int) -> Cell {
        get {
            guard x >= 0, y >= 0, x < columns, y < rows else { return .blank }
            return cells[y * columns + x]
        }
        set { set(x, y, newValue) }
    }

    /// Stores one cell when (x, y) is inside the grid, repairing any wide character it cuts in half.
    public mutating func set(_ x: Int, _ y: Int, _ cell: Cell) {
        guard x >= 0, y >= 0, x < columns, y < rows else { return }
        let i = y * columns + x
        // Overwriting the right half of a wide char: blank its left half.
        if cells[i].isContinuation, x > 0 { cells[i - 1].text = " " }
        // Overwriting the left half of a wide char: blank its right half.
        if x + 1 < columns, cells[i + 1].isContinuation, !cells[i].isContinuation {
            cells[i + 1].text = " "
        }
        cells[i] = cell
    }

    /// Writes `text` from (x, y) rightwards, clipped to `clip` (default: the whole grid).
    /// - Returns: the column after the last cell written (or the clip edge).
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, role: Role = .main, attributes: TextAttributes = [],
                               clip: Rect? = nil) -> Int {
        let c = clipRect(clip)
        guard y >= c.y, y < c.maxY else { return x + CharacterWidth.of(text) }
        var col = x
        for ch in text {
            let w = CharacterWidth.of(ch)
            if w == 0 { continue }
            if col >= c.maxX { break }
            if col < c.x { col += w; continue }
            if w == 2 {
                if col + 1 >= c.maxX {           // would be split by the right edge: pad instead
                    set(col, y, Cell(text: " ", role: role, attributes: attributes))
                    col += 1
                    break
                }
                set(col, y, Cell(text: String(ch), role: role, attributes: attributes))
                set(col + 1, y, Cell(text: "", role: role, attributes: attributes))
            } else {
                set(col, y, Cell(text: String(ch), role: role, attributes: attributes))
            }
            col += w
        }
        return col
    }

    /// Writes one character with its own role and attributes (used for per-character confidence).
    @discardableResult
    public mutating func write(_ ch: Character, x: Int, y: Int, role: Role, attributes: TextAttributes = [],
                               clip: Rect? = nil) -> Int {
        write(String(ch), x: x, y: y, role: role, attributes: attributes, clip: clip)
    }

    /// Fills `rect` (clipped) with `character`.
    public mutating func fill(_ rect: Rect, character: Character = " ", role: Role = .main,
                              attributes: TextAttributes = []) {
        let r = intersect(rect, bounds)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX { set(x, y, Cell(text: String(character), role: role, attributes: attributes)) }
        }
    }

    /// Draws a single-line box around `rect` with an optional title in the top edge.
    public mutating func box(_ rect: Rect, title: String? = nil, role: Role = .border, titleRole: Role = .title) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let x0 = rect.x, y0 = rect.y, x1 = rect.maxX - 1, y1 = rect.maxY - 1
        for x in (x0 + 1)..<x1 {
            set(x, y0, Cell(text: "─", role: role)); set(x, y1, Cell(text: "─", role: role))
        }
        for y in (y0 + 1)..<y1 {
            set(x0, y, Cell(text: "│", role: role)); set(x1, y, Cell(text: "│", role: role))
        }
        set(x0, y0, Cell(text: "┌", role: role)); set(x1, y0, Cell(text: "┐", role: role))
        set(x0, y1, Cell(text: "└", role: role)); set(x1, y1, Cell(text: "┘", role: role))
        if let title, !title.isEmpty, rect.width > 4 {
            let clip = Rect(x: x0 + 1, y: y0, width: rect.width - 2, height: 1)
            write(" " + title + " ", x: x0 + 1, y: y0, role: titleRole, attributes: .bold, clip: clip)
        }
    }

    /// The text of row `y` (continuation cells add nothing, so a wide character appears once).
    public func text(row y: Int) -> String {
        guard y >= 0, y < rows else { return "" }
        return cells[(y * columns)..<((y + 1) * columns)].map(\.text).joined()
    }

    /// The text of `width` cells of row `y` starting at column `x`.
    public func text(x: Int, y: Int, width: Int) -> String {
        guard y >= 0, y < rows, width > 0 else { return "" }
        let a = max(0, x), b = min(columns, x + width)
        guard a < b else { return "" }
        return cells[(y * columns + a)..<(y * columns + b)].map(\.text).joined()
    }

    /// All rows joined with newlines (handy in test failure messages).
    public var text: String { (0..<rows).map { text(row: $0) }.joined(separator: "\n") }

    /// The first (x, y) where `needle` starts in a row's text, counted in cells; nil when absent.
    public func find(_ needle: String) -> (x: Int, y: Int)? {
        for y in 0..<rows {
            let rowCells = cells[(y * columns)..<((y + 1) * columns)]
            for (i, cell) in rowCells.enumerated() where !cell.isContinuation {
                if rowCells.dropFirst(i).map(\.text).joined().hasPrefix(needle) { return (i, y) }
            }
        }
        return nil
    }

    private func clipRect(_ clip: Rect?) -> Rect {
        guard let clip else { return bounds }
        return intersect(clip, bounds)
    }

    private func intersect(_ a: Rect, _ b: Rect) -> Rect {
        let x0 = max(a.x, b.x), y0 = max(a.y, b.y)
        let x1 = min(a.maxX, b.maxX), y1 = min(a.maxY, b.maxY)
        return Rect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }
}
