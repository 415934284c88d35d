/// The semantic role of a cell; a `Theme` maps each role to colours and attributes.
public enum Role: String, Sendable, Hashable, CaseIterable {
    case main
    case title
    case border
    /// A key in the hint bar or help overlay.
    case hint
    case inactive
    case confHigh
    case confMid
    case confLow
    case watchlist
    case statusOK
    case statusWarn
    case statusError
    case selected

    /// The role for a confidence: `confHigh` at 0.9 and above, `confMid` at 0.6 and above, else `confLow`.
    public static func forConfidence(_ c: Float) -> Role {
        c >= 0.9 ? .confHigh : (c >= 0.6 ? .confMid : .confLow)
    }
}

/// Text attributes that do not depend on colour (they still show on a monochrome terminal).
public struct TextAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = TextAttributes(rawValue: 1)
    public static let underline = TextAttributes(rawValue: 2)
    public static let reverse = TextAttributes(rawValue: 4)
    public static let dim = TextAttributes(rawValue: 8)
}

/// Explicit colours for one cell (preview pixels), as xterm-256 indices; nil takes the role's colour.
public struct CellColor: Sendable, Hashable {
    public var foreground: UInt8?
    public var background: UInt8?
    public init(foreground: UInt8? = nil, background: UInt8? = nil) {
        self.foreground = foreground; self.background = background
    }
}

/// One character cell of the grid.
public struct Cell: Sendable, Hashable {
    /// One grapheme; `""` for the right half of a wide character.
    public var text: String
    public var role: Role
    public var attributes: TextAttributes
    /// Explicit colours that override the role's (only the preview uses these).
    public var color: CellColor?

    public init(text: String = " ", role: Role = .main, attributes: TextAttributes = [], color: CellColor? = nil) {
        self.text = text; self.role = role; self.attributes = attributes; self.color = color
    }

    public static let blank = Cell()

    /// True for the right half of a wide character (the painter skips it).
    public var isContinuation: Bool { text.isEmpty }
}

/// The size of a terminal in character cells.
public struct TerminalSize: Sendable, Hashable, CustomStringConvertible {
    public var columns: Int
    public var rows: Int
    public init(columns: Int, rows: Int) { self.columns = columns; self.rows = rows }
    public var description: String { "\(columns)x\(rows)" }
    /// The smallest terminal the dashboard lays out: 40x12.
    public static let minimum = TerminalSize(columns: 40, rows: 12)
}

/// A rectangle of cells.
public struct Rect: Sendable, Hashable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    /// The rectangle shrunk by `n` cells on every side.
    public func inset(_ n: Int) -> Rect {
        Rect(x: x + n, y: y + n, width: max(0, width - 2 * n), height: max(0, height - 2 * n))
    }
    public var description: String { "(\(x),\(y) \(width)x\(height))" }
}
