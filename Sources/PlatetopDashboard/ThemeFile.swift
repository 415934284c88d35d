import Foundation
import TOMLKit

/// A theme file that cannot be used: the file, the line, and what is wrong (`file:line: message`).
public struct ThemeError: Error, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the problem is not tied to a line (missing file).
    public var line: Int
    public var message: String
    public init(file: String, line: Int, message: String) { self.file = file; self.line = line; self.message = message }
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

extension Theme {
    /// Parses a theme file's text. Missing keys fall back to the built-in default; unknown keys become
    /// `warnings`; `attributes_only = true` makes a monochrome theme.
    /// - Parameters:
    ///   - text: the TOML text.
    ///   - name: the theme's name (the file name without `.toml`).
    ///   - file: the path used in messages.
    /// - Throws: `ThemeError` with the file and line for a syntax error or an invalid colour.
    public init(parsing text: String, name: String, file: String) throws(ThemeError) {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ThemeError(file: file, line: e.source.begin.line, message: "invalid TOML: \(e.description)")
        } catch {
            throw ThemeError(file: file, line: 0, message: "invalid TOML: \(error)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func lineOf(_ key: String) -> Int {
            for (i, l) in lines.enumerated() {
                let t = l.trimmingSpaces
                for candidate in [key, "\"\(key)\"", "'\(key)'"] where t.hasPrefix(candidate) {
                    let rest = t.dropFirst(candidate.count).drop { $0 == " " || $0 == "\t" }
                    if rest.first == "=" { return i + 1 }
                }
                if t == "[\(key)]" { return i + 1 }
            }
            return 0
        }
        var colors: [Key: ThemeColor] = [:]
        var warnings: [String] = []
        var attributesOnly = false
        var themeName = name
        for key in table.keys.sorted(by: { lineOf($0) < lineOf($1) }) {
            guard let value = table[key] else { continue }
            let line = lineOf(key)
            let here = line > 0 ? "\(file):\(line)" : file
            if key == "attributes_only" {
                guard let b = value.bool else {
                    throw ThemeError(file: file, line: line, message: "'attributes_only' must be true or false")
                }
                attributesOnly = b
                continue
            }
            if key == "name" {
                guard let s = value.string else {
                    throw ThemeError(file: file, line: line, message: "'name' must be a string")
                }
                themeName = s
                continue
            }
            guard let k = Key(rawValue: key) else {
                warnings.append("\(here): unknown key '\(key)'")
                continue
            }
            var parsed: ThemeColor?
            var shown = ""
            if let s = value.string {
                parsed = ThemeColor(parsing: s); shown = "'\(s)'"
            } else if let i = value.int {
                parsed = (0...255).contains(i) ? .indexed(UInt8(i)) : nil; shown = "\(i)"
            } else {
                shown = "a \(value.type)"
            }
            guard let color = parsed else {
                throw ThemeError(file: file, line: line,
                                 message: "invalid colour \(shown) for '\(key)' (use a name, 0-255, or \"#rrggbb\")")
            }
            colors[k] = color
        }
        self.init(name: themeName, colors: colors, attributesOnly: attributesOnly, source: file, warnings: warnings)
    }

    /// Loads a theme file.
    /// - Throws: `ThemeError` when the file cannot be read or is invalid.
    public static func load(path: String) throws(ThemeError) -> Theme {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ThemeError(file: path, line: 0, message: "cannot read theme file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ThemeError(file: path, line: 0, message: "theme file is not UTF-8")
        }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try Theme(parsing: text, name: name, file: path)
    }
}

