/// A colour as written in a theme file: the terminal default, an xterm-256 index, or 24-bit RGB.
public enum ThemeColor: Sendable, Hashable, CustomStringConvertible {
    case terminalDefault
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    /// The colour names accepted in theme files (`bright` variants are 8-15).
    public static let names: [String: UInt8] = [
        "black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
        "brightblack": 8, "grey": 8, "gray": 8, "brightred": 9, "brightgreen": 10, "brightyellow": 11,
        "brightblue": 12, "brightmagenta": 13, "brightcyan": 14, "brightwhite": 15,
    ]

    /// Parses a theme value: `""`/`"default"`, a name, `"0"`-`"255"`, or `"#rrggbb"`.
    /// - Returns: nil when the text is none of these.
    public init?(parsing text: String) {
        let t = text.trimmingSpaces.lowercased()
        if t.isEmpty || t == "default" { self = .terminalDefault; return }
        if t.hasPrefix("#") {
            let hex = t.dropFirst()
            guard hex.count == 6, let v = UInt32(hex, radix: 16) else { return nil }
            self = .rgb(UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)); return
        }
        if let n = Int(t) {
            guard (0...255).contains(n) else { return nil }
            self = .indexed(UInt8(n)); return
        }
        let key = t.filter { $0 != "_" && $0 != "-" && $0 != " " }
        guard let i = Self.names[key] else { return nil }
        self = .indexed(i)
    }

    /// The colour number for a terminal of `depth` colours; -1 means the terminal default.
    public func index(at depth: ColorDepth) -> Int {
        switch self {
        case .terminalDefault: return -1
        case .indexed(let i): return Palette.index(i, at: depth)
        case .rgb(let r, let g, let b):
            switch depth {
            case .xterm256: return Int(Palette.xterm256(r: r, g: g, b: b))
            case .ansi16: return Int(Palette.nearestANSI(r: r, g: g, b: b, count: 16))
            case .ansi8: return Int(Palette.nearestANSI(r: r, g: g, b: b, count: 8))
            case .monochrome: return -1
            }
        }
    }

    public var description: String {
        switch self {
        case .terminalDefault: return "default"
        case .indexed(let i): return "\(i)"
        case .rgb(let r, let g, let b):
            let h = { (v: UInt8) -> String in let s = String(v, radix: 16); return s.count == 1 ? "0" + s : s }
            return "#" + h(r) + h(g) + h(b)
        }
    }
}

/// A role's final look on a given terminal: colour numbers (-1 = terminal default) and attributes.
public struct ResolvedStyle: Sendable, Hashable {
    public var foreground: Int
    public var background: Int
    public var attributes: TextAttributes
    public init(foreground: Int, background: Int, attributes: TextAttributes) {
        self.foreground = foreground; self.background = background; self.attributes = attributes
    }
}

/// A cell ready to paint: the text to draw and its style.
public struct ResolvedCell: Sendable, Hashable {
    public var text: String
    public var style: ResolvedStyle
}

/// A colour theme: btop-style role keys (`main_fg`, `conf_low`, ...) mapped to colours, or attributes only.
public struct Theme: Sendable, Equatable {
    /// The keys a theme file may set.
    public enum Key: String, Sendable, CaseIterable {
        case main_bg, main_fg, title, border, hi_fg, inactive_fg
        case conf_high, conf_mid, conf_low, watchlist
        case status_ok, status_warn, status_error
        case selected_bg, selected_fg
    }

    public var name: String
    /// Every key has a colour (missing keys were filled from the built-in default).
    public var colors: [Key: ThemeColor]
    /// True for monochrome themes (mono.toml, `NO_COLOR`): roles map to attributes only.
    public var attributesOnly: Bool
    /// Where the theme came from (a file path, or "built-in").
    public var source: String
    /// Non-fatal problems found while loading (unknown keys), `file:line: message` each.
    public var warnings: [String]

    public init(name: String, colors: [Key: ThemeColor], attributesOnly: Bool = false, source: String = "built-in",
                warnings: [String] = []) {
        var filled = Theme.defaultColors
        for (k, v) in colors { filled[k] = v }
        self.name = name; self.colors = filled; self.attributesOnly = attributesOnly
        self.source = source; self.warnings = warnings
    }

    /// The built-in default colours (the same as themes/default.toml).
    public static let defaultColors: [Key: ThemeColor] = [
        .main_bg: .terminalDefault, .main_fg: .rgb(0xc0, 0xc0, 0xc0), .title: .rgb(0xff, 0xff, 0xff),
        .border: .rgb(0x5f, 0x87, 0xaf), .hi_fg: .rgb(0x5f, 0xaf, 0xff), .inactive_fg: .rgb(0x80, 0x80, 0x80),
        .conf_high: .rgb(0x5f, 0xd7, 0x5f), .conf_mid: .rgb(0xff, 0xd7, 0x5f), .conf_low: .rgb(0xff, 0x5f, 0x5f),
        .watchlist: .rgb(0xff, 0x87, 0xff), .status_ok: .rgb(0x5f, 0xd7, 0x5f), .status_warn: .rgb(0xff, 0xaf, 0x00),
        .status_error: .rgb(0xff, 0x00, 0x00), .selected_bg: .rgb(0x00, 0x5f, 0x87),
        .selected_fg: .rgb(0xff, 0xff, 0xff),
    ]

