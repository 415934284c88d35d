import Foundation

/// Credentials in stream URLs: `${ENV_VAR}` expansion and masking for display.
///
/// A stream file keeps its password out of the repository by naming an environment variable:
/// `url = "rtsp://admin:${CAM1_PASSWORD}@camera.local/stream1"`. Everything shown to a person
/// (dashboard header, log, error messages) goes through `mask(_:)` or `maskAll(in:secrets:)`.
public enum Credentials {
    /// What replaces a password or a secret.
    public static let maskText = "***"

    /// Why a `${…}` placeholder could not be expanded; `description` is one line and never holds a value.
    public enum ExpansionError: Error, Equatable, CustomStringConvertible {
        /// The environment has no variable of this name.
        case missingVariable(String)
        /// `${` without a valid name and closing `}`; carries the text of the bad placeholder.
        case malformedPlaceholder(String)

        public var description: String {
            switch self {
            case let .missingVariable(name):
                return "environment variable '\(name)' is not set"
            case let .malformedPlaceholder(text):
                return "malformed placeholder '\(text)' (expected ${NAME} with NAME made of letters, digits and '_')"
            }
        }
    }

    /// The result of `expand(_:environment:)`.
    public struct Expansion: Sendable, Equatable {
        /// The text with every placeholder replaced.
        public let text: String
        /// The non-empty values that were substituted, to be masked wherever they might be shown.
        public let secrets: [String]
    }

    /// Replaces each `${NAME}` in `text` with the environment's value of `NAME`.
    ///
    /// `NAME` is `[A-Za-z_][A-Za-z0-9_]*`. A `$` not followed by `{` is kept as it is.
    /// - Parameters:
    ///   - text: Text with placeholders, e.g. `rtsp://admin:${CAM1_PASSWORD}@camera.local/stream1`.
    ///   - environment: The variables (default: this process's environment).
    /// - Returns: The expanded text and the substituted values (all treated as secrets).
    /// - Throws: `ExpansionError` for the first missing variable or malformed placeholder.
    public static func expand(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ExpansionError) -> Expansion
    {
        var out = ""
        var secrets: [String] = []
        var rest = Substring(text)
        while let dollar = rest.range(of: "${") {
            out += rest[..<dollar.lowerBound]
            let afterOpen = rest[dollar.upperBound...]
            guard let close = afterOpen.firstIndex(of: "}") else {
                throw .malformedPlaceholder(String(rest[dollar.lowerBound...].prefix(40)))
            }
            let name = String(afterOpen[..<close])
            guard isVariableName(name) else {
                throw .malformedPlaceholder(String(rest[dollar.lowerBound...close]))
            }
            guard let value = environment[name] else { throw .missingVariable(name) }
            out += value
            if !value.isEmpty && !secrets.contains(value) { secrets.append(value) }
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        out += rest
        return Expansion(text: out, secrets: secrets)
    }

    /// The URL with its credentials masked.
    ///
    /// `scheme://user:secret@host/…` becomes `scheme://user:***@host/…` and `scheme://secret@host/…`
    /// becomes `scheme://***@host/…`. Text that is not such a URL (a file path, `/dev/video0`) is returned unchanged.
    /// - Parameter url: A URL or path.
    /// - Returns: The masked text.
    public static func mask(_ url: String) -> String {
        maskAll(in: url, secrets: [])
    }

    /// Masks the credentials of every `scheme://user:password@` URL inside `text`, then every listed secret.
    ///
    /// Use it on any text that may quote a URL, such as an FFmpeg error message. Secrets are replaced
    /// wherever they occur (also in their percent-encoded form), longest first.
    /// - Parameters:
    ///   - text: Arbitrary text.
    ///   - secrets: Values that must never be shown (e.g. `StreamConfig.secrets`); empty strings are ignored.
    /// - Returns: The text with credentials and secrets replaced by `***`.
    public static func maskAll(in text: String, secrets: [String]) -> String {
        var out = maskURLCredentials(in: text)
        var needles = Set<String>()
        for s in secrets where !s.isEmpty {
            needles.insert(s)
            if let encoded = s.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed), encoded != s {
                needles.insert(encoded)
            }
        }
        for needle in needles.sorted(by: { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }) {
            out = out.replacingOccurrences(of: needle, with: maskText)
        }
        return out
    }

    // MARK: - Private

    private static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || isASCIILetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || isASCIILetter($0) || ("0"..."9").contains($0) }
    }

    private static func isASCIILetter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c)
    }

    /// Characters that end a URL's authority (and so its user info) inside free text.
    private static func endsAuthority(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "/", "?", "#", "\"", "'", "<", ">", "`": return true
        default: return c.properties.isWhitespace || c.value < 0x20 || c.value == 0x7F
        }
    }

    private static func isSchemeCharacter(_ c: Unicode.Scalar) -> Bool {
        isASCIILetter(c) || ("0"..."9").contains(c) || c == "+" || c == "-" || c == "."
    }

    /// Replaces the user info of each `scheme://userinfo@` occurrence: `user:pw` → `user:***`, `token` → `***`.
    private static func maskURLCredentials(in text: String) -> String {
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var copied = 0
        while i + 2 < s.count {
            // Look for "://" preceded by a scheme that starts with a letter.
            guard s[i] == ":", s[i + 1] == "/", s[i + 2] == "/" else { i += 1; continue }
            var start = i
            while start > 0 && isSchemeCharacter(s[start - 1]) { start -= 1 }
            while start < i && !isASCIILetter(s[start]) { start += 1 }
            let authorityStart = i + 3
            guard start < i else { i = authorityStart; continue }
            var end = authorityStart
            var lastAt: Int?
            while end < s.count && !endsAuthority(s[end]) {
                if s[end] == "@" { lastAt = end }
                end += 1
            }
            if let at = lastAt, at > authorityStart {
                out.append(contentsOf: s[copied..<authorityStart])
                if let colon = s[authorityStart..<at].firstIndex(of: ":") {
                    out.append(contentsOf: s[authorityStart...colon])
                }
                out.append(contentsOf: maskText.unicodeScalars)
                copied = at
            }
            i = max(end, authorityStart)
        }
        out.append(contentsOf: s[copied...])
        return String(out)
    }
}