/// Finds and loads themes by name or path, in btop's search order.
public enum ThemeLoader {
    /// The directories searched for `NAME.toml`, in order: `$XDG_CONFIG_HOME/platetop/themes`
    /// (or `~/.config/platetop/themes`), `<exe>/../share/platetop/themes`, then the first `themes/`
    /// holding `default.toml` found walking up from the executable (the repository's, in a checkout).
    /// - Parameters:
    ///   - environment: the process environment.
    ///   - executablePath: the running executable (default: `/proc/self/exe`, else `argv[0]`).
    public static func searchDirectories(environment: [String: String] = ProcessInfo.processInfo.environment,
                                         executablePath: String? = nil) -> [String] {
        var dirs: [String] = []
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            dirs.append(xdg + "/platetop/themes")
        } else if let home = environment["HOME"], !home.isEmpty {
            dirs.append(home + "/.config/platetop/themes")
        }
        let exe = executablePath ?? currentExecutablePath()
        if let exe, !exe.isEmpty {
            let exeDir = (URL(fileURLWithPath: exe).standardizedFileURL.deletingLastPathComponent())
            dirs.append(exeDir.deletingLastPathComponent().appendingPathComponent("share/platetop/themes").path)
            var dir = exeDir
            while true {
                let candidate = dir.appendingPathComponent("themes")
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("default.toml").path) {
                    dirs.append(candidate.path)
                    break
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path || dir.path == "/" { break }
                dir = parent
            }
        }
        return dirs
    }

    static func currentExecutablePath() -> String? {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return CommandLine.arguments.first
    }

    /// The file for `nameOrPath`: an existing path as given (anything with `/` or ending in `.toml`),
    /// else the first `<dir>/<name>.toml` in `searchDirectories`.
    public static func locate(_ nameOrPath: String, searchDirectories: [String]) -> String? {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            return FileManager.default.fileExists(atPath: nameOrPath) ? nameOrPath : nil
        }
        for dir in searchDirectories {
            let p = dir + "/" + nameOrPath + ".toml"
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    /// Loads a theme by name or path. `default` and `mono` fall back to the built-in themes when no file is found.
    /// - Throws: `ThemeError` for an unknown name, a missing path or an invalid file.
    public static func load(_ nameOrPath: String, searchDirectories: [String]) throws(ThemeError) -> Theme {
        if let path = locate(nameOrPath, searchDirectories: searchDirectories) { return try Theme.load(path: path) }
        if nameOrPath == "default" { return .builtinDefault }
        if nameOrPath == "mono" { return .monochrome }
        let looked = searchDirectories.isEmpty ? "" : " (looked in \(searchDirectories.joined(separator: ", ")))"
        throw ThemeError(file: nameOrPath, line: 0, message: "no such theme\(looked)")
    }

    /// The theme to start with: an explicit `--theme` wins; otherwise a non-empty `NO_COLOR` gives the
    /// monochrome theme; otherwise `default` from the search directories (or the built-in default).
    /// - Throws: `ThemeError` only for an explicit theme that cannot be loaded, or an invalid `default.toml`.
    public static func select(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                              searchDirectories: [String]) throws(ThemeError) -> Theme {
        if let explicit, !explicit.isEmpty { return try load(explicit, searchDirectories: searchDirectories) }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .monochrome }
        return try load("default", searchDirectories: searchDirectories)
    }

    /// The theme names found in `searchDirectories` (file names without `.toml`), sorted, `default` first.
    public static func available(searchDirectories: [String]) -> [String] {
        var names = Set<String>()
        for dir in searchDirectories {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where f.hasSuffix(".toml") {
                names.insert(String(f.dropLast(5)))
            }
        }
        return names.sorted { a, b in a == "default" ? b != "default" : (b == "default" ? false : a < b) }
    }

    /// The themes `t` cycles through: `first`, then every other loadable theme found (broken files skipped).
    public static func cycle(startingWith first: Theme, searchDirectories: [String]) -> [Theme] {
        var themes = [first]
        var names = available(searchDirectories: searchDirectories)
        for builtin in ["default", "mono"] where !names.contains(builtin) { names.append(builtin) }
        for name in names where name != first.name {
            if let t = try? load(name, searchDirectories: searchDirectories) { themes.append(t) }
        }
        return themes
    }
}
