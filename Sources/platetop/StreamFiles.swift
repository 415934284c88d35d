import ArgumentParser
import Foundation
import PlatetopCore
import TOMLKit

/// Turns a command-line stream argument (URL, file, or stream .toml) into a `StreamSpec`.
enum StreamFiles {
    static func spec(for argument: String, allowLive: Bool) throws -> StreamSpec {
        if argument.lowercased().hasSuffix(".toml") {
            return try load(toml: argument)
        }
        if StreamSpec.isLive(argument) {
            guard allowLive else { throw ValidationError("'\(argument)' is a live stream: use platetop watch") }
            return StreamSpec(name: hostName(argument), url: argument, displayURL: maskURL(argument))
        }
        guard FileManager.default.fileExists(atPath: argument) else {
            throw RuntimeFailure("cannot open '\(argument)': No such file or directory")
        }
        // A stream file beside the video (demo.mp4 + demo.toml) describes it.
        let sibling = (argument as NSString).deletingPathExtension + ".toml"
        if FileManager.default.fileExists(atPath: sibling), var spec = try? load(toml: sibling),
           URL(fileURLWithPath: spec.url).standardized.path == URL(fileURLWithPath: argument).standardized.path {
            spec.url = argument
            spec.displayURL = argument
            return spec
        }
        let stem = ((argument as NSString).lastPathComponent as NSString).deletingPathExtension
        return StreamSpec(name: stem, url: argument, displayURL: argument)
    }

    static func hostName(_ url: String) -> String {
        if let u = URL(string: url), let host = u.host { return host }
        return (url as NSString).lastPathComponent
    }

    /// `scheme://user:secret@host` → `scheme://user:***@host`.
    static func maskURL(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return url }
        let userinfo = authority[..<at]
        let masked: String
        if let colon = userinfo.firstIndex(of: ":") {
            masked = String(userinfo[..<colon]) + ":***"
        } else {
            masked = "***"
        }
        return String(url[..<schemeEnd.upperBound]) + masked + String(rest[at...])
    }

    /// Minimal stream-file loader (name, url, roi, expected_plates, and tracking keys).
    static func load(toml path: String) throws -> StreamSpec {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RuntimeFailure("cannot open '\(path)': No such file or directory")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch { throw RuntimeFailure("\(path): invalid TOML: \(error)") }
        guard let url = table["url"]?.string else { throw RuntimeFailure("\(path): key 'url': missing") }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        let resolved = url.contains("://") || url.hasPrefix("/") ? url : base.appendingPathComponent(url).path
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var spec = StreamSpec(name: table["name"]?.string ?? stem, url: resolved, displayURL: maskURL(resolved))
        if let r = table["roi"]?.string {
            do { spec.roi = try RegionOfInterest(parsing: r) } catch { throw RuntimeFailure("\(path): key 'roi': \(error.message)") }
        }
        spec.expectedPlates = table["expected_plates"]?.array?.compactMap { $0.string } ?? []
        return spec
    }
}
