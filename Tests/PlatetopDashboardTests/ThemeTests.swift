import Foundation
import Testing
@testable import PlatetopDashboard

@Suite("Themes")
struct ThemeTests {
    static let repoThemes: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("themes").path

    @Test("missing keys fall back to the built-in default")
    func fallback() throws {
        let t = try Theme(parsing: "conf_low = \"#0000ff\"\n", name: "x", file: "x.toml")
        #expect(t.colors[.conf_low] == .rgb(0, 0, 255))
        #expect(t.colors[.main_fg] == Theme.defaultColors[.main_fg])
        #expect(t.colors[.watchlist] == Theme.defaultColors[.watchlist])
        #expect(t.colors.count == Theme.Key.allCases.count)
        #expect(t.warnings.isEmpty)
    }

    @Test("an invalid value is an error naming file and line")
    func badValue() {
        let text = "# comment\nmain_fg = \"red\"\nconf_mid = \"#12345\"\n"
        #expect(throws: ThemeError(file: "bad.toml", line: 3,
                                   message: "invalid colour '#12345' for 'conf_mid' (use a name, 0-255, or \"#rrggbb\")")) {
            try Theme(parsing: text, name: "bad", file: "bad.toml")
        }
        do {
            _ = try Theme(parsing: "\n\ntitle = 300\n", name: "b", file: "b.toml")
            Issue.record("no error")
        } catch {
            #expect(error.description.hasPrefix("b.toml:3: invalid colour 300 for 'title'"))
        }
        do {
            _ = try Theme(parsing: "main_fg = \"red\"\nhi_fg = \n", name: "c", file: "c.toml")
            Issue.record("no error")
        } catch {
            #expect(error.file == "c.toml" && error.line == 2)
        }
        do {
            _ = try Theme(parsing: "main_fg = \"chartreuse\"\n", name: "d", file: "d.toml")
            Issue.record("no error")
        } catch {
            #expect(error.description.hasPrefix("d.toml:1: invalid colour 'chartreuse'"))
        }
    }

    @Test("unknown keys are warnings with file:line")
    func unknownKey() throws {
        let t = try Theme(parsing: "main_fg = 7\nfoo = \"red\"\n", name: "u", file: "u.toml")
        #expect(t.warnings == ["u.toml:2: unknown key 'foo'"])
        #expect(t.colors[.main_fg] == .indexed(7))
    }

    @Test("colour values: names, numbers, hex, default")
    func values() {
        #expect(ThemeColor(parsing: "brightblue") == .indexed(12))
        #expect(ThemeColor(parsing: "Bright_Red") == .indexed(9))
        #expect(ThemeColor(parsing: "red") == .indexed(1))
        #expect(ThemeColor(parsing: "208") == .indexed(208))
        #expect(ThemeColor(parsing: "#5FAFFF") == .rgb(0x5f, 0xaf, 0xff))
        #expect(ThemeColor(parsing: "") == .terminalDefault)
        #expect(ThemeColor(parsing: "256") == nil)
        #expect(ThemeColor(parsing: "#xyzxyz") == nil)
    }

    @Test("#rrggbb to xterm-256: grey ramp vs cube, whichever is nearer", arguments: [
        ("#ff0000", 196), ("#00ff00", 46), ("#0000ff", 21), ("#808080", 244), ("#ffffff", 231), ("#000000", 16),
        ("#5fafff", 75), ("#ffd75f", 221), ("#ff5f5f", 203), ("#767676", 243), ("#121212", 233), ("#fe0101", 196),
    ])
    func to256(hex: String, index: Int) {
        #expect(ThemeColor(parsing: hex)?.index(at: .xterm256) == index)
    }

    @Test("#rrggbb to 8 and 16 colours (nearest; greys stay grey)", arguments: [
        ("#ff0000", 1, 9), ("#00ff00", 2, 10), ("#808080", 7, 8), ("#303030", 0, 0), ("#5fafff", 6, 12),
        ("#ffd75f", 3, 11), ("#ffffff", 7, 15),
    ])
    func toANSI(hex: String, eight: Int, sixteen: Int) {
        #expect(ThemeColor(parsing: hex)?.index(at: .ansi8) == eight)
        #expect(ThemeColor(parsing: hex)?.index(at: .ansi16) == sixteen)
    }

    @Test("indexed colours lowered: bright to normal on 8 colours, cube to nearest")
    func indexedLowering() {
        #expect(ThemeColor.indexed(9).index(at: .ansi8) == 1)
        #expect(ThemeColor.indexed(196).index(at: .ansi8) == 1)
        #expect(ThemeColor.indexed(196).index(at: .xterm256) == 196)
        #expect(ThemeColor.indexed(196).index(at: .monochrome) == -1)
        #expect(ColorDepth(colorCount: 8) == .ansi8)
        #expect(ColorDepth(colorCount: 256) == .xterm256)
        #expect(ColorDepth(colorCount: 0) == .monochrome)
    }

    @Test("NO_COLOR gives the monochrome theme; an explicit --theme beats it")
    func noColor() throws {
        let dirs = [Self.repoThemes]
        let mono = try ThemeLoader.select(explicit: nil, environment: ["NO_COLOR": "1"], searchDirectories: dirs)
        #expect(mono.attributesOnly)
        let style = mono.style(for: .confLow, depth: .xterm256)
        #expect(style.foreground == -1 && style.background == -1)
        #expect(style.attributes == .underline)
        #expect(mono.style(for: .watchlist, depth: .xterm256).attributes == .reverse)
        let empty = try ThemeLoader.select(explicit: nil, environment: ["NO_COLOR": ""], searchDirectories: dirs)
        #expect(!empty.attributesOnly)
        let explicit = try ThemeLoader.select(explicit: "light", environment: ["NO_COLOR": "1"], searchDirectories: dirs)
        #expect(explicit.name == "light" && !explicit.attributesOnly)
        #expect(explicit.style(for: .main, depth: .xterm256).background == 231)   // #ffffff
    }

    @Test("the shipped themes load without warnings; default.toml matches the built-in default")
    func shippedThemes() throws {
        for name in ["default", "light", "high-contrast", "mono"] {
            let t = try ThemeLoader.load(name, searchDirectories: [Self.repoThemes])
            #expect(t.name == name)
            #expect(t.warnings.isEmpty, "\(name): \(t.warnings)")
        }
        let d = try ThemeLoader.load("default", searchDirectories: [Self.repoThemes])
        #expect(d.colors == Theme.builtinDefault.colors)
        #expect(try ThemeLoader.load("mono", searchDirectories: [Self.repoThemes]).attributesOnly)
        #expect(ThemeLoader.available(searchDirectories: [Self.repoThemes]).first == "default")
    }

    @Test("lookup order: XDG config first, then the executable's share dir, then the repo's themes/")
    func lookupOrder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-theme-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let xdg = root.appendingPathComponent("xdg/platetop/themes")
        let bin = root.appendingPathComponent("prefix/bin")
        let share = root.appendingPathComponent("prefix/share/platetop/themes")
        for d in [xdg, bin, share] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        try "title = \"red\"\n".write(to: share.appendingPathComponent("mine.toml"), atomically: true, encoding: .utf8)
        try "title = 2\n".write(to: share.appendingPathComponent("default.toml"), atomically: true, encoding: .utf8)
        let dirs = ThemeLoader.searchDirectories(environment: ["XDG_CONFIG_HOME": root.appendingPathComponent("xdg").path],
                                                 executablePath: bin.appendingPathComponent("platetop").path)
        #expect(dirs.count >= 2)
        #expect(dirs[0] == xdg.path)
        #expect(dirs[1] == share.path)
        #expect(try ThemeLoader.load("mine", searchDirectories: dirs).colors[.title] == .indexed(1))
        try "title = \"blue\"\n".write(to: xdg.appendingPathComponent("mine.toml"), atomically: true, encoding: .utf8)
        #expect(try ThemeLoader.load("mine", searchDirectories: dirs).colors[.title] == .indexed(4))
        #expect(throws: ThemeError.self) { try ThemeLoader.load("nope", searchDirectories: dirs) }
        // A path is used as given.
        let path = share.appendingPathComponent("mine.toml").path
        #expect(try ThemeLoader.load(path, searchDirectories: []).colors[.title] == .indexed(1))
        // The walk up from the executable finds a themes/ with default.toml.
        let walked = ThemeLoader.searchDirectories(environment: [:], executablePath: share.appendingPathComponent("x/y").path)
        #expect(walked.contains(share.path))
    }

    @Test("resolving cells: role style plus cell attributes; preview colours lowered by depth")
    func resolveCells() {
        let t = Theme.builtinDefault
        let low = t.resolve(Cell(text: "A", role: .confLow, attributes: .bold), depth: .xterm256)
        #expect(low.style.foreground == 203)   // #ff5f5f
        #expect(low.style.attributes == [.bold, .underline])
        let pixel = Cell(text: "▀", role: .main, color: CellColor(foreground: 255, background: 196))
        #expect(t.resolve(pixel, depth: .xterm256).style == ResolvedStyle(foreground: 255, background: 196, attributes: []))
        #expect(t.resolve(pixel, depth: .ansi8).style.foreground == 7)
        #expect(t.resolve(pixel, depth: .ansi8).style.background == 1)
        let mono = Theme.monochrome.resolve(Cell(text: "▀", role: .main, color: CellColor(foreground: 255, background: 255)),
                                            depth: .xterm256)
        #expect(mono.text == "█")
    }
}
