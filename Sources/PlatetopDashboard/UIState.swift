/// A change the app must make in response to a key; the reducer returns these, the app applies them.
public enum UIEffect: Hashable, Sendable {
    case quit
    case togglePause
    case resetCounters
    /// The new confidence threshold, already clamped to 0...1 and rounded to 0.05 steps.
    case setThreshold(Float)
    /// Move the ROI by (dx, dy) steps and resize it by (dw, dh) steps. See `RegionOfInterest.nudged`.
    case nudgeROI(dx: Int, dy: Int, dw: Int, dh: Int)
    /// Show this zero-based stream tab.
    case selectStream(Int)
    /// Force a full repaint (Ctrl-L).
    case redraw
    /// Advance one frame while paused.
    case step
}

/// What the reducer needs to know about the current snapshot and screen.
public struct UIContext: Sendable, Equatable {
    /// Rows in the history after the filter.
    public var historyCount: Int
    /// Rows the history panel shows at once (PgUp/PgDn step).
    public var pageSize: Int
    /// The current confidence threshold.
    public var threshold: Float
    public var isPaused: Bool
    public var streamCount: Int
    public var selectedStream: Int
    /// Names of the themes `t` cycles through (index = `UIState.themeIndex`).
    public var themeNames: [String]

    public init(historyCount: Int = 0, pageSize: Int = 10, threshold: Float = 0.6, isPaused: Bool = false,
                streamCount: Int = 1, selectedStream: Int = 0, themeNames: [String] = ["default"]) {
        self.historyCount = historyCount; self.pageSize = pageSize; self.threshold = threshold
        self.isPaused = isPaused; self.streamCount = streamCount; self.selectedStream = selectedStream
        self.themeNames = themeNames
    }

    /// The context for `state` shown at `size` with `ui`.
    public init(state: DashboardState, ui: UIState, size: TerminalSize, themeNames: [String] = ["default"]) {
        let layout = Layout.compute(size: size, streamCount: state.tabs.names.count)
        self.init(historyCount: HistoryPanel.filtered(state.history, by: ui.effectiveFilter).count,
                  pageSize: max(1, HistoryPanel.visibleRows(in: layout.history)),
                  threshold: state.threshold, isPaused: state.isPaused,
                  streamCount: max(1, state.tabs.names.count), selectedStream: state.tabs.selected,
                  themeNames: themeNames)
    }
}

/// The dashboard's own view state (overlay, filter, scroll, theme), changed only by the reducer.
public struct UIState: Sendable, Equatable {
    public var showHelp: Bool
    /// The applied history filter (smart-case substring); empty = no filter.
    public var filter: String
    /// The filter being typed after `/`, or nil when not editing.
    public var filterDraft: String?
    /// First history row shown (0 = newest).
    public var historyScroll: Int
    /// Index into the theme list the loop cycles with `t`.
    public var themeIndex: Int
    /// A short transient note for the status line (theme changed, theme warnings).
    public var notice: String?

    public init(showHelp: Bool = false, filter: String = "", filterDraft: String? = nil,
                historyScroll: Int = 0, themeIndex: Int = 0, notice: String? = nil) {
        self.showHelp = showHelp; self.filter = filter; self.filterDraft = filterDraft
        self.historyScroll = historyScroll; self.themeIndex = themeIndex; self.notice = notice
    }

    /// True while typing a filter after `/`.
    public var isEditingFilter: Bool { filterDraft != nil }

    /// The filter the history is narrowed by now (the draft while typing, so the list narrows live).
    public var effectiveFilter: String { filterDraft ?? filter }

    /// The threshold step for `+` and `-`.
    public static let thresholdStep: Float = 0.05

