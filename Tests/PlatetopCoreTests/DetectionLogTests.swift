import Foundation
import Synchronization
import Testing
@testable import PlatetopCore

func sampleEvent(id: String = "cam-000001", text: String = "ABC1234", stream: String = "cam", at offset: Double = 0.789,
                 confidence: Float = 0.9, watchlist: String? = nil, crop: PixelImage? = nil) -> PlateEvent {
    PlateEvent(id: id, stream: stream, text: text, rawText: text == "ABO1234" ? "AB01234" : text, confidence: confidence,
               characterConfidences: [Float](repeating: confidence, count: text.count),
               candidates: [VoteCandidate(text: text, votes: 6, totalConfidence: 5.4),
                            VoteCandidate(text: "ABC1284", votes: 4, totalConfidence: 2.4)],
               sightings: 10, firstPts: 12.5, lastPts: 13.4, firstFrame: 125, lastFrame: 134,
               firstSeen: trackEpoch.addingTimeInterval(offset), lastSeen: trackEpoch.addingTimeInterval(offset + 0.9),
               box: roiBox, watchlistLabel: watchlist, cropPath: nil,
               bestRead: makeRead(text, confidence), bestCrop: crop)
}

private func tempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-log-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct DetectionLogTests {
    let utc = TimeZone(secondsFromGMT: 0)!

    @Test func timestampsHaveMillisecondsAndOffset() {
        let d = trackEpoch.addingTimeInterval(0.789)
        #expect(LogTimestamp.string(from: d, timeZone: utc) == "2026-11-23T12:34:56.789+00:00")
        #expect(LogTimestamp.string(from: d, timeZone: TimeZone(secondsFromGMT: 5 * 3600 + 1800)!) == "2026-11-23T18:04:56.789+05:30")
        #expect(LogTimestamp.string(from: d, timeZone: TimeZone(secondsFromGMT: -8 * 3600)!) == "2026-11-23T04:34:56.789-08:00")
        #expect(LogTimestamp.string(from: Date(timeIntervalSince1970: -0.5), timeZone: utc) == "1969-12-31T23:59:59.500+00:00")
        #expect(LogTimestamp.string(from: Date(timeIntervalSince1970: 951_782_400), timeZone: utc) == "2000-02-29T00:00:00.000+00:00")
        for s in ["2026-11-23T18:04:56.789+05:30", "2026-11-23T12:34:56.789Z", "2026-11-23T12:34:56.789+00:00"] {
            let parsed = LogTimestamp.date(from: s)
            #expect(parsed.map { abs($0.timeIntervalSince(d)) < 1e-6 } == true, "\(s)")
        }
        #expect(LogTimestamp.date(from: "2026-11-23 12:34") == nil)
        #expect(LogTimestamp.date(from: "2026-13-23T12:34:56+00:00") == nil)
    }

    @Test func lineHasTheDocumentedFields() throws {
        let line = DetectionLog.encodeLine(sampleEvent(watchlist: "stolen"), timeZone: TimeZone(secondsFromGMT: 3600)!)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["id", "stream", "text", "raw_text", "confidence", "char_confidences", "candidates",
                                     "sightings", "first_pts", "last_pts", "first_frame", "last_frame", "first_seen",
                                     "last_seen", "watchlist", "crop", "box", "best_read"])
        #expect(object["id"] as? String == "cam-000001")
        #expect(object["first_seen"] as? String == "2026-11-23T13:34:56.789+01:00")
        #expect(object["watchlist"] as? String == "stolen")
        #expect(object["crop"] is NSNull)
        #expect((object["box"] as? [Int]) == [640, 400, 320, 120])
        #expect((object["confidence"] as? Double) == 0.9)
        let candidates = try #require(object["candidates"] as? [[String: Any]])
        #expect(candidates.map { $0["votes"] as? Int } == [6, 4])
        #expect(candidates.map { $0["confidence"] as? Double } == [0.9, 0.6])
        #expect(line.hasPrefix("{\"id\":\"cam-000001\",\"stream\":\"cam\",\"text\":\"ABC1234\""))
    }

    @Test func writeReadRoundTripAndAppendAcrossReopen() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("nested/deeper/log.jsonl").path   // parent folders are created
        let log = try DetectionLog(path: path, timeZone: utc)
        let a = sampleEvent(), b = sampleEvent(id: "cam-000002", text: "ABO1234", at: 60, watchlist: "stolen")
        try log.append(a)
        try log.append(b)
        #expect(log.eventsWritten == 2)
        log.close()
        #expect(throws: DetectionLog.Failure.self) { try log.append(a) }

        let reopened = try DetectionLog(path: path, timeZone: TimeZone(secondsFromGMT: 7200)!)
        try reopened.append(sampleEvent(id: "cam-000003", at: 120))
        reopened.close()

        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 3 && text.hasSuffix("\n"))
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any]) }
        #expect(lines[2].contains("+02:00"))

        let events = try DetectionLog.readEvents(path: path)
        #expect(events.map(\.id) == ["cam-000001", "cam-000002", "cam-000003"])
        let back = events[1]
        #expect(back.text == "ABO1234" && back.rawText == "AB01234")
        #expect(back.watchlistLabel == "stolen")
        #expect(abs(back.firstSeen.timeIntervalSince(b.firstSeen)) < 0.0005)
        #expect(abs(back.lastSeen.timeIntervalSince(b.lastSeen)) < 0.0005)
        #expect(back.box == b.box && back.sightings == 10 && back.firstPts == 12.5 && back.lastFrame == 134)
        #expect(back.candidates.map(\.votes) == [6, 4])
        #expect(abs(back.candidates[1].meanConfidence - 0.6) < 1e-9)
        #expect(back.bestRead.text == "ABO1234" && back.bestRead.characters.count == 7)
        #expect(back.characterConfidences == b.characterConfidences)
        #expect(abs(events[2].firstSeen.timeIntervalSince(trackEpoch) - 120) < 0.0005)
        #expect(DetectionLog.lastSequence(path: path, stream: "cam") == 3)
        #expect(DetectionLog.lastSequence(path: path, stream: "other") == 0)
    }

    @Test func cropIsSavedNextToTheLogAndRecorded() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("platetop-2026-11-23-cam.jsonl").path
        let saved = Mutex<[String]>([])
        let log = try DetectionLog(path: path, timeZone: utc) { image, cropPath in
            try Data(image.pixels).write(to: URL(fileURLWithPath: cropPath))
            saved.withLock { $0.append(cropPath) }
        }
        let crop = PixelImage(width: 2, height: 2, format: .gray8, fill: 7)
        let written = try log.append(sampleEvent(crop: crop))
        let expected = dir.appendingPathComponent("platetop-2026-11-23-cam-crops/cam-000001.png").path
        #expect(written.cropPath == expected)
        #expect(saved.withLock { $0 } == [expected])
        #expect(FileManager.default.contents(atPath: expected) == Data([7, 7, 7, 7]))
        try log.append(sampleEvent(id: "cam-000002"))              // no crop: nothing saved
        #expect(try DetectionLog.readEvents(path: path).map(\.cropPath) == [expected, nil])
    }

    @Test func aFailedCropStillLogsTheEvent() throws {
        struct Broken: Error {}
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("log.jsonl").path
        let log = try DetectionLog(path: path, timeZone: utc) { _, _ in throw Broken() }
        let written = try log.append(sampleEvent(crop: PixelImage(width: 1, height: 1, format: .gray8)))
        #expect(written.cropPath == nil)
        #expect(log.cropFailures == 1)
        #expect(log.lastCropError?.contains("log-crops/cam-000001.png") == true)
        #expect(try DetectionLog.readEvents(path: path).count == 1)
    }

    @Test func tornLastLineIsSkippedButCorruptionIsReported() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("log.jsonl").path
        let good = DetectionLog.encodeLine(sampleEvent(), timeZone: utc)
        try (good + "\n\n" + good.prefix(40)).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try DetectionLog.readEvents(path: path).count == 1)
        try (good + "\n{\"id\":1}\n" + good + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DetectionLog.Failure("\(path):2: not a plate event: wrong type at 'id'")) {
            try DetectionLog.readEvents(path: path)
        }
    }

    @Test func unwritableLocationFailsWithTheFileName() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let blocker = dir.appendingPathComponent("file")
        try Data().write(to: blocker)
        do {
            _ = try DetectionLog(path: blocker.appendingPathComponent("log.jsonl").path)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains(blocker.path))
        }
    }

    @Test func defaultPathUsesLocalDateAndSafeStreamName() {
        let date = Date(timeIntervalSince1970: 1_795_478_400 - 1800)   // 2026-11-23T23:30Z
        #expect(DetectionLog.defaultPath(stream: "cam1", date: date, timeZone: utc) == "platetop-2026-11-23-cam1.jsonl")
        #expect(DetectionLog.defaultPath(stream: "gate/north cam", date: date, timeZone: TimeZone(secondsFromGMT: 3600)!)
                == "platetop-2026-11-24-gate_north_cam.jsonl")
    }
}

