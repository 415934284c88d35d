/// A key press as the dashboard sees it, independent of the terminal library that read it.
///
/// `PlatetopTerminal` turns ncurses' `wget_wch` results into these; tests build them directly.
public enum Key: Hashable, Sendable, CustomStringConvertible {
    /// A printable character (letters, digits, punctuation, space).
    case character(Character)
    /// A control chord: `.control("c")` is Ctrl-C (byte 3), `.control("l")` is Ctrl-L (byte 12).
    case control(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, backspace, tab, backTab, delete
    /// A function key: `.function(1)` is F1.
    case function(Int)
    /// The terminal was resized (ncurses `KEY_RESIZE`).
    case resize

    /// The key for one byte or Unicode scalar read from the terminal in cbreak mode.
    /// - Parameter code: the value `wget_wch` returned with `OK`.
    /// - Returns: nil for values that are no key (NUL, invalid scalars).
    public init?(scalar code: UInt32) {
        switch code {
        case 9: self = .tab
        case 10, 13: self = .enter
        case 27: self = .escape
        case 8, 127: self = .backspace
        case 1...26:
            guard let s = Unicode.Scalar(code + 96) else { return nil }
            self = .control(Character(s))
        case 0, 28...31: return nil
        default:
            guard let s = Unicode.Scalar(code) else { return nil }
            self = .character(Character(s))
        }
    }

    /// How the key is written in the help overlay and the README (`Ctrl-C`, `PgUp`, `Space`).
    public var description: String {
        switch self {
        case .character(" "): return "Space"
        case .character(let c): return String(c)
        case .control(let c): return "Ctrl-\(c.uppercased())"
        case .up: return "Up"
        case .down: return "Down"
        case .left: return "Left"
        case .right: return "Right"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .backspace: return "Backspace"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .delete: return "Del"
        case .function(let n): return "F\(n)"
        case .resize: return "Resize"
        }
    }
}