    /// The built-in default theme.
    public static let builtinDefault = Theme(name: "default", colors: [:])
    /// The built-in monochrome theme (used for `NO_COLOR`).
    public static let monochrome = Theme(name: "mono", colors: [:], attributesOnly: true)

    /// The style of `role` on a terminal of `depth` colours.
    public func style(for role: Role, depth: ColorDepth) -> ResolvedStyle {
        if attributesOnly || depth == .monochrome {
            return ResolvedStyle(foreground: -1, background: -1, attributes: Self.monoAttributes(role))
        }
        let bg = colors[.main_bg, default: .terminalDefault].index(at: depth)
        func fg(_ k: Key) -> Int { colors[k, default: .terminalDefault].index(at: depth) }
        switch role {
        case .main: return ResolvedStyle(foreground: fg(.main_fg), background: bg, attributes: [])
        case .title: return ResolvedStyle(foreground: fg(.title), background: bg, attributes: .bold)
        case .border: return ResolvedStyle(foreground: fg(.border), background: bg, attributes: [])
        case .hint: return ResolvedStyle(foreground: fg(.hi_fg), background: bg, attributes: .bold)
        case .inactive: return ResolvedStyle(foreground: fg(.inactive_fg), background: bg, attributes: [])
        case .confHigh: return ResolvedStyle(foreground: fg(.conf_high), background: bg, attributes: [])
        case .confMid: return ResolvedStyle(foreground: fg(.conf_mid), background: bg, attributes: [])
        case .confLow: return ResolvedStyle(foreground: fg(.conf_low), background: bg, attributes: .underline)
        case .watchlist: return ResolvedStyle(foreground: fg(.watchlist), background: bg, attributes: [])
        case .statusOK: return ResolvedStyle(foreground: fg(.status_ok), background: bg, attributes: [])
        case .statusWarn: return ResolvedStyle(foreground: fg(.status_warn), background: bg, attributes: [])
        case .statusError: return ResolvedStyle(foreground: fg(.status_error), background: bg, attributes: .bold)
        case .selected:
            return ResolvedStyle(foreground: fg(.selected_fg), background: fg(.selected_bg), attributes: [])
        }
    }

    /// Attributes-only styling (htop's monochrome scheme).
    public static func monoAttributes(_ role: Role) -> TextAttributes {
        switch role {
        case .main, .confMid: return []
        case .title, .hint, .confHigh, .statusOK, .statusWarn: return .bold
        case .border, .inactive: return .dim
        case .confLow: return .underline
        case .watchlist, .selected: return .reverse
        case .statusError: return [.bold, .reverse]
        }
    }

    /// Shades for preview cells on a monochrome terminal, dark to light.
    static let shades: [String] = [" ", "░", "▒", "▓", "█"]

    /// What to paint for `cell` on a terminal of `depth` colours: role style plus the cell's own
    /// attributes; explicit preview colours are lowered to the depth (8 colours: black/white by brightness,
    /// monochrome: a shade character).
    public func resolve(_ cell: Cell, depth: ColorDepth) -> ResolvedCell {
        var style = style(for: cell.role, depth: depth)
        style.attributes.formUnion(cell.attributes)
        guard let color = cell.color else { return ResolvedCell(text: cell.text, style: style) }
        if attributesOnly || depth == .monochrome {
            let lumas = [color.foreground, color.background].compactMap { $0 }.map(Palette.luma(ofIndex:))
            let l = lumas.isEmpty ? 0 : lumas.reduce(0, +) / lumas.count
            return ResolvedCell(text: Self.shades[min(4, l * 5 / 256)], style: style)
        }
        func lower(_ i: UInt8) -> Int {
            if depth == .ansi8 {
                // Keep the pair budget of 8-colour terminals (64 pairs): greys become black or white.
                let c = Palette.rgb(ofIndex: i)
                let spread = Int(max(c.r, c.g, c.b)) - Int(min(c.r, c.g, c.b))
                if spread < 64 { return Palette.luma(ofIndex: i) >= 128 ? 7 : 0 }
            }
            return Palette.index(i, at: depth)
        }
        if let f = color.foreground { style.foreground = lower(f) }
        if let b = color.background { style.background = lower(b) }
        return ResolvedCell(text: cell.text, style: style)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