@Suite struct DetectionLogCodableTests {
    @Test func codableFormMatchesTheLogLine() throws {
        let event = sampleEvent(watchlist: "stolen")
        let encoder = JSONEncoder()
        encoder.userInfo[LogTimestamp.timeZoneKey] = TimeZone(secondsFromGMT: 0)!
        let viaCodable = try JSONSerialization.jsonObject(with: encoder.encode(event)) as? NSDictionary
        let viaLine = try JSONSerialization.jsonObject(with: Data(DetectionLog.encodeLine(event, timeZone: TimeZone(secondsFromGMT: 0)!).utf8)) as? NSDictionary
        #expect(viaCodable != nil && viaCodable == viaLine)
        let back = try JSONDecoder().decode(PlateEvent.self, from: encoder.encode(event))
        #expect(back.id == event.id && back.text == event.text && back.box == event.box && back.watchlistLabel == "stolen")
        #expect(back.bestCrop == nil)
    }

    @Test func stringsAreEscaped() throws {
        let event = sampleEvent(text: "A\"B\\C\n\u{1}", watchlist: "tab\there")
        let line = DetectionLog.encodeLine(event, timeZone: TimeZone(secondsFromGMT: 0)!)
        #expect(!line.contains("\n"))
        let back = try JSONDecoder().decode(PlateEvent.self, from: Data(line.utf8))
        #expect(back.text == "A\"B\\C\n\u{1}")
        #expect(back.watchlistLabel == "tab\there")
    }
}