    /// Handles one key: updates the view state and returns the effects for the app to apply.
    /// - Parameters:
    ///   - key: the key pressed.
    ///   - context: the snapshot facts the reducer needs (history size, threshold, tabs...).
    ///   - keymap: the key table (defaults to `Keymap.standard`).
    /// - Returns: the effects, in order; empty when the key only changed view state or did nothing.
    public mutating func handle(_ key: Key, context: UIContext = UIContext(),
                                keymap: Keymap = .standard) -> [UIEffect] {
        if key == .resize { clampScroll(context); return [] }
        if filterDraft != nil { return handleFilterKey(key, context: context) }
        if showHelp {
            switch key {
            case .escape, .character("?"), .function(1): showHelp = false; return []
            case .character("q"), .control("c"): return [.quit]
            case .control("l"): return [.redraw]
            default: return []
            }
        }
        if key == .escape {
            // Esc never quits at top level: it clears an applied filter, else does nothing.
            if !filter.isEmpty { filter = ""; historyScroll = 0 }
            return []
        }
        guard let action = keymap.action(for: key) else { return [] }
        return perform(action, context: context)
    }

    /// The same as `handle(_:context:keymap:)`, returning the new state (for `ui = ui.handling(key, effects: &fx)`).
    public func handling(_ key: Key, context: UIContext = UIContext(), effects: inout [UIEffect]) -> UIState {
        var copy = self
        effects += copy.handle(key, context: context)
        return copy
    }

    private mutating func perform(_ action: KeyAction, context: UIContext) -> [UIEffect] {
        let maxScroll = max(0, context.historyCount - context.pageSize)
        switch action {
        case .quit: return [.quit]
        case .togglePause: return [.togglePause]
        case .toggleHelp: showHelp.toggle(); return []
        case .nextTheme:
            let n = max(1, context.themeNames.count)
            themeIndex = (themeIndex + 1) % n
            if themeIndex < context.themeNames.count { notice = "theme: \(context.themeNames[themeIndex])" }
            return []
        case .startFilter: filterDraft = filter; return []
        case .scrollUp: historyScroll = max(0, min(historyScroll, maxScroll) - 1)
        case .scrollDown: historyScroll = min(maxScroll, historyScroll + 1)
        case .pageUp: historyScroll = max(0, min(historyScroll, maxScroll) - context.pageSize)
        case .pageDown: historyScroll = min(maxScroll, historyScroll + context.pageSize)
        case .scrollHome: historyScroll = 0
        case .scrollEnd: historyScroll = maxScroll
        case .resetCounters: return [.resetCounters]
        case .thresholdUp: return [.setThreshold(Self.steppedThreshold(context.threshold, by: +1))]
        case .thresholdDown: return [.setThreshold(Self.steppedThreshold(context.threshold, by: -1))]
        case .nudgeROI(let dx, let dy, let dw, let dh): return [.nudgeROI(dx: dx, dy: dy, dw: dw, dh: dh)]
        case .nextStream:
            guard context.streamCount > 1 else { return [] }
            historyScroll = 0
            return [.selectStream((context.selectedStream + 1) % context.streamCount)]
        case .selectStream(let i):
            guard i < context.streamCount, i != context.selectedStream else { return [] }
            historyScroll = 0
            return [.selectStream(i)]
        case .redraw: return [.redraw]
        case .step: return context.isPaused ? [.step] : []
        }
        return []
    }

    private mutating func handleFilterKey(_ key: Key, context: UIContext) -> [UIEffect] {
        switch key {
        case .enter:
            filter = filterDraft ?? ""
            filterDraft = nil
        case .escape:
            filter = ""
            filterDraft = nil
        case .backspace, .delete:
            if var d = filterDraft, !d.isEmpty { d.removeLast(); filterDraft = d }
        case .character(let c):
            filterDraft = (filterDraft ?? "") + String(c)
        case .control("c"):
            return [.quit]
        case .control("u"):
            filterDraft = ""
        default:
            return []
        }
        historyScroll = 0
        return []
    }

    private mutating func clampScroll(_ context: UIContext) {
        historyScroll = max(0, min(historyScroll, context.historyCount - context.pageSize))
    }

    /// `value` moved one 0.05 step up or down, snapped to the 0.05 grid and clamped to 0...1.
    public static func steppedThreshold(_ value: Float, by direction: Int) -> Float {
        let steps = (value / thresholdStep).rounded() + Float(direction)
        return min(1, max(0, (steps * thresholdStep * 100).rounded() / 100))
    }
}
