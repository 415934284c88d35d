import Foundation
import TOMLKit

/// Plates to flag, read from a TOML file of `[[plate]]` entries.
///
/// ```toml
/// [[plate]]
/// plate = "ABC1234"
/// label = "stolen"
/// max_distance = 1      # optional, default 1: edits allowed for a fuzzy match
///
/// [[plate]]
/// regex = "^TAXI[0-9]+$"
/// label = "taxi"
/// ```
/// Each entry has exactly one of `plate` or `regex`; `label` defaults to that value.
/// Texts are compared after `PlateText.normalized` (upper case, no spaces or dashes).
public struct Watchlist: Sendable, Equatable {
    /// How an entry recognises a plate.
    public enum Matcher: Sendable, Equatable {
        /// A plate number, matched within `maxDistance` edits.
        case plate(String, maxDistance: Int)
        /// A whole-text regular expression.
        case regex(PlatePattern)
    }

    /// One watched plate or pattern.
    public struct Entry: Sendable, Equatable {
        public let matcher: Matcher
        public let label: String
        public init(matcher: Matcher, label: String) {
            self.matcher = matcher
            self.label = label
        }
        /// A plate entry (`plate` is normalised).
        public static func plate(_ plate: String, label: String, maxDistance: Int = 1) -> Entry {
            Entry(matcher: .plate(PlateText.normalized(plate), maxDistance: max(0, maxDistance)), label: label)
        }
    }

    /// A successful match.
    public struct Match: Sendable, Equatable {
        public let label: String
        /// Index of the entry in `entries`.
        public let entryIndex: Int
        /// Edits between the text and the entry's plate (0 for a regex match).
        public let distance: Int
    }

    /// Why a watchlist could not be loaded; `description` is one line naming the file, entry and key.
    public struct LoadError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        public init(_ message: String) { self.message = message }
    }

    public let entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// An empty list that matches nothing.
    public static let empty = Watchlist(entries: [])

    /// The best entry for `text`: an exact plate match first, then a regex match, then the plate
    /// within its `max_distance` with the fewest edits; ties go to the earlier entry.
    /// - Parameter text: A plate text (normalised before comparing).
    /// - Returns: The match, or nil.
    public func bestMatch(_ text: String) -> Match? {
        let t = PlateText.normalized(text)
        guard !t.isEmpty else { return nil }
        var best: (rank: Int, distance: Int, index: Int)?
        for (i, e) in entries.enumerated() {
            let candidate: (Int, Int, Int)
            switch e.matcher {
            case let .plate(p, maxDistance):
                let d = PlateText.editDistance(t, p, limit: maxDistance)
                guard d <= maxDistance else { continue }
                candidate = (d == 0 ? 0 : 2, d, i)
            case let .regex(r):
                guard r.matches(t) else { continue }
                candidate = (1, 0, i)
            }
            if best == nil || (candidate.0, candidate.1) < (best!.rank, best!.distance) { best = candidate }
        }
        return best.map { Match(label: entries[$0.index].label, entryIndex: $0.index, distance: $0.distance) }
    }

    /// The label of `bestMatch(text)`, or nil.
    public func match(_ text: String) -> String? { bestMatch(text)?.label }

    /// Reads and parses a watchlist file.
    /// - Parameter path: Path of the TOML file.
    /// - Throws: `LoadError` when the file cannot be read or is not a valid watchlist.
    public static func load(path: String) throws(LoadError) -> Watchlist {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LoadError("\(path): cannot read watchlist: \(Self.reason(error))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LoadError("\(path): watchlist is not UTF-8 text")
        }
        return try Watchlist(toml: text, source: path)
    }

    /// Parses watchlist TOML.
    /// - Parameters:
    ///   - toml: The document.
    ///   - source: The file name used in error messages.
    /// - Throws: `LoadError`, e.g. `"w.toml: [[plate]] entry 2: 'max_distance' must be a non-negative integer"`.
    public init(toml: String, source: String = "watchlist") throws(LoadError) {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: toml)
        } catch let error as TOMLParseError {
            throw LoadError("\(source):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        } catch {
            throw LoadError("\(source): \(error)")
        }
        for key in table.keys where key != "plate" {
            throw LoadError("\(source): unknown key '\(key)' (expected [[plate]] entries)")
        }
        guard let value = table["plate"] else {
            self.init(entries: [])
            return
        }
        guard let array = value.array else {
            throw LoadError("\(source): 'plate' must be an array of tables, written [[plate]]")
        }
        var entries: [Entry] = []
        for (i, item) in array.enumerated() {
            let at = "\(source): [[plate]] entry \(i + 1)"
            guard let t = item.table else { throw LoadError("\(at): must be a table") }
            for key in t.keys where !["plate", "regex", "label", "max_distance"].contains(key) {
                throw LoadError("\(at): unknown key '\(key)' (allowed: plate, regex, label, max_distance)")
            }
            func string(_ key: String) throws(LoadError) -> String? {
                guard let v = t[key] else { return nil }
                guard let s = v.string else { throw LoadError("\(at): '\(key)' must be a string") }
                guard !s.trimmingCharacters(in: .whitespaces).isEmpty else { throw LoadError("\(at): '\(key)' is empty") }
                return s
            }
            let plate = try string("plate"), regex = try string("regex"), label = try string("label")
            switch (plate, regex) {
            case (nil, nil):
                throw LoadError("\(at): needs 'plate' or 'regex'")
            case (.some, .some):
                throw LoadError("\(at): give 'plate' or 'regex', not both")
            case let (.some(p), nil):
                var distance = 1
                if let v = t["max_distance"] {
                    guard let d = v.int, d >= 0 else {
                        throw LoadError("\(at): 'max_distance' must be a non-negative integer")
                    }
                    distance = d
                }
                entries.append(.plate(p, label: label ?? p, maxDistance: distance))
            case let (nil, .some(r)):
                if t["max_distance"] != nil { throw LoadError("\(at): 'max_distance' applies only to 'plate' entries") }
                do {
                    entries.append(Entry(matcher: .regex(try PlatePattern(r)), label: label ?? r))
                } catch {
                    throw LoadError("\(at): 'regex' \(error.description)")
                }
            }
        }
        self.init(entries: entries)
    }

    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return ns.localizedDescription
    }
}
