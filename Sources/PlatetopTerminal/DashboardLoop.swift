import CNcursesw
import Glibc
import PlatetopDashboard

/// The UI loop for the main thread: keys → reducer → effects → render → paint, until quit, a signal,
/// or `shouldStop()`. It owns every ncurses call and calls `endwin` before it returns.
public struct DashboardLoop {
    /// How long one key read waits (the loop's tick).
    public var keyTimeoutMilliseconds: Int32
    /// The minimum time between two repaints when nothing was pressed (66 ms ≈ 15 fps).
    public var frameIntervalMilliseconds: Int
    /// Send stderr to a memfd during the session and replay it after `endwin`.
    public var captureStderr: Bool
    /// The stop-signal guard to poll; nil makes the loop install its own for the session.
    public var signalGuard: TerminalGuard?
    /// The key table (dispatch, hint bar, help overlay).
    public var keymap: Keymap

    public init(keyTimeoutMilliseconds: Int32 = 66, frameIntervalMilliseconds: Int = 66, captureStderr: Bool = true,
                signalGuard: TerminalGuard? = nil, keymap: Keymap = .standard) {
        self.keyTimeoutMilliseconds = keyTimeoutMilliseconds
        self.frameIntervalMilliseconds = frameIntervalMilliseconds
        self.captureStderr = captureStderr
        self.signalGuard = signalGuard
        self.keymap = keymap
    }

    /// Runs the dashboard with one theme (`t` cycles through just that one).
    public func run(theme: Theme, initialUI: UIState = UIState(), snapshot: () -> DashboardState,
                    apply: (UIEffect) -> Void, shouldStop: () -> Bool) throws(TerminalError) -> ExitReason {
        try run(themes: [theme], initialUI: initialUI, snapshot: snapshot, apply: apply, shouldStop: shouldStop)
    }

    /// Runs the dashboard until the user quits, a stop signal arrives, or `shouldStop()` is true.
    ///
    /// Every effect the reducer returns is passed to `apply` in order (including `.quit` and `.redraw`,
    /// which the loop also handles itself). `apply` should make the change visible in the next
    /// `snapshot()` (threshold, selected tab, paused mode); for up to 1 s the loop steps `+`/`-` and
    /// `Tab` from the value it last asked for. Status-line notices (theme changes, theme warnings)
    /// clear after 4 s. `endwin` has been called, stderr replayed and the signal
    /// sources removed (when the loop installed them) by the time it returns.
    /// - Parameters:
    ///   - themes: the themes `t` cycles through; `initialUI.themeIndex` picks the first shown.
    ///   - initialUI: the starting view state.
    ///   - snapshot: the latest pipeline snapshot (called on this thread about 15 times a second).
    ///   - apply: applies an effect to the app (pause, threshold, ROI...), on this thread.
    ///   - shouldStop: polled every tick; true ends the loop with `.stopped`.
    /// - Returns: why the loop ended.
    /// - Throws: `TerminalError` when the terminal cannot be started (nothing is left changed then).
    public func run(themes: [Theme], initialUI: UIState = UIState(), snapshot: () -> DashboardState,
                    apply: (UIEffect) -> Void, shouldStop: () -> Bool) throws(TerminalError) -> ExitReason {
        let themes = themes.isEmpty ? [Theme.builtinDefault] : themes
        let ownGuard = signalGuard == nil
        let guardian = signalGuard ?? TerminalGuard()
        if ownGuard { guardian.install() }
        TerminalGuard.saveTerminalState()
        let capture: StderrCapture? = captureStderr ? (try? StderrCapture()) : nil
        let screen: Screen
        do {
            screen = try Screen()
        } catch {
            capture?.stopAndReplay()
            TerminalGuard.forgetTerminalState()
            if ownGuard { guardian.uninstall() }
            throw error
        }
        defer {
            screen.end()
            TerminalGuard.forgetTerminalState()
            capture?.stopAndReplay()
            if ownGuard { guardian.uninstall() }
        }
        let keys = KeyInput(screen: screen)
        var ui = initialUI
        if !themes[0].warnings.isEmpty, ui.notice == nil { ui.notice = themes[0].warnings.joined(separator: "; ") }
        var size = screen.size
        let clock = ContinuousClock()
        var lastPaint = clock.now - .seconds(1)
        var dirty = true
        let interval = Duration.milliseconds(frameIntervalMilliseconds)
        let themeNames = themes.map(\.name)
        var pending: (at: ContinuousClock.Instant, threshold: Float?, stream: Int?)?
        var noticeSince = clock.now
        while true {
            if guardian.stopRequested { return .signal(guardian.receivedSignal ?? 0) }
            if shouldStop() { return .stopped }
            let sinceLast = clock.now - lastPaint
            let untilNext = max(Duration.milliseconds(1), interval - sinceLast)
            let wait = min(Int64(keyTimeoutMilliseconds), untilNext.components.seconds * 1000
                           + untilNext.components.attoseconds / 1_000_000_000_000_000)
            if let key = keys.read(timeoutMilliseconds: Int32(max(1, wait))) {
                if key == .resize { size = screen.size }
                let state = snapshot()
                var context = UIContext(state: state, ui: ui, size: size, themeNames: themeNames)
                // Until the snapshot shows an applied change (or 1 s passes), step from what was asked,
                // so pressing + twice quickly gives +0.10 even if the app publishes late.
                if let p = pending, clock.now - p.at < .seconds(1) {
                    if let t = p.threshold, state.threshold != t { context.threshold = t }
                    if let s = p.stream, state.tabs.selected != s { context.selectedStream = s }
                }
                let noticeBefore = ui.notice
                let effects = ui.handle(key, context: context, keymap: keymap)
                if ui.notice != noticeBefore { noticeSince = clock.now }
                var quit = false
                for effect in effects {
                    switch effect {
                    case .quit: quit = true
                    case .redraw: screen.forceRedraw()
                    case .setThreshold(let t): pending = (clock.now, t, pending?.stream)
                    case .selectStream(let s): pending = (clock.now, pending?.threshold, s)
                    default: break
                    }
                    apply(effect)
                }
                if quit { return .quit }
                dirty = true
            }
            if ui.notice != nil, clock.now - noticeSince > .seconds(4) {
                ui.notice = nil
                dirty = true
            }
            let elapsed = clock.now - lastPaint
            if elapsed >= interval || (dirty && elapsed >= .milliseconds(15)) {
                size = screen.size
                let state = snapshot()
                let grid = Dashboard.render(state: state, ui: ui, size: size, keymap: keymap)
                screen.paint(grid, theme: themes[((ui.themeIndex % themes.count) + themes.count) % themes.count])
                lastPaint = clock.now
                dirty = false
            }
        }
    }

    /// The terminal size of stdout without starting curses (`TIOCGWINSZ`).
    /// - Throws: `TerminalError` when stdout is not a terminal, or it is smaller than `minimum`
    ///   ("terminal too small: 38x10, need 40x12").
    /// - Returns: the size.
    @discardableResult
    public static func checkTerminalSize(minimum: TerminalSize = .minimum) throws(TerminalError) -> TerminalSize {
        var cols: Int32 = 0, rows: Int32 = 0
        guard CNcursesw_winsize(STDOUT_FILENO, &cols, &rows) == 0 else {
            throw TerminalError("standard output is not a terminal (use --headless)")
        }
        let size = TerminalSize(columns: Int(cols), rows: Int(rows))
        guard size.columns >= minimum.columns, size.rows >= minimum.rows else {
            throw TerminalError("terminal too small: \(size), need \(minimum)")
        }
        return size
    }
}
