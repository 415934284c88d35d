/// Small text helpers shared by the tracker, the vote, the format rules and the watchlist.
///
/// Plates are compared as sequences of `Character`s, so a CJK province character counts as one position.
public enum PlateText {
    /// The Levenshtein distance (unit cost insert, delete, substitute) between two strings.
    /// - Parameters:
    ///   - a: One string.
    ///   - b: The other string.
    ///   - limit: When given, the computation may stop early and return any value `> limit`
    ///     once the distance is known to exceed it.
    /// - Returns: The number of single-character edits that turn `a` into `b`.
    public static func editDistance(_ a: String, _ b: String, limit: Int? = nil) -> Int {
        editDistance(Array(a), Array(b), limit: limit)
    }

    static func editDistance(_ a: [Character], _ b: [Character], limit: Int? = nil) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        if let limit, abs(a.count - b.count) > limit { return abs(a.count - b.count) }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
                rowMin = min(rowMin, current[j])
            }
            if let limit, rowMin > limit { return rowMin }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The text used for comparisons: upper-cased, with spaces, dashes, dots and middle dots removed.
    /// - Parameter text: A plate as read or as typed by a person.
    /// - Returns: The comparable form, e.g. `"abc-1234"` → `"ABC1234"`.
    public static func normalized(_ text: String) -> String {
        String(text.uppercased().filter { !$0.isWhitespace && $0 != "-" && $0 != "." && $0 != "·" && $0 != "•" })
    }

    /// One step of an alignment of `read` against a `reference`.
    enum AlignmentStep: Equatable {
        /// `read[readIndex]` sits at `reference[referenceIndex]` (equal or substituted).
        case match(referenceIndex: Int, readIndex: Int)
        /// `reference[referenceIndex]` has no counterpart in the read.
        case deletion(referenceIndex: Int)
        /// `read[readIndex]` has no counterpart in the reference; it sits before `reference[beforeReference]`
        /// (or at the end when `beforeReference == reference.count`).
        case insertion(readIndex: Int, beforeReference: Int)
    }

    /// A minimum-edit alignment of `read` to `reference`, in reference order.
    ///
    /// Ties prefer a match/substitution, then a deletion, then an insertion, so results are deterministic.
    static func align(_ reference: [Character], _ read: [Character]) -> [AlignmentStep] {
        let n = reference.count, m = read.count
        var cost = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in 0...n { cost[i][0] = i }
        for j in 0...m { cost[0][j] = j }
        if n > 0 && m > 0 {
            for i in 1...n {
                for j in 1...m {
                    cost[i][j] = min(cost[i - 1][j - 1] + (reference[i - 1] == read[j - 1] ? 0 : 1),
                                     cost[i - 1][j] + 1, cost[i][j - 1] + 1)
                }
            }
        }
        var steps: [AlignmentStep] = []
        var i = n, j = m
        while i > 0 || j > 0 {
            if i > 0 && j > 0 && cost[i][j] == cost[i - 1][j - 1] + (reference[i - 1] == read[j - 1] ? 0 : 1) {
                steps.append(.match(referenceIndex: i - 1, readIndex: j - 1)); i -= 1; j -= 1
            } else if i > 0 && cost[i][j] == cost[i - 1][j] + 1 {
                steps.append(.deletion(referenceIndex: i - 1)); i -= 1
            } else {
                steps.append(.insertion(readIndex: j - 1, beforeReference: i)); j -= 1
            }
        }
        return steps.reversed()
    }

    /// Terminal column width of `text`: 2 for East Asian wide characters, 1 otherwise.
    static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { width, scalar in
            let v = scalar.value
            if scalar.properties.generalCategory == .nonspacingMark || v == 0x200D || (0xFE00...0xFE0F).contains(v) {
                return width
            }
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
                || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
                || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
                || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
                || (0x20000...0x3FFFD).contains(v)
            return width + (wide ? 2 : 1)
        }
    }
}