@Suite struct DetectionLogPipelineTests {
    /// Tracker → log → re-read → summary: every emitted event is on disk and summarised.
    @Test func trackerEventsSurviveTheLog() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-pipe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let utc = TimeZone(secondsFromGMT: 0)!
        let path = dir.appendingPathComponent(DetectionLog.defaultPath(stream: "cam", date: trackEpoch, timeZone: utc)).path
        let log = try DetectionLog(path: path, timeZone: utc)
        var tracker = PlateTracker()
        var written: [PlateEvent] = []
        let visits: [(String, Double)] = [("ABC1234", 0), ("XYZ9876", 5), ("ABC1234", 20), ("ABC1234", 400)]
        for (plate, start) in visits {
            for e in feed(&tracker, repeated(plate, 0.9, 8), start: start) { written.append(try log.append(e)) }
        }
        for e in tracker.finish() { written.append(try log.append(e)) }
        log.close()
        let read = try DetectionLog.readEvents(path: path)
        #expect(read.map(\.id) == ["cam-000001", "cam-000002", "cam-000003"])
        #expect(read.map(\.text) == ["ABC1234", "XYZ9876", "ABC1234"])
        #expect(read.map(\.id) == written.map(\.id))
        let summary = ExitSummary(events: read, resightings: tracker.resightings)
        #expect(summary.rows.map(\.plate) == ["ABC1234", "XYZ9876"])
        #expect(summary.rows[0].sightings == 3)      // two events + the suppressed visit at 20 s
        #expect(summary.rows[0].events == 2)
    }
}
