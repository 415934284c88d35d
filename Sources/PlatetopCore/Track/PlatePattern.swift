import Foundation

/// One plate format, a regular expression that must match the whole plate text.
///
/// Stores the source string and an immutable compiled `NSRegularExpression`; the pattern is
/// implicitly anchored (`^(?:…)$`), so `[A-Z]{3}[0-9]{4}` and `^[A-Z]{3}[0-9]{4}$` are the same format.
public struct PlatePattern: Sendable, Hashable, CustomStringConvertible {
    /// Why a pattern string could not be compiled.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let pattern: String
        public let message: String
        public var description: String { "invalid plate pattern '\(pattern)': \(message)" }
    }

    /// The regular expression as given.
    public let source: String
    private let compiled: CompiledRegex

    /// Compiles `source` (ICU / `NSRegularExpression` syntax).
    /// - Parameter source: A regular expression for the whole plate text.
    /// - Throws: `PlatePattern.Invalid` when the expression does not compile or is empty.
    public init(_ source: String) throws(Invalid) {
        guard !source.isEmpty else { throw Invalid(pattern: source, message: "empty pattern") }
        do {
            compiled = CompiledRegex(try NSRegularExpression(pattern: "^(?:" + source + ")$", options: []))
        } catch {
            throw Invalid(pattern: source, message: "not a valid regular expression")
        }
        self.source = source
    }

    /// Whether the whole of `text` matches the pattern.
    public func matches(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return compiled.regex.firstMatch(in: text, options: [], range: range) != nil
    }

    public var description: String { source }
    public static func == (a: PlatePattern, b: PlatePattern) -> Bool { a.source == b.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

/// @unchecked Sendable: the wrapped `NSRegularExpression` is immutable after init and documented thread-safe.
private final class CompiledRegex: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ regex: NSRegularExpression) { self.regex = regex }
}
