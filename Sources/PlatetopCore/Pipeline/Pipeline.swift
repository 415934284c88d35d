import Foundation
import Synchronization

/// A plate found and read in one frame.
public struct RecognizedPlate: Sendable {
    public let box: PixelRect
    public let locatorScore: Float
    public let read: PlateRead
    public let crop: PixelImage

    public init(box: PixelRect, locatorScore: Float, read: PlateRead, crop: PixelImage) {
        self.box = box
        self.locatorScore = locatorScore
        self.read = read
        self.crop = crop
    }
}

/// What the recognize stage produced for one frame.
public struct FrameResult: Sendable {
    public let frameIndex: Int
    public let ptsSeconds: Double
    public let wallTime: Date
    public let frameWidth: Int
    public let frameHeight: Int
    public let plates: [RecognizedPlate]
    /// Boxes the locator proposed (drawn on the preview even when nothing was read).
    public let boxes: [PixelRect]
    /// The frame itself, for previews; nil when the consumer did not ask for it.
    public let frame: PixelImage?
    public let locateMilliseconds: Double
    public let recognizeMilliseconds: Double

    public init(frameIndex: Int, ptsSeconds: Double, wallTime: Date, frameWidth: Int, frameHeight: Int,
                plates: [RecognizedPlate], boxes: [PixelRect], frame: PixelImage?,
                locateMilliseconds: Double, recognizeMilliseconds: Double) {
        self.frameIndex = frameIndex
        self.ptsSeconds = ptsSeconds
        self.wallTime = wallTime
        self.frameWidth = frameWidth
        self.frameHeight = frameHeight
        self.plates = plates
        self.boxes = boxes
        self.frame = frame
        self.locateMilliseconds = locateMilliseconds
        self.recognizeMilliseconds = recognizeMilliseconds
    }
}

/// The per-frame work of the recognize queue: locate plates, then read them.
///
/// Created on the recognize queue by the factory handed to `Pipeline` and only used there.
public protocol RecognitionStage: AnyObject {
    /// Locates and reads plates; returns the located boxes with timings folded into the result.
    func process(_ frame: DecodedFrame) throws -> FrameResult
}

/// Pacing of file sources.
public enum Pace: String, Sendable, CaseIterable {
    /// As fast as decoding allows.
    case fast
    /// Frames released at their presentation time.
    case realtime
}

/// Capped exponential backoff for reconnecting live sources. The default (0.5 s doubling to at most
/// 3 s) picks a camera that comes back up within the cap plus one open (about 1 s for RTSP), under
/// the 5 s that users are promised.
public struct ReconnectPolicy: Sendable, Equatable {
    public var initialDelaySeconds: Double
    public var maxDelaySeconds: Double
    public var factor: Double
    /// Give up (and report `.failed`) after this many consecutive failures; nil = never.
    public var maxAttempts: Int?

    public init(initialDelaySeconds: Double = 0.5, maxDelaySeconds: Double = 3, factor: Double = 2, maxAttempts: Int? = nil) {
        self.initialDelaySeconds = initialDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
        self.factor = factor
        self.maxAttempts = maxAttempts
    }

    /// The wait before attempt `attempt` (1-based).
    public func delay(forAttempt attempt: Int) -> Double {
        min(maxDelaySeconds, initialDelaySeconds * pow(factor, Double(max(0, attempt - 1))))
    }
}

/// A live source reached its end (the server closed the stream).
struct SourceEnded: Error, CustomStringConvertible {
    var description: String { "the stream ended (connection closed by the server)" }
}

/// Settings of one pipeline.
public struct PipelineConfig: Sendable {
    public var handOffCapacity = 2
    public var handOffPolicy: FrameHandOff<DecodedFrame>.Policy = .dropOldest
    public var pace: Pace = .fast
    /// Recognise at most this many frames per second (decode everything); nil = no cap.
    public var maxRecognitionFPS: Double?
    /// nil: a source error ends the pipeline (files). Otherwise reconnect (live sources).
    public var reconnect: ReconnectPolicy?
    /// Attach each frame to its result (for previews).
    public var keepFrames = false

    public init() {}
}

/// Decode queue → bounded hand-off → recognize queue → consumer callbacks.
///
/// The source and the recognition stage are created by factories on their own queues and never
/// leave them. Results, state changes and the end are delivered through `@Sendable` callbacks on
/// the recognize queue (results, in frame order) or the decode queue (state).
///
/// `@unchecked Sendable`: mutable state is either atomic/`Mutex`-protected or confined to one queue.
public final class Pipeline: @unchecked Sendable {
    public typealias SourceFactory = @Sendable (StopFlag) throws -> (any FrameSource, SourceInfo)
    public typealias StageFactory = @Sendable () throws -> any RecognitionStage

