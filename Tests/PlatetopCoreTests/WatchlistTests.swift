import Foundation
import Testing
@testable import PlatetopCore

@Suite struct WatchlistTests {
    let toml = """
    [[plate]]
    plate = "ABC1234"
    label = "stolen"

    [[plate]]
    plate = "XYZ-987"
    label = "exact only"
    max_distance = 0

    [[plate]]
    regex = "^TAXI[0-9]+$"
    label = "taxi"

    [[plate]]
    plate = "ABC1235"
    label = "neighbour"
    """

    @Test func exactFuzzyAndRegexMatches() throws {
        let w = try Watchlist(toml: toml, source: "w.toml")
        #expect(w.entries.count == 4)
        #expect(w.match("ABC1234") == "stolen")
        #expect(w.match("abc 1234") == "stolen")                      // normalised
        #expect(w.bestMatch("ABC1284") == Watchlist.Match(label: "stolen", entryIndex: 0, distance: 1))
        #expect(w.match("ABC12") == nil)                               // 2 edits
        #expect(w.match("XYZ987") == "exact only")
        #expect(w.match("XYZ981") == nil)                              // max_distance = 0
        #expect(w.match("TAXI42") == "taxi")
        #expect(w.match("TAXI") == nil)
        // An exact match beats an earlier fuzzy one.
        #expect(w.bestMatch("ABC1235") == Watchlist.Match(label: "neighbour", entryIndex: 3, distance: 0))
        #expect(w.match("") == nil)
    }

    @Test func labelDefaultsToThePlate() throws {
        let w = try Watchlist(toml: "[[plate]]\nplate = \"KLM555\"\n")
        #expect(w.match("KLM555") == "KLM555")
        #expect(try Watchlist(toml: "").entries.isEmpty)
    }

    @Test(arguments: [
        ("[[plate]]\nlabel = \"x\"\n", "w.toml: [[plate]] entry 1: needs 'plate' or 'regex'"),
        ("[[plate]]\nplate = \"A\"\n[[plate]]\nplate = \"B\"\nregex = \"B\"\n", "w.toml: [[plate]] entry 2: give 'plate' or 'regex', not both"),
        ("[[plate]]\nplate = \"A\"\nmax_distance = \"one\"\n", "w.toml: [[plate]] entry 1: 'max_distance' must be a non-negative integer"),
        ("[[plate]]\nplate = \"A\"\nmax_distance = -1\n", "w.toml: [[plate]] entry 1: 'max_distance' must be a non-negative integer"),
        ("[[plate]]\nplate = 1234\n", "w.toml: [[plate]] entry 1: 'plate' must be a string"),
        ("[[plate]]\nplate = \"A\"\nlable = \"typo\"\n", "w.toml: [[plate]] entry 1: unknown key 'lable' (allowed: plate, regex, label, max_distance)"),
        ("[[plate]]\nregex = \"[A-Z\"\n", "w.toml: [[plate]] entry 1: 'regex' invalid plate pattern '[A-Z': not a valid regular expression"),
        ("[[plate]]\nregex = \"A\"\nmax_distance = 1\n", "w.toml: [[plate]] entry 1: 'max_distance' applies only to 'plate' entries"),
        ("plates = []\n", "w.toml: unknown key 'plates' (expected [[plate]] entries)"),
        ("plate = \"ABC\"\n", "w.toml: 'plate' must be an array of tables, written [[plate]]"),
    ])
    func errorsNameFileEntryAndKey(_ input: String, _ message: String) {
        #expect(throws: Watchlist.LoadError(message)) { try Watchlist(toml: input, source: "w.toml") }
    }

    @Test func syntaxErrorsCarryLineAndColumn() {
        do {
            _ = try Watchlist(toml: "[[plate]]\nplate = \"A\"\nlabel = \n", source: "w.toml")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("w.toml:3:"))
        }
    }

    @Test func loadFromFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("watchlist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.toml").path
        try toml.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Watchlist.load(path: path).match("TAXI7") == "taxi")
        let missing = dir.appendingPathComponent("nope.toml").path
        do {
            _ = try Watchlist.load(path: missing)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("\(missing): cannot read watchlist"))
        }
    }
}
