/// What a key does in the dashboard, before the reducer turns it into state changes and effects.
public enum KeyAction: Hashable, Sendable {
    case quit
    case togglePause
    case toggleHelp
    case nextTheme
    case startFilter
    case scrollUp, scrollDown, pageUp, pageDown, scrollHome, scrollEnd
    case resetCounters
    case thresholdUp, thresholdDown
    /// ROI nudge in steps: move by (dx, dy), resize by (dw, dh).
    case nudgeROI(dx: Int, dy: Int, dw: Int, dh: Int)
    case nextStream
    /// Select the stream tab at this zero-based index.
    case selectStream(Int)
    case redraw
    case step
}

/// One row of the key table: the keys, what each does, and how the row reads in help, hint bar and README.
public struct KeyBinding: Sendable, Equatable {
    /// The keys of this row.
    public var keys: [Key]
    /// One action per key, or a single action shared by all keys.
    public var actions: [KeyAction]
    /// How the keys are written (`"q, Ctrl-C"`); derived from `keys` when not given.
    public var label: String
    /// What the row does, one short sentence.
    public var summary: String
    /// A one-word label for the bottom hint bar, or nil when the row is not in the hint bar.
    public var hint: String?
    /// The key shown in the hint bar (`"q"`).
    public var hintKey: String?

    public init(keys: [Key], actions: [KeyAction], label: String? = nil, summary: String,
                hint: String? = nil, hintKey: String? = nil) {
        precondition(actions.count == 1 || actions.count == keys.count, "KeyBinding: one action or one per key")
        self.keys = keys
        self.actions = actions
        self.label = label ?? keys.map(\.description).joined(separator: ", ")
        self.summary = summary
        self.hint = hint
        self.hintKey = hintKey ?? keys.first.map(\.description)
    }

    /// The action for `key`, or nil when the key is not in this row.
    public func action(for key: Key) -> KeyAction? {
        guard let i = keys.firstIndex(of: key) else { return nil }
        return actions.count == 1 ? actions[0] : actions[i]
    }
}

/// The one key table: it drives dispatch, the `?` help overlay, the bottom hint bar and the README keys table.
public struct Keymap: Sendable, Equatable {
    public var bindings: [KeyBinding]

    public init(bindings: [KeyBinding]) { self.bindings = bindings }

    /// The action bound to `key`, or nil.
    public func action(for key: Key) -> KeyAction? {
        for b in bindings { if let a = b.action(for: key) { return a } }
        return nil
    }

    /// The hint bar entries, in table order: (key, label).
    public var hints: [(key: String, label: String)] {
        bindings.compactMap { b in b.hint.map { (b.hintKey ?? b.label, $0) } }
    }

    /// The key table as a Markdown table (`| Key | Action |`), the README's keys section.
    public func markdownTable() -> String {
        var out = "| Key | Action |\n|---|---|\n"
        for b in bindings {
            let keys = b.label.split(separator: ", ").map { "`\($0)`" }.joined(separator: ", ")
            out += "| \(keys) | \(b.summary) |\n"
        }
        return out
    }

    /// The platetop key table.
    public static let standard = Keymap(bindings: [
        KeyBinding(keys: [.character("q"), .control("c")], actions: [.quit],
                   summary: "Quit and print the summary", hint: "quit"),
        KeyBinding(keys: [.character("p"), .character(" ")], actions: [.togglePause],
                   summary: "Pause / resume", hint: "pause"),
        KeyBinding(keys: [.character("?"), .function(1)], actions: [.toggleHelp],
                   summary: "Help overlay (Esc or ? closes)", hint: "help"),
        KeyBinding(keys: [.character("/")], actions: [.startFilter],
                   summary: "Filter history (Enter applies, Esc clears)", hint: "filter"),
        KeyBinding(keys: [.character("t")], actions: [.nextTheme], summary: "Next theme", hint: "theme"),
        KeyBinding(keys: [.up, .down, .pageUp, .pageDown, .home, .end],
                   actions: [.scrollUp, .scrollDown, .pageUp, .pageDown, .scrollHome, .scrollEnd],
                   label: "Up, Down, PgUp, PgDn, Home, End", summary: "Scroll history"),
        KeyBinding(keys: [.character("+"), .character("-")], actions: [.thresholdUp, .thresholdDown],
                   label: "+, -", summary: "Confidence threshold up/down (step 0.05)"),
        KeyBinding(keys: [.character("r")], actions: [.resetCounters], summary: "Reset counters"),
        KeyBinding(keys: [.character("h"), .character("j"), .character("k"), .character("l")],
                   actions: [.nudgeROI(dx: -1, dy: 0, dw: 0, dh: 0), .nudgeROI(dx: 0, dy: 1, dw: 0, dh: 0),
                             .nudgeROI(dx: 0, dy: -1, dw: 0, dh: 0), .nudgeROI(dx: 1, dy: 0, dw: 0, dh: 0)],
                   summary: "Move ROI (left/down/up/right)"),
        KeyBinding(keys: [.character("H"), .character("J"), .character("K"), .character("L")],
                   actions: [.nudgeROI(dx: 0, dy: 0, dw: -1, dh: 0), .nudgeROI(dx: 0, dy: 0, dw: 0, dh: 1),
                             .nudgeROI(dx: 0, dy: 0, dw: 0, dh: -1), .nudgeROI(dx: 0, dy: 0, dw: 1, dh: 0)],
                   summary: "Resize ROI (narrower/taller/shorter/wider)"),
        KeyBinding(keys: [.tab], actions: [.nextStream], summary: "Next stream tab"),
        KeyBinding(keys: (1...9).map { .character(Character(String($0))) },
                   actions: (0..<9).map { .selectStream($0) }, label: "1-9", summary: "Select stream tab 1-9"),
        KeyBinding(keys: [.control("l")], actions: [.redraw], summary: "Redraw the screen"),
        KeyBinding(keys: [.character("s")], actions: [.step], summary: "Step one frame (while paused)"),
    ])
}
