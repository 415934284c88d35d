import Foundation
import Synchronization
import Testing
@testable import PlatetopCore

/// A scripted frame source: `count` tiny gray frames at `rate` fps starting at pts `firstPts`,
/// optionally throwing after them instead of ending, optionally sleeping per frame.
private final class FakeSource: FrameSource {
    struct Failure: Error, CustomStringConvertible { var description: String { "fake source broke" } }
    let count: Int
    let rate: Double
    let firstPts: Double
    let failAtEnd: Bool
    let sleepMicroseconds: UInt32
    /// When set, the source stays open after its frames (like a quiet live stream) until this is requested.
    let holdOpenUntil: StopFlag?
    private var produced = 0

    init(count: Int, rate: Double = 30, firstPts: Double = 0, failAtEnd: Bool = false, sleepMicroseconds: UInt32 = 0,
         holdOpenUntil: StopFlag? = nil) {
        self.count = count
        self.rate = rate
        self.firstPts = firstPts
        self.failAtEnd = failAtEnd
        self.sleepMicroseconds = sleepMicroseconds
        self.holdOpenUntil = holdOpenUntil
    }

    func next() throws -> DecodedFrame? {
        guard produced < count else {
            if failAtEnd { throw Failure() }
            if let hold = holdOpenUntil {
                while !hold.isRequested { usleep(1_000) }
            }
            return nil
        }
        if sleepMicroseconds > 0 { usleep(sleepMicroseconds) }
        let i = produced
        produced += 1
        return DecodedFrame(index: i, ptsSeconds: firstPts + Double(i) / rate,
                            image: PixelImage(width: 8, height: 4, format: .gray8, fill: UInt8(i % 256)))
    }
}

/// What the fake stage and the callbacks saw; shared across the pipeline's queues.
private final class Recorder: Sendable {
    let maxDepth = Mutex(0)
    let stagePts = Mutex<[Double]>([])
    let resultIndices = Mutex<[Int]>([])
    let states = Mutex<[SourceState]>([])
    let pipeline = Mutex<Pipeline?>(nil)
}

/// A recognition stage that sleeps per frame and records the hand-off depth it observes.
private final class SleepyStage: RecognitionStage {
    let recorder: Recorder
    let sleepMicroseconds: UInt32
    init(recorder: Recorder, sleepMicroseconds: UInt32) {
        self.recorder = recorder
        self.sleepMicroseconds = sleepMicroseconds
    }

    func process(_ frame: DecodedFrame) throws -> FrameResult {
        if let p = recorder.pipeline.withLock({ $0 }) {
            let depth = p.stats.queueDepth
            recorder.maxDepth.withLock { $0 = max($0, depth) }
        }
        recorder.stagePts.withLock { $0.append(frame.ptsSeconds) }
        usleep(sleepMicroseconds)
        return FrameResult(frameIndex: frame.index, ptsSeconds: frame.ptsSeconds, wallTime: Date(),
                           frameWidth: frame.image.width, frameHeight: frame.image.height,
                           plates: [], boxes: [], frame: nil, locateMilliseconds: 0, recognizeMilliseconds: 0)
    }
}

private func makePipeline(config: PipelineConfig, recorder: Recorder, stageSleep: UInt32,
                          openSource: @escaping Pipeline.SourceFactory) -> Pipeline {
    let pipeline = Pipeline(config: config, openSource: openSource, makeStage: {
        SleepyStage(recorder: recorder, sleepMicroseconds: stageSleep)
    })
    pipeline.onResult = { r in recorder.resultIndices.withLock { $0.append(r.frameIndex) } }
    pipeline.onState = { s in recorder.states.withLock { $0.append(s) } }
    recorder.pipeline.withLock { $0 = pipeline }
    return pipeline
}

private let fileInfo = SourceInfo(source: "fake", width: 8, height: 4, codec: "raw", frameRate: 30, isLive: false)
private let liveInfo = SourceInfo(source: "fake-live", width: 8, height: 4, codec: "raw", frameRate: 30, isLive: true)

