/// Plate formats plus the repair of letter/digit confusions that a format proves wrong.
///
/// When a read matches no pattern, the rules try replacing confusable characters
/// (O↔0, I↔1, B↔8, S↔5, Z↔2, G↔6, D→0, Q→0, and 0→O/D/Q) with the fewest substitutions
/// (at most `maxSubstitutions`) that make the whole text match some pattern.
/// Because the smallest working set is taken, every substitution made is necessary: a character
/// that the pattern already accepts at its position is never changed
/// (`[A-Z]{3}[0-9][A-Z0-9][0-9]{2}` keeps the `O` of `ABC1O23` but turns `AB01234` into `ABO1234`).
public struct FormatRules: Sendable, Equatable {
    /// One character replaced by the repair.
    public struct Substitution: Sendable, Equatable, Codable {
        /// Character index in the text (Characters, not bytes).
        public let position: Int
        public let from: String
        public let to: String
        public init(position: Int, from: String, to: String) {
            self.position = position; self.from = from; self.to = to
        }
    }

    /// The outcome of `apply(to:)`.
    public struct Result: Sendable, Equatable {
        /// The text after repair (equal to `raw` when nothing was changed).
        public let text: String
        /// The text as read.
        public let raw: String
        /// The pattern the final text matches, nil when it matches none (or there are no patterns).
        public let matchedPattern: String?
        /// The changes made, in position order; empty when `text == raw`.
        public let substitutions: [Substitution]
        /// Whether a substitution was made.
        public var corrected: Bool { !substitutions.isEmpty }
    }

    /// The accepted formats, in order of preference.
    public let patterns: [PlatePattern]
    /// Largest number of characters the repair may change.
    public let maxSubstitutions: Int

    /// No formats: every read is accepted as it is.
    public static let none = FormatRules(patterns: [])

    /// Characters each confusable character may be replaced with, most likely first.
    public static let confusions: [Character: [Character]] = [
        "O": ["0"], "0": ["O", "D", "Q"], "I": ["1"], "1": ["I"], "B": ["8"], "8": ["B"],
        "S": ["5"], "5": ["S"], "Z": ["2"], "2": ["Z"], "G": ["6"], "6": ["G"], "D": ["0"], "Q": ["0"],
    ]

    public init(patterns: [PlatePattern], maxSubstitutions: Int = 3) {
        self.patterns = patterns
        self.maxSubstitutions = max(0, maxSubstitutions)
    }

    /// Compiles each string with `PlatePattern.init`.
    /// - Throws: `PlatePattern.Invalid` for the first pattern that does not compile.
    public init(patternStrings: [String], maxSubstitutions: Int = 3) throws(PlatePattern.Invalid) {
        var compiled: [PlatePattern] = []
        for s in patternStrings { compiled.append(try PlatePattern(s)) }
        self.init(patterns: compiled, maxSubstitutions: maxSubstitutions)
    }

    /// The first pattern that `text` matches as it is.
    public func firstMatch(_ text: String) -> PlatePattern? {
        patterns.first { $0.matches(text) }
    }

    /// Checks `text` against the formats and repairs letter/digit confusions if that makes it match.
    ///
    /// Search order: fewer substitutions first; for the same number, earlier positions first and each
    /// character's replacements in `confusions` order; the first pattern (in `patterns` order) that matches wins.
    /// - Parameter text: The text as read.
    /// - Returns: The repaired text with the raw text kept; unchanged when there are no patterns,
    ///   the text already matches, or no repair within `maxSubstitutions` matches.
    public func apply(to text: String) -> Result {
        if patterns.isEmpty { return Result(text: text, raw: text, matchedPattern: nil, substitutions: []) }
        if let p = firstMatch(text) { return Result(text: text, raw: text, matchedPattern: p.source, substitutions: []) }
        let chars = Array(text)
        let positions = chars.indices.filter { Self.confusions[chars[$0]] != nil }
        let limit = min(maxSubstitutions, positions.count)
        guard limit > 0 else { return Result(text: text, raw: text, matchedPattern: nil, substitutions: []) }
        for size in 1...limit {
            var found: Result?
            forEachSubset(of: positions, size: size) { subset in
                forEachReplacement(chars, subset) { candidate in
                    let s = String(candidate)
                    guard let p = firstMatch(s) else { return false }
                    let subs = subset.map { Substitution(position: $0, from: String(chars[$0]), to: String(candidate[$0])) }
                    found = Result(text: s, raw: text, matchedPattern: p.source, substitutions: subs)
                    return true
                }
            }
            if let found { return found }
        }
        return Result(text: text, raw: text, matchedPattern: nil, substitutions: [])
    }

    /// Calls `body` with each `size`-element subset of `items` in lexicographic order until it returns true.
    private func forEachSubset(of items: [Int], size: Int, _ body: ([Int]) -> Bool) {
        var idx = Array(0..<size)
        while true {
            if body(idx.map { items[$0] }) { return }
            var k = size - 1
            while k >= 0 && idx[k] == items.count - size + k { k -= 1 }
            if k < 0 { return }
            idx[k] += 1
            for r in (k + 1)..<size { idx[r] = idx[r - 1] + 1 }
        }
    }

    /// Calls `body` with every combination of replacements at `positions` until it returns true.
    /// Returns true when `body` did.
    @discardableResult
    private func forEachReplacement(_ chars: [Character], _ positions: [Int], _ body: ([Character]) -> Bool) -> Bool {
        var candidate = chars
        func visit(_ k: Int) -> Bool {
            if k == positions.count { return body(candidate) }
            for r in Self.confusions[chars[positions[k]]] ?? [] {
                candidate[positions[k]] = r
                if visit(k + 1) { return true }
            }
            candidate[positions[k]] = chars[positions[k]]
            return false
        }
        return visit(0)
    }
}
