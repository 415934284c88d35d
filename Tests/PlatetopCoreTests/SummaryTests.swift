import Foundation
import Testing
@testable import PlatetopCore

@Suite struct SummaryTests {
    let utc = TimeZone(secondsFromGMT: 0)!

    var events: [PlateEvent] {
        [
            sampleEvent(id: "cam-000001", text: "ABC1234", at: 0, confidence: 0.87, watchlist: "stolen"),
            sampleEvent(id: "cam-000002", text: "京A12345", at: 30, confidence: 0.5),
            sampleEvent(id: "cam-000003", text: "ABC1234", at: 400, confidence: 0.934),
            sampleEvent(id: "cam-000004", text: "X,\"Y\"", at: 500, confidence: 0.25),
        ]
    }
    let resightings = ["cam-000003": PlateTracker.Resightings(count: 2, lastSeen: trackEpoch.addingTimeInterval(460), lastPts: 0)]

    @Test func tableIsAlignedAndDeduplicated() {
        let s = ExitSummary(events: events, resightings: resightings)
        #expect(s.rows.map(\.plate) == ["ABC1234", "京A12345", "X,\"Y\""])
        #expect(s.rows[0].sightings == 4 && s.rows[0].events == 2 && s.rows[0].reads == 20)
        #expect(s.suppressedSightings == 2)
        let expected = """
        PLATE     SEEN  READS  BEST  FIRST SEEN           LAST SEEN            WATCHLIST
        ABC1234      4     20  0.93  2026-11-23 12:34:56  2026-11-23 12:42:36  stolen
        京A12345     1     10  0.50  2026-11-23 12:35:26  2026-11-23 12:35:26
        X,"Y"        1     10  0.25  2026-11-23 12:43:16  2026-11-23 12:43:16
        3 plates, 6 sightings (4 events, 2 repeats suppressed)

        """
        #expect(s.table(timeZone: utc) == expected)
    }

    @Test func csvIsExact() {
        let s = ExitSummary(events: events, resightings: resightings)
        let expected = #"""
        plate,streams,sightings,events,reads,best_confidence,first_seen,last_seen,watchlist
        ABC1234,cam,4,2,20,0.934,2026-11-23T12:34:56.000+00:00,2026-11-23T12:42:36.000+00:00,stolen
        京A12345,cam,1,1,10,0.500,2026-11-23T12:35:26.000+00:00,2026-11-23T12:35:26.900+00:00,
        "X,""Y""",cam,1,1,10,0.250,2026-11-23T12:43:16.000+00:00,2026-11-23T12:43:16.900+00:00,

        """#
        #expect(s.csv(timeZone: utc) == expected)
        #expect(s.dump(.csv, timeZone: utc) == expected)
    }

    @Test func jsonIsAnArrayOfRows() throws {
        let s = ExitSummary(events: events, resightings: resightings)
        let array = try #require(try JSONSerialization.jsonObject(with: Data(s.json(timeZone: utc).utf8)) as? [[String: Any]])
        #expect(array.count == 3)
        #expect(array[0]["plate"] as? String == "ABC1234")
        #expect(array[0]["sightings"] as? Int == 4)
        #expect(array[0]["best_confidence"] as? Double == 0.934)
        #expect(array[0]["watchlist"] as? String == "stolen")
        #expect(array[1]["watchlist"] is NSNull)
        #expect(array[2]["last_seen"] as? String == "2026-11-23T12:43:16.900+00:00")
    }

    @Test func emptyAndMultiStream() throws {
        #expect(ExitSummary(events: []).table() == "No plates detected.\n")
        let two = ExitSummary(events: [sampleEvent(), sampleEvent(id: "gate-000001", text: "ZZ9", stream: "gate", at: 5)])
        let table = two.table(timeZone: utc)
        #expect(table.hasPrefix("PLATE    STREAM  SEEN"))
        #expect(table.contains("\nZZ9      gate       1"))
    }

    @Test func writesDumpFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("summary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = ExitSummary(events: events)
        let path = dir.appendingPathComponent("out/summary.csv").path
        try s.write(.csv, to: path, timeZone: utc)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == s.csv(timeZone: utc))
    }
}

/// `--dump`: the whole session, one row per event (not the deduplicated summary).
@Suite struct SessionDumpTests {
    let utc = TimeZone(secondsFromGMT: 0)!

    var events: [PlateEvent] {
        [
            sampleEvent(id: "cam-000001", text: "ABC1234", at: 0, confidence: 0.87, watchlist: "stolen"),
            sampleEvent(id: "cam-000002", text: "ABC1234", at: 400, confidence: 0.5),
            sampleEvent(id: "cam-000003", text: "X,\"Y\"", at: 500, confidence: 0.25),
        ]
    }

    @Test func csvHasOneQuotedRowPerEvent() {
        let lines = SessionDump.csv(events, timeZone: utc).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == SessionDump.csvHeader)
        #expect(lines.count == 1 + 3 + 1)  // header, three events, final empty string after the last newline
        #expect(lines[1].hasPrefix("cam-000001,cam,ABC1234,"))
        #expect(lines[1].contains(",2026-11-23T12:34:56.000+00:00,") && lines[1].contains(",stolen,"))
        #expect(lines[2].hasPrefix("cam-000002,cam,ABC1234,"))  // the same plate twice: both events kept
        #expect(lines[3].hasPrefix(#"cam-000003,cam,"X,""Y""","#))
    }

    @Test func jsonIsAnArrayOfLogObjects() throws {
        let text = SessionDump.json(events, timeZone: utc)
        let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        #expect(array?.map { $0["id"] as? String } == ["cam-000001", "cam-000002", "cam-000003"])
        #expect(array?[0]["watchlist"] as? String == "stolen")
        #expect(SessionDump.json([], timeZone: utc) == "[]\n")
    }
}
