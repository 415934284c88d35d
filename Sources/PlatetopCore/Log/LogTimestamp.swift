import Foundation

/// ISO 8601 timestamps with milliseconds and a numeric zone offset, e.g. `2026-11-23T12:34:56.789+01:00`.
///
/// Formatting is done by hand (days-from-civil arithmetic) so it is exact, fast and identical on every platform.
public enum LogTimestamp {
    /// The `JSONEncoder.userInfo` key whose `TimeZone` value `PlateEvent` uses for its dates (default: current).
    public static let timeZoneKey = CodingUserInfoKey(rawValue: "platetop.timeZone")!

    /// Formats `date` in `timeZone`, rounded to the millisecond.
    /// - Returns: `yyyy-MM-ddTHH:mm:ss.SSS±HH:MM` (`+00:00` for UTC, never `Z`).
    public static func string(from date: Date, timeZone: TimeZone = .current) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = floorDiv(totalMillis, 1000)
        let millis = Int(totalMillis - seconds * 1000)
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
        let local = seconds + Int64(offset)
        let days = floorDiv(local, 86_400)
        let secondOfDay = Int(local - days * 86_400)
        let (y, m, d) = civil(fromDays: days)
        let sign = offset < 0 ? "-" : "+"
        let off = abs(offset) / 60
        return "\(pad(Int(y), 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2))"
            + ":\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))\(sign)\(pad(off / 60, 2)):\(pad(off % 60, 2))"
    }

    /// The local calendar date of `date` in `timeZone` as `yyyy-MM-dd`.
    public static func dayString(from date: Date, timeZone: TimeZone = .current) -> String {
        String(string(from: date, timeZone: timeZone).prefix(10))
    }

    /// Parses `yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:MM)`.
    /// - Returns: The date, or nil when the text is not in that form.
    public static func date(from text: String) -> Date? {
        let c = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= c.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard c[i] >= 48 && c[i] <= 57 else { return nil }
                v = v * 10 + Int(c[i] - 48)
            }
            return v
        }
        guard c.count >= 20, c[4] == 45, c[7] == 45, c[10] == 84 || c[10] == 32, c[13] == 58, c[16] == 58,
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
              let s = num(17, 2), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        var fraction = 0.0
        if c[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < c.count, c[i] >= 48 && c[i] <= 57 { fraction += Double(c[i] - 48) * scale; scale /= 10; i += 1 }
            guard i > start else { return nil }
        }
        guard i < c.count else { return nil }
        var offset = 0
        if c[i] == 90 {
            i += 1
        } else if c[i] == 43 || c[i] == 45 {
            guard let oh = num(i + 1, 2), c.count > i + 3, c[i + 3] == 58, let om = num(i + 4, 2) else { return nil }
            offset = (oh * 60 + om) * 60 * (c[i] == 45 ? -1 : 1)
            i += 6
        } else { return nil }
        guard i == c.count else { return nil }
        let days = daysFromCivil(Int64(y), mo, d)
        let seconds = days * 86_400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset)
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Howard Hinnant's `civil_from_days`.
    private static func civil(fromDays z0: Int64) -> (Int64, Int, Int) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Howard Hinnant's `days_from_civil`.
    private static func daysFromCivil(_ y0: Int64, _ m: Int, _ d: Int) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
