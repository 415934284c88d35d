import Foundation
import Testing
import PlatetopDashboard

/// The README's keys section is `Keymap.standard.markdownTable()` verbatim (regenerate with `platetop keys`).
struct ReadmeKeysTests {
    static let readmePath: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("README.md").path
    }()

    @Test func readmeKeysTableMatchesKeymap() throws {
        let expected = Keymap.standard.markdownTable()
        guard let readme = try? String(contentsOfFile: Self.readmePath, encoding: .utf8) else {
            Issue.record("README.md not found at \(Self.readmePath)")
            return
        }
        let begin = "<!-- keys:begin -->", end = "<!-- keys:end -->"
        guard let b = readme.range(of: begin), let e = readme.range(of: end, range: b.upperBound..<readme.endIndex) else {
            Issue.record("README.md lacks the markers \(begin) ... \(end) around the keys table; put this between them:\n\(expected)")
            return
        }
        var section = String(readme[b.upperBound..<e.lowerBound])
        while section.hasPrefix("\n") { section.removeFirst() }
        while section.hasSuffix("\n\n") { section.removeLast() }
        #expect(section == expected, "README keys table differs from Keymap.standard.markdownTable(); regenerate it with `platetop keys`. Expected:\n\(expected)")
        // A sanity value a broken generator would get wrong.
        #expect(section.hasPrefix("| Key | Action |\n|---|---|\n| `q`, `Ctrl-C` |"))
    }
}
