import CNcursesw
import PlatetopDashboard

/// Reads keys from the screen with `wget_wch` and a timeout.
public struct KeyInput {
    private let screen: Screen

    /// - Parameter screen: the started screen (keys are read from its stdscr).
    public init(screen: Screen) { self.screen = screen }

    /// Waits up to `timeoutMilliseconds` for a key. Wraps `wtimeout` + `wget_wch`.
    /// - Returns: the key, `.resize` after a terminal resize, or nil on timeout (or an unmapped key).
    public func read(timeoutMilliseconds: Int32) -> Key? {
        guard !screen.isEnded else { return nil }
        let win = CNcursesw_stdscr()
        wtimeout(win, timeoutMilliseconds)
        var ch: wint_t = 0
        let rc = wget_wch(win, &ch)
        if rc == CNcursesw_KEY_CODE_YES { return KeyInput.functionKey(Int32(ch)) }
        if rc == CNcursesw_OK { return Key(scalar: UInt32(ch)) }
        return nil
    }

    /// The key for a `KEY_*` code returned with `KEY_CODE_YES`.
    static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case CNcursesw_KEY_RESIZE: return .resize
        case CNcursesw_KEY_UP: return .up
        case CNcursesw_KEY_DOWN: return .down
        case CNcursesw_KEY_LEFT: return .left
        case CNcursesw_KEY_RIGHT: return .right
        case CNcursesw_KEY_PPAGE: return .pageUp
        case CNcursesw_KEY_NPAGE: return .pageDown
        case CNcursesw_KEY_HOME: return .home
        case CNcursesw_KEY_END: return .end
        case CNcursesw_KEY_BACKSPACE: return .backspace
        case CNcursesw_KEY_ENTER: return .enter
        case CNcursesw_KEY_BTAB: return .backTab
        case CNcursesw_KEY_DC: return .delete
        case (CNcursesw_KEY_F0 + 1)...(CNcursesw_KEY_F0 + 24): return .function(Int(code - CNcursesw_KEY_F0))
        default: return nil
        }
    }
}
