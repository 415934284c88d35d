/// A terminal problem the user can fix (not a tty, no UTF-8 locale, too small, unknown TERM): one line.
public struct TerminalError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Why the dashboard loop returned.
public enum ExitReason: Sendable, Equatable {
    /// The user pressed `q` or Ctrl-C (as a key).
    case quit
    /// SIGINT, SIGTERM or SIGHUP arrived (the signal number).
    case signal(Int32)
    /// `shouldStop()` returned true (end of input, pipeline error...).
    case stopped
}
