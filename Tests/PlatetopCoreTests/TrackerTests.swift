import Foundation
import Testing
@testable import PlatetopCore

@Suite struct TrackerTests {
    @Test func flickerBecomesOneVotedEvent() {
        var t = PlateTracker()
        // Interleaved flicker: 6 × ABC1234 @0.9, 4 × ABC1284 @0.6.
        let reads: [(String, Float)] = [("ABC1234", 0.9), ("ABC1284", 0.6), ("ABC1234", 0.9), ("ABC1234", 0.9), ("ABC1284", 0.6),
                                        ("ABC1234", 0.9), ("ABC1284", 0.6), ("ABC1234", 0.9), ("ABC1284", 0.6), ("ABC1234", 0.9)]
        #expect(feed(&t, reads, start: 10).isEmpty)
        #expect(t.openEvents.count == 1)
        #expect(t.openEvents[0].text == "ABC1234")
        #expect(t.openEvents[0].candidates.map(\.votes) == [6, 4])
        let events = t.finish()
        #expect(events.count == 1)
        let e = events[0]
        #expect(e.id == "cam-000001")
        #expect(e.text == "ABC1234" && e.rawText == "ABC1234")
        #expect(e.candidates.map(\.text) == ["ABC1234", "ABC1284"])
        #expect(e.candidates.map(\.votes) == [6, 4])
        #expect(e.sightings == 10)
        #expect(e.firstPts == 10 && abs(e.lastPts - 10.9) < 1e-9)
        #expect(e.firstFrame == 100 && e.lastFrame == 109)
        #expect(e.firstSeen == trackEpoch.addingTimeInterval(10))
        #expect(e.lastSeen == trackEpoch.addingTimeInterval(10.9))
        #expect(e.bestRead.text == "ABC1234" && e.bestRead.confidence == 0.9)
        #expect(e.box == roiBox)
        #expect(t.openEvents.isEmpty)
        #expect(t.emittedEvents == 1)
    }

