internal import CFFmpeg
import Foundation

/// An FFmpeg failure: the call that failed and FFmpeg's own message (`av_strerror`),
/// or the reason platetop cut the call short (a timeout or a stop request).
///
/// `description` reads `"<call>: <message>"`, for example
/// `"avformat_open_input(rtsp://user:***@cam1/live): Connection refused"`.
/// URLs in `call` always have their password masked (see ``maskCredentials(in:)``).
public struct FFmpegError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Why the call failed.
    public enum Reason: Equatable, Sendable {
        /// FFmpeg returned a negative code; the message comes from `av_strerror`.
        case library
        /// The interrupt callback cut the call short because its deadline passed.
        case timedOut(seconds: Double, waitingFor: String)
        /// The interrupt callback cut the call short because a stop was requested.
        case stopped
    }

    /// The negative FFmpeg error code (`AVERROR(...)`), e.g. `AVERROR(ENOENT)`.
    public let code: Int32
    /// The failing call, e.g. `"avformat_open_input(/tmp/a.mp4)"`; credentials masked.
    public let call: String
    /// Why it failed.
    public let reason: Reason

    /// Creates an error for a failed FFmpeg call.
    public init(code: Int32, call: String, reason: Reason = .library) {
        self.code = code
        self.call = maskCredentials(in: call)
        switch reason {
        case .timedOut(let seconds, let source):
            self.reason = .timedOut(seconds: seconds, waitingFor: maskCredentials(in: source))
        default:
            self.reason = reason
        }
    }

    /// The message without the call: FFmpeg's `av_strerror` text, or the timeout/stop text.
    public var message: String {
        switch reason {
        case .library:
            return FFmpegError.message(for: code)
        case .timedOut(let seconds, let source):
            return "timed out after \(FFmpegError.formatSeconds(seconds)) s waiting for \(source)"
        case .stopped:
            return "stopped on request"
        }
    }

    /// True when the interrupt callback's deadline passed.
    public var isTimeout: Bool {
        if case .timedOut = reason { return true }
        return false
    }

    public var description: String { "\(call): \(message)" }

    /// FFmpeg's text for an error code. Wraps `av_strerror`.
    public static func message(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(CFFmpeg_AV_ERROR_MAX_STRING_SIZE) + 64)
        let count = buffer.count
        let found = buffer.withUnsafeMutableBufferPointer { av_strerror(code, $0.baseAddress, count) }
        if found < 0 { return "FFmpeg error \(code)" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func formatSeconds(_ seconds: Double) -> String {
        if seconds == seconds.rounded() && abs(seconds) < 1e9 { return String(Int(seconds)) }
        return String(format: "%.1f", seconds)
    }
}

/// Throws an ``FFmpegError`` when `code` is negative (an FFmpeg failure); returns it otherwise.
@discardableResult
func check(_ code: Int32, _ call: @autoclosure () -> String) throws(FFmpegError) -> Int32 {
    if code < 0 { throw FFmpegError(code: code, call: call()) }
    return code
}

/// The string with the password of any `scheme://user:password@host` URL replaced by `***`.
///
/// `rtsp://admin:secret@10.0.0.5/live` becomes `rtsp://admin:***@10.0.0.5/live`;
/// `rtsp://token@host/` (no password) becomes `rtsp://***@host/`. Other text is unchanged.
public func maskCredentials(in text: String) -> String {
    var result = ""
    var rest = Substring(text)
    while let schemeRange = rest.range(of: "://") {
        result += rest[..<schemeRange.upperBound]
        rest = rest[schemeRange.upperBound...]
        // The authority ends at the first '/', '?', '#' or whitespace.
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == " " || $0 == ")" })
            ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                result += userInfo[..<colon] + ":***"
            } else {
                result += "***"
            }
            result += authority[at...]
        } else {
            result += authority
        }
        rest = rest[authorityEnd...]
    }
    result += rest
    return result
}
