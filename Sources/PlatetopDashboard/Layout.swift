/// Where each panel goes for a terminal size: a pure function of size (lazygit boxlayout style).
///
/// Fixed rows: the header (1), stream tabs (1, only with several streams), the status line (1) and
/// the hint bar (1). Stats are a bordered box of 2 lines from 16 rows, one plain line below that;
/// the live read is a 5-row box from 16 rows, a 3-row box below. The history takes the rest.
/// The preview column appears at 100 columns and more. Below 40x12 only the too-small notice shows.
public struct Layout: Sendable, Equatable {
    public var header: Rect?
    public var tabs: Rect?
    public var stats: Rect?
    /// True when stats are one plain line (no border).
    public var statsCompact: Bool
    public var liveRead: Rect?
    /// True when the live read box shows one content line.
    public var liveCompact: Bool
    public var history: Rect?
    public var preview: Rect?
    public var status: Rect?
    public var hints: Rect?
    /// True below the minimum size: nothing but the notice is drawn.
    public var tooSmall: Bool

    /// The columns from which the preview column appears.
    public static let previewMinimumColumns = 100
    /// The rows from which stats and live read get their full boxes.
    public static let fullStatsMinimumRows = 16

    public init(header: Rect? = nil, tabs: Rect? = nil, stats: Rect? = nil, statsCompact: Bool = false,
                liveRead: Rect? = nil, liveCompact: Bool = false, history: Rect? = nil, preview: Rect? = nil,
                status: Rect? = nil, hints: Rect? = nil, tooSmall: Bool = false) {
        self.header = header; self.tabs = tabs; self.stats = stats; self.statsCompact = statsCompact
        self.liveRead = liveRead; self.liveCompact = liveCompact; self.history = history
        self.preview = preview; self.status = status; self.hints = hints; self.tooSmall = tooSmall
    }

    /// The layout for `size`.
    /// - Parameters:
    ///   - size: the terminal size in cells.
    ///   - streamCount: the number of stream tabs; a tab row appears when it is 2 or more.
    public static func compute(size: TerminalSize, streamCount: Int = 1) -> Layout {
        let cols = size.columns, rows = size.rows
        guard cols >= TerminalSize.minimum.columns, rows >= TerminalSize.minimum.rows else {
            return Layout(tooSmall: true)
        }
        var l = Layout()
        l.header = Rect(x: 0, y: 0, width: cols, height: 1)
        var top = 1
        if streamCount > 1 {
            l.tabs = Rect(x: 0, y: 1, width: cols, height: 1)
            top = 2
        }
        l.status = Rect(x: 0, y: rows - 2, width: cols, height: 1)
        l.hints = Rect(x: 0, y: rows - 1, width: cols, height: 1)
        let bodyBottom = rows - 2
        var leftWidth = cols
        if cols >= previewMinimumColumns {
            let previewWidth = cols * 2 / 5
            leftWidth = cols - previewWidth
            l.preview = Rect(x: leftWidth, y: top, width: previewWidth, height: bodyBottom - top)
        }
        let full = rows >= fullStatsMinimumRows
        l.statsCompact = !full
        l.liveCompact = !full
        let statsHeight = full ? 4 : 1
        let liveHeight = full ? 5 : 3
        l.stats = Rect(x: 0, y: top, width: leftWidth, height: statsHeight)
        l.liveRead = Rect(x: 0, y: top + statsHeight, width: leftWidth, height: liveHeight)
        let historyTop = top + statsHeight + liveHeight
        l.history = Rect(x: 0, y: historyTop, width: leftWidth, height: bodyBottom - historyTop)
        return l
    }
}