    /// The demo clip's case: a plate sliding into a fixed ROI reads as a confident fragment for a frame or
    /// two (`HZG040`, three edits from the plate), then as the whole plate. The fragment opens its own
    /// event; it is dropped at close because the plate's event opened in the same box right after it.
    @Test func aFragmentReplacedInTheSameBoxIsDropped() {
        func run(fragment: [(String, Float)], gap: Double, plateReads: Int, plateConfidence: Float = 0.95,
                 plateBox: PixelRect = roiBox,
                 configuration: PlateTracker.Configuration = .init()) -> (texts: [String], discarded: Int) {
            var t = PlateTracker(configuration: configuration)
            var events = feed(&t, fragment, start: 8.6, step: 0.04)
            let plateStart = 8.6 + Double(fragment.count - 1) * 0.04 + gap
            events += feed(&t, repeated("HZG3846", plateConfidence, plateReads), start: plateStart, step: 0.04,
                           box: plateBox)
            events += t.finish()
            return (events.map(\.text), t.discardedEvents)
        }
        let fragment: [(String, Float)] = [("HZG500", 0.02), ("HZG040", 0.56)]
        let folded = run(fragment: fragment, gap: 0.04, plateReads: 20)
        #expect(folded.texts == ["HZG3846"])
        #expect(folded.discarded == 1)
        // The same reads as separate vehicles: a gap longer than motionSeconds, a fragment of three
        // reads, a successor of only two, or the rule turned off.
        #expect(run(fragment: fragment, gap: 0.6, plateReads: 20).texts == ["HZG040", "HZG3846"])
        #expect(run(fragment: fragment + [("HZG040", 0.6)], gap: 0.04, plateReads: 20).texts == ["HZG040", "HZG3846"])
        #expect(run(fragment: fragment, gap: 0.04, plateReads: 2).texts == ["HZG040", "HZG3846"])
        #expect(run(fragment: fragment, gap: 0.04, plateReads: 20,
                    configuration: .init(fragmentMaxSightings: 0)).texts == ["HZG040", "HZG3846"])
        // A successor whose reads all stay below minConfidence is never logged, so the fragment is.
        #expect(run(fragment: fragment, gap: 0.04, plateReads: 20, plateConfidence: 0.3).texts == ["HZG040"])
        // A successor in another place does not make the first read a fragment.
        #expect(run(fragment: fragment, gap: 0.04, plateReads: 20,
                    plateBox: PixelRect(x: 100, y: 100, width: 320, height: 120)).texts == ["HZG040", "HZG3846"])
    }

    /// The mirror case, seen once on the demo clip with dropped frames: as a plate slides out of the ROI,
    /// one confident read of its remains (`DTVAD75`, too far from `RTX4D72` to join) opens an event right
    /// after the plate's last read. It is dropped, whether the plate's event closed before it or with it.
    @Test func aFragmentLeftBehindInTheSameBoxIsDropped() {
        func run(tail: [(String, Float)], gap: Double, plateReads: Int, plateConfidence: Float = 0.95,
                 tailBox: PixelRect = roiBox, closePlateFirst: Bool = false,
                 configuration: PlateTracker.Configuration = .init()) -> (texts: [String], discarded: Int) {
            var t = PlateTracker(configuration: configuration)
            var events = feed(&t, repeated("RTX4D72", plateConfidence, plateReads), start: 3, step: 0.04)
            let tailStart = 3 + Double(plateReads - 1) * 0.04 + gap
            events += feed(&t, tail, start: tailStart, step: 0.04, box: tailBox)
            if closePlateFirst {
                // Only the plate's event has expired here; the tail's closes later, on its own.
                events += t.advance(toPts: 3 + Double(plateReads - 1) * 0.04 + 2.01)
                #expect(events.map(\.text) == ["RTX4D72"] && t.openEvents.count == 1)
            }
            events += t.advance(toPts: tailStart + 10)
            events += t.finish()
            return (events.map(\.text), t.discardedEvents)
        }
        let tail: [(String, Float)] = [("DTVAD75", 0.504)]
        let dropped = run(tail: tail, gap: 0.08, plateReads: 20)
        #expect(dropped.texts == ["RTX4D72"])
        #expect(dropped.discarded == 1)
        let droppedLater = run(tail: tail, gap: 0.08, plateReads: 20, closePlateFirst: true)
        #expect(droppedLater.texts == ["RTX4D72"])
        #expect(droppedLater.discarded == 1)
        // Separate vehicles: a gap longer than motionSeconds, a follower of three reads, a plate of only
        // two reads, another place, or the rule turned off.
        #expect(run(tail: tail, gap: 0.6, plateReads: 20).texts == ["RTX4D72", "DTVAD75"])
        #expect(run(tail: repeated("DTVAD75", 0.6, 3), gap: 0.08, plateReads: 20).texts == ["RTX4D72", "DTVAD75"])
        #expect(run(tail: tail, gap: 0.08, plateReads: 2).texts == ["RTX4D72", "DTVAD75"])
        #expect(run(tail: tail, gap: 0.08, plateReads: 20,
                    tailBox: PixelRect(x: 100, y: 100, width: 320, height: 120)).texts == ["RTX4D72", "DTVAD75"])
        #expect(run(tail: tail, gap: 0.08, plateReads: 20,
                    configuration: .init(fragmentMaxSightings: 0)).texts == ["RTX4D72", "DTVAD75"])
        // A plate whose reads all stay below minConfidence is never logged, so the follower is.
        #expect(run(tail: tail, gap: 0.08, plateReads: 20, plateConfidence: 0.3).texts == ["DTVAD75"])
    }

    @Test func eventClosesOnlyAfterTheWindowOfStreamTime() {
        var t = PlateTracker()
        _ = feed(&t, repeated("ABC1234", 0.9, 10), start: 0)          // last read at 0.9
        #expect(t.advance(toPts: 2.9).isEmpty)                         // exactly 2 s later: still open
        #expect(t.openEvents.count == 1)
        let closed = t.advance(toPts: 2.95)
        #expect(closed.map(\.text) == ["ABC1234"])
        #expect(t.openEvents.isEmpty)
        #expect(t.finish().isEmpty)
    }

    @Test func aNewReadClosesExpiredEventsOfItsStream() {
        var t = PlateTracker()
        _ = feed(&t, repeated("ABC1234", 0.9, 5), start: 0)
        let closed = t.ingest(observe("XYZ9876", 0.9, at: 5))
        #expect(closed.map(\.text) == ["ABC1234"])
        #expect(t.finish().map(\.id) == ["cam-000002"])
    }

    @Test func sameCarTenSecondsLaterIsOneEvent() {
        var t = PlateTracker()
        var events = feed(&t, repeated("ABC1234", 0.9, 10), start: 0)
        events += feed(&t, repeated("ABC1234", 0.9, 10), start: 11)
        events += t.finish()
        #expect(events.count == 1)
        #expect(events[0].lastPts < 1)                                  // the logged event is not changed
        #expect(t.suppressedSightings == 1)
        #expect(t.resightings["cam-000001"]?.count == 1)
        #expect(t.resightings["cam-000001"]?.lastPts == 11.9)
        #expect(t.resightings["cam-000001"]?.lastSeen == trackEpoch.addingTimeInterval(11.9))
    }

    @Test func sameCarFiveMinutesLaterIsTwoEvents() {
        var t = PlateTracker()
        var events = feed(&t, repeated("ABC1234", 0.9, 10), start: 0)
        events += feed(&t, repeated("ABC1234", 0.9, 10), start: 300)
        events += t.finish()
        #expect(events.map(\.id) == ["cam-000001", "cam-000002"])
        #expect(events.map(\.text) == ["ABC1234", "ABC1234"])
        #expect(t.suppressedSightings == 0)
    }

    @Test func repeatMemoryRunsFromTheLastSighting() {
        var t = PlateTracker()
        var events = feed(&t, repeated("ABC1234", 0.9, 10), start: 0)   // last 0.9
        events += feed(&t, repeated("ABC1234", 0.9, 10), start: 50)    // 49 s later: repeat, memory now from 50.9
        events += feed(&t, repeated("ABC1234", 0.9, 10), start: 105)   // 104 s after the event, 54 s after the repeat
        events += t.finish()
        #expect(events.count == 1)
        #expect(t.suppressedSightings == 2)
        events += feed(&t, repeated("ABC1234", 0.9, 10), start: 200)   // 94 s after the last sighting
        events += t.finish()
        #expect(events.map(\.id) == ["cam-000001", "cam-000002"])
    }

    @Test func aRepeatMayDifferByOneCharacter() {
        var t = PlateTracker()
        var events = feed(&t, repeated("ABC1234", 0.9, 10), start: 0)
        events += feed(&t, repeated("ABC1284", 0.9, 10), start: 20)
        events += feed(&t, repeated("ABC9284", 0.9, 10), start: 40)     // 2 edits from ABC1234: a different plate
        events += t.finish()
        #expect(events.map(\.text) == ["ABC1234", "ABC9284"])
        #expect(t.suppressedSightings == 1)
    }

    @Test func lowConfidenceReadsAloneMakeNoEvent() {
        var t = PlateTracker(configuration: .init(minConfidence: 0.5))
        var events = feed(&t, repeated("ABC1234", 0.3, 20), start: 0)
        #expect(t.openEvents.first?.confirmed == false)
        events += t.finish()
        #expect(events.isEmpty)
        #expect(t.discardedEvents == 1)
        // The same weak reads plus one confident read: an event, and the weak reads are its candidates.
        events += feed(&t, repeated("ABC1284", 0.3, 5) + [("ABC1234", 0.8)], start: 100)
        events += t.finish()
        #expect(events.count == 1)
        #expect(events[0].sightings == 6)
        #expect(events[0].candidates.map(\.text) == ["ABC1284", "ABC1234"])
        #expect(events[0].candidates.map(\.votes) == [5, 1])
    }

    @Test func differentPlatesInTheSameRegionAreDifferentEvents() {
        var t = PlateTracker()
        var events = feed(&t, [("ABC1234", 0.9), ("XYZ9876", 0.9), ("ABC1234", 0.9), ("XYZ9876", 0.9)], start: 0)
        events += t.finish()
        #expect(events.map(\.text).sorted() == ["ABC1234", "XYZ9876"])
    }

    @Test func nonOverlappingBoxesAreDifferentEvents() {
        // One edit apart, so only the boxes keep them apart (repeat suppression off for this).
        var t = PlateTracker(configuration: .init(repeatMaxEditDistance: -1))
        let left = PixelRect(x: 0, y: 0, width: 100, height: 40), right = PixelRect(x: 500, y: 0, width: 100, height: 40)
        var events: [PlateEvent] = []
        for i in 0..<5 {
            events += t.ingest(observe("ABC1234", 0.9, at: Double(i) * 0.1, box: left))
            events += t.ingest(observe("ABC1284", 0.9, at: Double(i) * 0.1 + 0.05, box: right))
        }
        #expect(t.openEvents.count == 2)
        events += t.finish()
        #expect(events.map(\.text) == ["ABC1234", "ABC1284"])
        #expect(events.map(\.box) == [left, right])
        #expect(events.map(\.sightings) == [5, 5])
    }

    /// A detector's box on an approaching car: 18 px down per frame with a 22-27 px tall box, so
    /// consecutive boxes overlap with IoU < 0.3. The reads still make one event, voted over all of
    /// them, instead of the first (farthest, least reliable) read deciding the text.
    @Test func aFastMovingPlateStaysOneEvent() {
        func run(_ configuration: PlateTracker.Configuration) -> (events: [PlateEvent], iou: Double) {
            var t = PlateTracker(configuration: configuration)
            var events: [PlateEvent] = []
            var boxes: [PixelRect] = []
            for i in 0..<20 {
                let box = PixelRect(x: 600 - i, y: 350 + 18 * i, width: 65 + 2 * i, height: 22 + i / 4)
                boxes.append(box)
                events += t.ingest(observe(i == 0 ? "HHZG3846" : "HZG3846", 0.9, at: 8 + Double(i) * 0.04, box: box))
            }
            events += t.finish()
            return (events, zip(boxes, boxes.dropFirst()).map { $0.iou($1) }.max()!)
        }
        let moving = run(.init())
        #expect(moving.iou < 0.3)
        #expect(moving.events.map(\.text) == ["HZG3846"])
        #expect(moving.events.first?.sightings == 20)
        #expect(moving.events.first?.candidates.map(\.votes) == [19, 1])
        // Without motion joining every read opens its own event and the first one is emitted.
        let still = run(.init(motionSeconds: 0))
        #expect(still.events.map(\.text) == ["HHZG3846"])
        #expect(still.events.first?.sightings == 1)
    }

    /// Joining by motion needs a recent read (≤ motionSeconds), a box of similar width and a centre
    /// within reach; otherwise a same-text read elsewhere is a new event.
    @Test func motionJoinNeedsARecentNearbySimilarBox() {
        let first = PixelRect(x: 100, y: 100, width: 60, height: 20)
        let cases: [(PixelRect, Double, Int)] = [
            (PixelRect(x: 100, y: 140, width: 64, height: 22), 0.1, 1),   // 40 px away, 0.1 s: joins
            (PixelRect(x: 100, y: 140, width: 64, height: 22), 0.7, 2),   // too late
            (PixelRect(x: 100, y: 180, width: 64, height: 22), 0.1, 2),   // 80 px > 60 px reach
            (PixelRect(x: 80, y: 125, width: 130, height: 44), 0.1, 2),   // more than twice as wide
        ]
        for (box, dt, expected) in cases {
            var t = PlateTracker(configuration: .init(repeatMaxEditDistance: -1))
            _ = t.ingest(observe("ABC1234", 0.9, at: 1, box: first))
            _ = t.ingest(observe("ABC1234", 0.9, at: 1 + dt, box: box))
            #expect(first.iou(box) < 0.3)
            #expect(t.openEvents.count == expected, "box \(box) after \(dt) s")
        }
    }

    @Test func aConcurrentDuplicateElsewhereIsARepeat() {
        // The same text in a far-away box while the first is still open (a double detection): one event.
        var t = PlateTracker()
        let left = PixelRect(x: 0, y: 0, width: 100, height: 40), right = PixelRect(x: 500, y: 0, width: 100, height: 40)
        var events: [PlateEvent] = []
        for i in 0..<5 {
            events += t.ingest(observe("ABC1234", 0.9, at: Double(i) * 0.1, box: left))
            events += t.ingest(observe("ABC1234", 0.9, at: Double(i) * 0.1 + 0.05, box: right))
        }
        events += t.finish()
        #expect(events.count == 1)
        #expect(t.suppressedSightings == 1)
    }

    @Test func streamsAreIsolated() {
        var t = PlateTracker()
        var events = feed(&t, repeated("ABC1234", 0.9, 5), start: 0, stream: "a")
        events += feed(&t, repeated("ABC1234", 0.9, 5), start: 0, stream: "b")
        // Stream a moving on does not close b's event.
        events += feed(&t, repeated("QQQ111", 0.9, 1), start: 10, stream: "a")
        #expect(events.map(\.id) == ["a-000001"])
        #expect(t.openEvents.map(\.stream) == ["a", "b"])
        events += t.finish()
        #expect(events.map(\.id) == ["a-000001", "a-000002", "b-000001"])
        #expect(t.suppressedSightings == 0)
    }

    @Test func formatRulesAndWatchlistApplyToTheVotedText() throws {
        let config = PlateTracker.Configuration(
            formatRules: try FormatRules(patternStrings: ["^[A-Z]{3}[0-9]{4}$"]),
            watchlist: Watchlist(entries: [.plate("ABO1234", label: "stolen", maxDistance: 0)]))
        var t = PlateTracker(configuration: config)
        _ = feed(&t, repeated("AB01234", 0.9, 4), start: 0)
        #expect(t.openEvents[0].text == "ABO1234" && t.openEvents[0].rawText == "AB01234")
        #expect(t.openEvents[0].watchlistLabel == "stolen")
        let e = t.finish()[0]
        #expect(e.text == "ABO1234")
        #expect(e.rawText == "AB01234")
        #expect(e.watchlistLabel == "stolen")
    }

    @Test func bestCropIsTheBestReadOfTheVotedText() {
        var t = PlateTracker()
        let weak = PixelImage(width: 2, height: 1, format: .gray8, fill: 1)
        let best = PixelImage(width: 2, height: 1, format: .gray8, fill: 2)
        let wrong = PixelImage(width: 2, height: 1, format: .gray8, fill: 3)
        _ = t.ingest(observe("ABC1234", 0.7, at: 0, crop: weak))
        _ = t.ingest(observe("ABC1284", 0.95, at: 0.1, crop: wrong))
        _ = t.ingest(observe("ABC1234", 0.9, at: 0.2, crop: best))
        _ = t.ingest(observe("ABC1234", 0.8, at: 0.3, crop: weak))
        let e = t.finish()[0]
        #expect(e.text == "ABC1234")
        #expect(e.bestRead.confidence == 0.9)
        #expect(e.bestCrop == best)
    }

    @Test func restartedStreamClosesOpenEvents() {
        var t = PlateTracker()
        _ = feed(&t, repeated("ABC1234", 0.9, 5), start: 100)
        let closed = t.ingest(observe("XYZ9876", 0.9, at: 0.5))
        #expect(closed.map(\.text) == ["ABC1234"])
        // Repeat memory followed the jump: the same plate right after the restart is a repeat.
        var rest = t.advance(toPts: 3)
        rest += feed(&t, repeated("ABC1234", 0.9, 5), start: 4)
        rest += t.finish()
        #expect(rest.map(\.text) == ["XYZ9876"])
        #expect(t.suppressedSightings == 1)
    }

    @Test func sequenceCanContinueAnExistingLog() {
        var t = PlateTracker()
        t.setNextSequence(42, for: "cam")
        _ = feed(&t, repeated("ABC1234", 0.9, 2), start: 0)
        #expect(t.finish().map(\.id) == ["cam-000042"])
        #expect(PlateTracker.eventID(stream: "x", sequence: 1234567) == "x-1234567")
    }

    @Test func readsAreCappedButCountsStayExact() {
        var t = PlateTracker(configuration: .init(maxReadsPerEvent: 8))
        _ = feed(&t, repeated("ABC1234", 0.9, 20) + repeated("ABC1284", 0.6, 10), start: 0, step: 0.01)
        let e = t.finish()[0]
        #expect(e.text == "ABC1234")
        #expect(e.sightings == 30)
        #expect(e.candidates.map(\.votes) == [20, 10])
    }
}

@Suite struct TrackerLoadTests {
    /// A parked car read 25 times a second for 40 s with noisy reads: one event, and it stays fast
    /// because reads per event are capped.
    @Test func longEventWithNoisyReads() {
        var t = PlateTracker()
        let noise = ["ABC1234", "ABC1234", "ABC1284", "A8C1234", "ABC123", "ABC1234", "AB01234", "ABC12345"]
        var events: [PlateEvent] = []
        for i in 0..<1000 {
            events += t.ingest(observe(noise[i % noise.count], i % 3 == 0 ? 0.6 : 0.9, at: Double(i) * 0.04))
        }
        events += t.finish()
        #expect(events.count == 1)
        #expect(events.first?.text == "ABC1234")
        #expect(events.first?.sightings == 1000)
    }
}