@Suite("Pipeline")
struct PipelineTests {
    @Test("dropOldest: a slow stage drops frames, never holds more than the capacity, results stay ordered")
    func dropOldestDropsAndStaysBounded() {
        let recorder = Recorder()
        var config = PipelineConfig()
        config.handOffCapacity = 2
        config.handOffPolicy = .dropOldest
        let pipeline = makePipeline(config: config, recorder: recorder, stageSleep: 5_000) { _ in
            (FakeSource(count: 300, sleepMicroseconds: 200), fileInfo)
        }
        pipeline.start()
        #expect(pipeline.wait(timeoutSeconds: 30))
        let s = pipeline.stats
        #expect(s.framesDecoded == 300)
        #expect(s.framesDropped > 0)
        #expect(s.framesRecognized > 0)
        #expect(s.framesRecognized + s.framesDropped == s.framesDecoded)
        #expect(s.framesSkipped == 0)
        #expect(recorder.maxDepth.withLock { $0 } <= config.handOffCapacity)
        let indices = recorder.resultIndices.withLock { $0 }
        #expect(indices.count == s.framesRecognized)
        #expect(zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 }, "results out of order: \(indices)")
        // The last decoded frame is never dropped: nothing comes after it to push it out.
        #expect(indices.last == 299)
        #expect(pipeline.state == .ended)
        #expect(pipeline.failure == nil)
    }

    @Test("block: nothing is dropped, every decoded frame is recognised in order")
    func blockIsLossless() {
        let recorder = Recorder()
        var config = PipelineConfig()
        config.handOffCapacity = 2
        config.handOffPolicy = .block
        let pipeline = makePipeline(config: config, recorder: recorder, stageSleep: 2_000) { _ in
            (FakeSource(count: 120), fileInfo)
        }
        pipeline.start()
        #expect(pipeline.wait(timeoutSeconds: 30))
        let s = pipeline.stats
        #expect(s.framesDropped == 0)
        #expect(s.framesDecoded == 120)
        #expect(s.framesRecognized == 120)
        #expect(recorder.maxDepth.withLock { $0 } <= config.handOffCapacity)
        #expect(recorder.resultIndices.withLock { $0 } == Array(0..<120))
    }

    @Test("maxRecognitionFPS skips frames closer than 1/cap in pts; skipped + recognised == decoded")
    func maxFPSSkips() {
        let recorder = Recorder()
        var config = PipelineConfig()
        config.handOffPolicy = .block
        config.maxRecognitionFPS = 10  // 30 fps source → every third frame
        let pipeline = makePipeline(config: config, recorder: recorder, stageSleep: 0) { _ in
            (FakeSource(count: 90), fileInfo)
        }
        pipeline.start()
        #expect(pipeline.wait(timeoutSeconds: 30))
        let s = pipeline.stats
        #expect(s.framesRecognized == 30)
        #expect(s.framesSkipped == 60)
        #expect(recorder.resultIndices.withLock { $0 } == Array(stride(from: 0, to: 90, by: 3)))
    }

    @Test("reconnect: a live source ends, opens fail twice, then a new connection restarts pts at 0 — pts stay monotonic")
    func reconnectKeepsPtsMonotonic() {
        let recorder = Recorder()
        var config = PipelineConfig()
        config.handOffPolicy = .block
        config.reconnect = ReconnectPolicy(initialDelaySeconds: 0.01, maxDelaySeconds: 0.02, factor: 2)
        let opens = Mutex(0)
        let pipeline = makePipeline(config: config, recorder: recorder, stageSleep: 0) { stop in
            let n = opens.withLock { v -> Int in v += 1; return v }
            switch n {
            case 1: return (FakeSource(count: 10), liveInfo)           // pts 0 ..< 0.333, then the server closes it
            case 2, 3: throw FakeSource.Failure()
            default: return (FakeSource(count: 10, holdOpenUntil: stop), liveInfo)  // pts restart at 0, then quiet
            }
        }
        pipeline.start()
        let deadline = Date(timeIntervalSinceNow: 30)
        while recorder.stagePts.withLock({ $0.count }) < 20 && Date() < deadline { usleep(2_000) }
        pipeline.stop()
        #expect(pipeline.wait(timeoutSeconds: 10))
        #expect(opens.withLock { $0 } == 4)
        let pts = recorder.stagePts.withLock { $0 }
        #expect(pts.count == 20)
        #expect(zip(pts, pts.dropFirst()).allSatisfy { $0 < $1 }, "pts not monotonic: \(pts)")
        // The second connection continues one frame interval after the last pts of the first.
        if pts.count == 20 {
            #expect(abs(pts[10] - (pts[9] + 1.0 / 30)) < 1e-9)
        }
        let states = recorder.states.withLock { $0 }
        let attempts = states.compactMap { s -> Int? in
            if case .reconnecting(let a, _, _) = s { return a }
            return nil
        }
        #expect(attempts == [1, 2, 3])
        #expect(states.first == .live)
        #expect(states.last == .live)
        #expect(pipeline.stats.reconnects == 3)
        #expect(pipeline.stats.framesRecognized == 20)
    }