    public let config: PipelineConfig
    private let openSource: SourceFactory
    private let makeStage: StageFactory
    private let decodeQueue = DispatchQueue(label: "platetop.decode")
    private let recognizeQueue = DispatchQueue(label: "platetop.recognize")
    private let handOff: FrameHandOff<DecodedFrame>
    public let stopFlag = StopFlag()
    private let paused = Atomic<Bool>(false)
    private let stepRequests = Atomic<Int>(0)
    private let statsBox = Mutex(PipelineStats())
    private let stateBox = Mutex<SourceState>(.connecting)
    private let infoBox = Mutex<SourceInfo?>(nil)
    private let errorBox = Mutex<String?>(nil)
    private let done = DispatchGroup()
    private let clockStart = ContinuousClock.now

    /// Called on the recognize queue for every recognised frame, in order.
    public var onResult: (@Sendable (FrameResult) -> Void)?
    /// Called whenever the source state changes.
    public var onState: (@Sendable (SourceState) -> Void)?

    public init(config: PipelineConfig, openSource: @escaping SourceFactory, makeStage: @escaping StageFactory) {
        self.config = config
        self.openSource = openSource
        self.makeStage = makeStage
        self.handOff = FrameHandOff(capacity: config.handOffCapacity, policy: config.handOffPolicy)
    }

