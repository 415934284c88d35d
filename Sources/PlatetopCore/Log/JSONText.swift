import Foundation

/// JSON text helpers shared by the detection log, the model-file writer and the CLI's JSON lines.
public enum JSONText {
    /// A JSON string literal: quotes, backslashes and control characters escaped, and U+2028/U+2029
    /// and DEL too, so the result always stays on one line.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A JSON number with at most `digits` decimals, trailing zeros removed; `null` when not finite.
    public static func number(_ value: Double, digits: Int = 4) -> String {
        guard value.isFinite else { return "null" }
        var s = String(format: "%.\(digits)f", value)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }
}