    @Test("reconnect gives up after maxAttempts with .failed and a one-line failure")
    func reconnectGivesUp() {
        let recorder = Recorder()
        var config = PipelineConfig()
        config.reconnect = ReconnectPolicy(initialDelaySeconds: 0.005, maxDelaySeconds: 0.01, factor: 2, maxAttempts: 2)
        let opens = Mutex(0)
        let pipeline = makePipeline(config: config, recorder: recorder, stageSleep: 0) { _ in
            opens.withLock { $0 += 1 }
            throw FakeSource.Failure()
        }
        pipeline.start()
        #expect(pipeline.wait(timeoutSeconds: 10))
        #expect(opens.withLock { $0 } == 3)
        #expect(pipeline.state == .failed("fake source broke"))
        #expect(pipeline.failure == "fake source broke")
    }

    @Test("without a reconnect policy (files) a source error fails the pipeline at once")
    func fileErrorFails() {
        let recorder = Recorder()
        let pipeline = makePipeline(config: PipelineConfig(), recorder: recorder, stageSleep: 0) { _ in
            (FakeSource(count: 3, failAtEnd: true), fileInfo)
        }
        pipeline.start()
        #expect(pipeline.wait(timeoutSeconds: 10))
        #expect(pipeline.failure == "fake source broke")
        #expect(pipeline.stats.reconnects == 0)
        #expect(pipeline.stats.framesDecoded == 3)
    }

    @Test("stop() interrupts an endless source promptly")
    func stopInterrupts() {
        let recorder = Recorder()
        let pipeline = makePipeline(config: PipelineConfig(), recorder: recorder, stageSleep: 1_000) { _ in
            (FakeSource(count: Int.max, sleepMicroseconds: 1_000), fileInfo)
        }
        pipeline.start()
        usleep(100_000)
        pipeline.stop()
        #expect(pipeline.wait(timeoutSeconds: 5))
        #expect(pipeline.stats.framesDecoded > 0)
    }

    @Test("ReconnectPolicy: capped exponential backoff")
    func reconnectDelays() {
        let p = ReconnectPolicy(initialDelaySeconds: 0.5, maxDelaySeconds: 8, factor: 2)
        #expect((1...7).map { p.delay(forAttempt: $0) } == [0.5, 1, 2, 4, 8, 8, 8])
        let q = ReconnectPolicy(initialDelaySeconds: 1, maxDelaySeconds: 10, factor: 3)
        #expect((1...4).map { q.delay(forAttempt: $0) } == [1, 3, 9, 10])
        #expect(ReconnectPolicy().delay(forAttempt: 0) == 0.5)
        // The default backoff: 0.5, 1, 2, then 3 s (the cap) for ever.
        #expect((1...5).map { ReconnectPolicy().delay(forAttempt: $0) } == [0.5, 1, 2, 3, 3])
    }

    @Test("FrameHandOff: dropOldest keeps the newest items and counts the rest")
    func handOffDropOldest() {
        let h = FrameHandOff<Int>(capacity: 2, policy: .dropOldest)
        for i in 0..<5 { #expect(h.put(i)) }
        #expect(h.count == 2)
        #expect(h.dropped == 3)
        #expect(h.take(timeoutSeconds: 0) == 3)
        #expect(h.take(timeoutSeconds: 0) == 4)
        #expect(h.take(timeoutSeconds: 0.01) == nil)
        h.close()
        #expect(!h.put(9))
        #expect(h.isClosedAndEmpty)
    }
}