    private var now: Double {
        let d = ContinuousClock.now - clockStart
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    // MARK: Public control

    /// Starts both stages. Call once.
    public func start() {
        done.enter()
        done.enter()
        decodeQueue.async { [self] in
            decodeLoop()
            handOff.close()
            done.leave()
        }
        recognizeQueue.async { [self] in
            recognizeLoop()
            done.leave()
        }
    }

    /// Asks both stages to stop; the decode side is interrupted, the recognize side drains.
    public func stop() {
        stopFlag.request()
        handOff.close()
    }

    /// Waits until both stages ended; false on timeout.
    @discardableResult
    public func wait(timeoutSeconds: Double? = nil) -> Bool {
        if let t = timeoutSeconds { return done.wait(timeout: .now() + t) == .success }
        done.wait()
        return true
    }

    public var isPaused: Bool { paused.load(ordering: .relaxed) }
    public func setPaused(_ value: Bool) {
        paused.store(value, ordering: .relaxed)
        setState(value ? .paused : .live)
    }
    /// While paused, lets exactly one more frame through.
    public func step() { stepRequests.add(1, ordering: .relaxed) }

    public var stats: PipelineStats {
        var s = statsBox.withLock { $0 }
        s.framesDropped = handOff.dropped
        s.queueDepth = handOff.count
        return s
    }
    public func resetCounters() {
        statsBox.withLock { s in
            s.framesDecoded = 0; s.framesRecognized = 0; s.framesSkipped = 0; s.platesRead = 0; s.reconnects = 0
        }
    }
    public var state: SourceState { stateBox.withLock { $0 } }
    public var sourceInfo: SourceInfo? { infoBox.withLock { $0 } }
    /// The error that ended the pipeline, if any (one line).
    public var failure: String? { errorBox.withLock { $0 } }

    public func noteNoRead(_ reason: NoReadReason) { statsBox.withLock { $0.noReadReason = reason } }
    public func addTrackMilliseconds(_ ms: Double) {
        statsBox.withLock { s in s.trackMilliseconds = s.trackMilliseconds == 0 ? ms : s.trackMilliseconds + 0.1 * (ms - s.trackMilliseconds) }
    }

    private func setState(_ s: SourceState) {
        let changed = stateBox.withLock { old -> Bool in
            if old == s { return false }
            old = s
            return true
        }
        if changed { onState?(s) }
    }

    // MARK: Decode side

    private func sleepInterruptibly(_ seconds: Double) {
        let end = now + seconds
        while !stopFlag.isRequested, now < end { usleep(UInt32(min(50_000, max(1_000, (end - now) * 1e6)))) }
    }

    private func decodeLoop() {
        var attempt = 0
        var ptsOffset = 0.0          // keeps pts monotonic across reconnects
        var lastPts: Double? = nil
        var frameInterval = 0.04
        var nextIndex = 0
        var decodeMeter = RateMeter()
        var decodeMs = SmoothedValue()
        while !stopFlag.isRequested {
            let source: any FrameSource
            do {
                setState(attempt == 0 ? .connecting : state)
                let (s, info) = try openSource(stopFlag)
                source = s
                infoBox.withLock { $0 = info }
                if let r = info.frameRate, r > 0 { frameInterval = 1 / r }
                attempt = 0
                setState(isPaused ? .paused : .live)
            } catch {
                if stopFlag.isRequested { break }
                if !retry(after: error, attempt: &attempt) { return }
                continue
            }
            var firstPtsOfConnection: Double? = nil
            var paceBase: (pts: Double, clock: Double)? = nil
            do {
                while !stopFlag.isRequested {
                    if isPaused && sourceInfoIsFile {
                        if stepRequests.load(ordering: .relaxed) == 0 {
                            usleep(20_000)
                            paceBase = nil
                            continue
                        }
                    }
                    let t0 = now
                    guard let frame = try source.next() else {
                        // A live source that ends was lost: reconnect like on an error.
                        if config.reconnect != nil { throw SourceEnded() }
                        setState(.ended)
                        return
                    }
                    let t1 = now
                    decodeMs.add((t1 - t0) * 1000)
                    decodeMeter.tick(at: t1)
                    // Monotonic pts across reconnects: continue one frame after the last pts.
                    if firstPtsOfConnection == nil {
                        firstPtsOfConnection = frame.ptsSeconds
                        if let last = lastPts, frame.ptsSeconds + ptsOffset <= last {
                            ptsOffset = last + frameInterval - frame.ptsSeconds
                        }
                    }
                    let pts = frame.ptsSeconds + ptsOffset
                    lastPts = pts
                    let out = DecodedFrame(index: nextIndex, ptsSeconds: pts, image: frame.image)
                    nextIndex += 1
                    if config.pace == .realtime {
                        if let base = paceBase {
                            let wait = (pts - base.pts) - (now - base.clock)
                            if wait > 0 { sleepInterruptibly(min(wait, 5)) }
                        } else {
                            paceBase = (pts, now)
                        }
                    }
                    statsBox.withLock { s in
                        s.framesDecoded += 1
                        s.decodeFPS = decodeMeter.rate
                        s.decodeMilliseconds = decodeMs.value
                        s.lastPts = pts
                        s.wallSeconds = now
                    }
                    if isPaused {
                        if sourceInfoIsFile {
                            if stepRequests.load(ordering: .relaxed) > 0 { stepRequests.subtract(1, ordering: .relaxed) }
                        } else if stepRequests.load(ordering: .relaxed) > 0 {
                            stepRequests.subtract(1, ordering: .relaxed)
                        } else {
                            continue  // live and paused: keep the connection, skip the frame
                        }
                    }
                    if !handOff.put(out) { return }
                }
            } catch {
                if stopFlag.isRequested { break }
                if !retry(after: error, attempt: &attempt) { return }
            }
        }
    }

    private var sourceInfoIsFile: Bool { !(infoBox.withLock { $0?.isLive } ?? false) }

    /// Decides whether to reconnect after `error`; sleeps the backoff. False = give up.
    private func retry(after error: any Error, attempt: inout Int) -> Bool {
        let message = String(describing: error)
        guard let policy = config.reconnect else {
            errorBox.withLock { $0 = message }
            setState(.failed(message))
            return false
        }
        attempt += 1
        if let maxAttempts = policy.maxAttempts, attempt > maxAttempts {
            errorBox.withLock { $0 = message }
            setState(.failed(message))
            return false
        }
        let delay = policy.delay(forAttempt: attempt)
        statsBox.withLock { $0.reconnects += 1; $0.noReadReason = .reconnecting }
        setState(.reconnecting(attempt: attempt, delaySeconds: delay, reason: message))
        sleepInterruptibly(delay)
        return !stopFlag.isRequested
    }

    // MARK: Recognize side

    private func recognizeLoop() {
        let stage: any RecognitionStage
        do {
            stage = try makeStage()
        } catch {
            errorBox.withLock { $0 = String(describing: error) }
            setState(.failed(String(describing: error)))
            stopFlag.request()
            handOff.close()
            return
        }
        var meter = RateMeter()
        var locate = SmoothedValue(), recognize = SmoothedValue()
        var lastRecognizedPts: Double? = nil
        while true {
            guard let frame = handOff.take(timeoutSeconds: 0.1) else {
                if handOff.isClosedAndEmpty { return }
                continue
            }
            if let cap = config.maxRecognitionFPS, cap > 0, let last = lastRecognizedPts,
               frame.ptsSeconds - last < 1 / cap - 1e-6 {
                statsBox.withLock { $0.framesSkipped += 1 }
                continue
            }
            lastRecognizedPts = frame.ptsSeconds
            do {
                let result = try stage.process(frame)
                let t = now
                meter.tick(at: t)
                locate.add(result.locateMilliseconds)
                recognize.add(result.recognizeMilliseconds)
                statsBox.withLock { s in
                    s.framesRecognized += 1
                    s.platesRead += result.plates.count
                    s.recognizeFPS = meter.rate
                    s.locateMilliseconds = locate.value
                    s.recognizeMilliseconds = recognize.value
                    if result.plates.isEmpty && result.boxes.isEmpty { s.noReadReason = .noPlateFound }
                }
                onResult?(result)
            } catch {
                errorBox.withLock { $0 = String(describing: error) }
                setState(.failed(String(describing: error)))
                stopFlag.request()
                handOff.close()
                return
            }
        }
    }
}
