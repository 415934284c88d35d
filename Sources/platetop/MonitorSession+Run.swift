import Foundation
import PlatetopCore
import PlatetopDashboard
import PlatetopTerminal
import PlatetopVideo

extension MonitorSession {
    // MARK: Recognize queue

    /// Tracks one frame's reads, prints headless read lines, hands closed events to the log queue.
    func handle(_ result: FrameResult, runner: StreamRunner) {
        let t0 = ContinuousClock.now
        let spec = runner.spec
        let minConfidence = currentThreshold
        if runner.tracker.configuration.minConfidence != minConfidence {
            runner.tracker.configuration.minConfidence = minConfidence   // the dashboard's +/- threshold
        }
        let rules = runner.tracker.configuration.formatRules
        var closed: [PlateEvent] = []
        var reason: DashboardState.NoReadReason = result.boxes.isEmpty ? .noPlateFound : .none
        for plate in result.plates {
            if settings.headless {
                let b = plate.box
                Output.line("{\"type\":\"read\",\"stream\":\(jsonString(spec.name)),\"frame\":\(result.frameIndex),\"pts\":\(jsonNumber(result.ptsSeconds, digits: 6)),\"text\":\(jsonString(plate.read.text)),\"confidence\":\(jsonNumber(Double(plate.read.confidence))),\"roi\":[\(b.x),\(b.y),\(b.width),\(b.height)]}")
            }
            if plate.read.text.count < spec.minLength {
                reason = .noPlateFound
                continue
            }
            if plate.read.confidence < minConfidence {
                reason = .belowThreshold(plate.read.confidence)
            } else if !rules.patterns.isEmpty, rules.apply(to: plate.read.text).matchedPattern == nil {
                reason = .patternMismatch(plate.read.text)
            }
            let obs = PlateObservation(stream: spec.name, frameIndex: result.frameIndex, ptsSeconds: result.ptsSeconds,
                                       wallTime: result.wallTime, box: plate.box, read: plate.read, crop: plate.crop)
            closed += runner.tracker.ingest(obs)
        }
        closed += runner.tracker.advance(stream: spec.name, toPts: result.ptsSeconds)
        let open = runner.tracker.openEvents.filter { $0.stream == spec.name }
        submit(closed, runner: runner)
        let trackMs = Double((ContinuousClock.now - t0).components.attoseconds) * 1e-15
            + Double((ContinuousClock.now - t0).components.seconds) * 1000
        runner.pipeline.addTrackMilliseconds(trackMs)

        // Dashboard view of this frame.
        var preview: DashboardState.Preview?
        if let frame = result.frame {
            let w = min(frame.width, 192)
            let h = max(1, frame.height * w / max(frame.width, 1))
            var overlays = result.boxes.map { DashboardState.Overlay(rect: $0, kind: .roi) }
            overlays += result.plates.filter { !$0.read.text.isEmpty }.map { DashboardState.Overlay(rect: $0.box, kind: .plate) }
            preview = DashboardState.Preview(image: frame.resized(width: w, height: h), overlays: overlays,
                                             frameWidth: frame.width, frameHeight: frame.height)
        }
        let best = result.plates.filter { !$0.read.text.isEmpty }.max { $0.read.confidence < $1.read.confidence }
        runner.live.withLock { v in
            if let p = preview { v.preview = p }
            v.reason = reason
            if let event = open.max(by: { $0.lastPts < $1.lastPts }) {
                v.liveRead = DashboardState.LiveRead(
                    text: event.text, characterConfidences: event.characterConfidences, confidence: event.confidence,
                    candidates: event.candidates.map { DashboardState.Candidate(text: $0.text, votes: $0.votes) })
                v.lastReadPts = result.ptsSeconds
            } else if let best {
                v.liveRead = DashboardState.LiveRead(text: best.read.text, characterConfidences: best.read.characters.map(\.confidence),
                                                     confidence: best.read.confidence)
                v.lastReadPts = result.ptsSeconds
            }
        }
    }

    /// Appends closed events to the log (flushed) on the log queue, then reports them.
    func submit(_ closed: [PlateEvent], runner: StreamRunner) {
        guard !closed.isEmpty else { return }
        let headless = settings.headless
        logQueue.async { [self] in
            for var event in closed {
                if let log = runner.log {
                    do {
                        event = try log.append(event)
                    } catch {
                        Output.error("cannot write the detection log: \(String(describing: error))")
                    }
                }
                events.withLock { $0.append(event) }
                if headless { Output.line("{\"type\":\"event\",\(Self.eventJSONBody(event))}") }
            }
        }
    }

    /// The event's log line without its braces, so headless output can prefix a type.
    static func eventJSONBody(_ event: PlateEvent) -> String {
        var line = DetectionLog.encodeLine(event)
        while line.hasSuffix("\n") { line.removeLast() }
        return String(line.dropFirst().dropLast())
    }

    func report(_ state: SourceState, runner: StreamRunner) {
        guard settings.headless else { return }
        let name = runner.spec.name
        switch state {
        case let .reconnecting(attempt, delay, reason):
            Output.errorLine("platetop: stream '\(name)': \(reason); reconnecting in \(jsonNumber(delay, digits: 1)) s (attempt \(attempt))")
        case .live:
            if runner.pipeline.stats.reconnects > 0 { Output.errorLine("platetop: stream '\(name)': connected") }
        default:
            break
        }
    }

    var currentThreshold: Float { threshold.withLock { $0 } }

    // MARK: Main thread

    /// Runs until every stream ended, the user quits, or a signal arrives. Returns the exit code.
    func run() throws -> Int32 {
        defer { signals.uninstall() }
        if !settings.headless {
            do {
                _ = try DashboardLoop.checkTerminalSize()
            } catch {
                throw RuntimeFailure(String(describing: error))
            }
            FFmpegLog.echoToStderr = false
        } else {
            FFmpegLog.echoToStderr = false
        }
        // A bad --theme is a usage mistake in headless runs too: report it before any stream opens.
        let themes = settings.headless && settings.theme == nil ? [] : try selectThemes()
        if signals.stopRequested { return try finish(exitCode: signals.receivedSignal == SIGINT ? 130 : 0) }
        for r in runners { r.pipeline.start() }
        var exitCode: Int32 = 0
        if settings.headless {
            while !allEnded && !signals.stopRequested { usleep(20_000) }
            if let sig = signals.receivedSignal, sig == SIGINT { exitCode = 130 }
        } else {
            exitCode = try runDashboard(themes: themes)
        }
        for r in runners { r.pipeline.stop() }
        for r in runners { r.pipeline.wait(timeoutSeconds: 5) }
        // Close the events still open; the pipelines are idle now, so the trackers are ours.
        for r in runners { submit(r.tracker.finish(), runner: r) }
        logQueue.sync {}
        return try finish(exitCode: exitCode)
    }

    /// Closes the events still open on streams whose pipeline has ended (its worker finished, so the
    /// tracker is ours): the last vehicle of a replay held with `--hold` reaches the log and the history
    /// when the footage ends, not only when the user quits. Main thread; once per stream.
    private func closeEndedStreams() {
        for r in runners where !r.closedAtEnd && Self.hasEnded(r) {
            r.closedAtEnd = true
            submit(r.tracker.finish(), runner: r)
        }
    }

    private var allEnded: Bool { runners.allSatisfy(Self.hasEnded) }

    /// The stream ended or failed and its pipeline's worker has finished (nothing else touches its tracker).
    private static func hasEnded(_ r: StreamRunner) -> Bool {
        switch r.pipeline.state {
        case .ended, .failed: return r.pipeline.wait(timeoutSeconds: 0)
        default: return false
        }
    }

    /// The theme `--theme` names (else the default) first, then the others the `t` key cycles through.
    private func selectThemes() throws -> [Theme] {
        let searchDirs = ThemeLoader.searchDirectories(executablePath: CommandLine.arguments[0])
        let theme: Theme
        do {
            theme = try ThemeLoader.select(explicit: settings.theme, searchDirectories: searchDirs)
        } catch {
            throw RuntimeFailure(String(describing: error))
        }
        return ThemeLoader.cycle(startingWith: theme, searchDirectories: searchDirs)
    }

    private func runDashboard(themes: [Theme]) throws -> Int32 {
        var selected = 0
        let loop = DashboardLoop(signalGuard: signals)
        let reason: ExitReason
        do {
            reason = try loop.run(themes: themes, snapshot: { self.snapshot(selected: selected) }, apply: { effect in
                self.apply(effect, selected: &selected)
            }, shouldStop: {
                self.closeEndedStreams()
                return !self.settings.holdAtEnd && self.allEnded
            })
        } catch {
            throw RuntimeFailure(String(describing: error))
        }
        if case .signal(let sig) = reason, sig == SIGINT { return 130 }
        return 0
    }

    private func apply(_ effect: UIEffect, selected: inout Int) {
        let runner = runners[min(selected, runners.count - 1)]
        switch effect {
        case .togglePause:
            for r in runners { r.pipeline.setPaused(!r.pipeline.isPaused) }
        case .step:
            runner.pipeline.step()
        case .resetCounters:
            for r in runners { r.pipeline.resetCounters() }
        case .setThreshold(let t):
            threshold.withLock { $0 = min(max(t, 0), 1) }
        case let .nudgeROI(dx, dy, dw, dh):
            if let roi = runner.region.region, let info = runner.pipeline.sourceInfo {
                runner.region.set(roi.nudged(dx: dx, dy: dy, dw: dw, dh: dh, frameWidth: info.width, frameHeight: info.height))
            }
        case .selectStream(let i):
            selected = max(0, min(i, runners.count - 1))
        case .quit, .redraw:
            break
        }
    }

    /// The dashboard snapshot for the selected stream (history from all streams).
    func snapshot(selected: Int) -> DashboardState {
        let runner = runners[min(selected, runners.count - 1)]
        let stats = runner.pipeline.stats
        let info = runner.pipeline.sourceInfo
        let view = runner.live.withLock { v in
            let copy = v
            v.droppedAtLastSnapshot = stats.framesDropped
            return copy
        }
        let mode: DashboardState.Mode
        switch runner.pipeline.state {
        case .connecting: mode = .reconnecting(attempt: 0, inSeconds: 0)
        case .live: mode = .live
        case .paused: mode = .paused
        case let .reconnecting(attempt, delay, _): mode = .reconnecting(attempt: attempt, inSeconds: delay)
        case .ended: mode = .ended
        case .failed(let m): mode = .error(m)
        }
        var reason = view.reason
        if case .reconnecting = runner.pipeline.state { reason = .reconnecting }
        if stats.framesDropped > view.droppedAtLastSnapshot && reason == .none { reason = .frameDropped }
        let timeFormatter = DateFormatter()
        timeFormatter.dateFormat = "HH:mm:ss"
        let history = events.withLock { $0 }.reversed().prefix(1000).map { e in
            DashboardState.HistoryRow(time: timeFormatter.string(from: e.lastSeen), plate: e.text, confidence: e.confidence,
                                      sightings: e.sightings, watchlistLabel: e.watchlistLabel, stream: e.stream)
        }
        var message = ""
        if case .failed(let m) = runner.pipeline.state { message = m }
        return DashboardState(
            header: .init(source: info?.source ?? runner.spec.displayURL,
                          resolution: info.map { "\($0.width)x\($0.height)" } ?? "",
                          codec: info?.codec ?? "", modelName: runner.modelName,
                          elapsedSeconds: Date().timeIntervalSince(startTime), mode: mode),
            stats: .init(decodeFPS: stats.decodeFPS, recognizeFPS: stats.recognizeFPS,
                         decodeMilliseconds: stats.decodeMilliseconds, locateMilliseconds: stats.locateMilliseconds,
                         recognizeMilliseconds: stats.recognizeMilliseconds, trackMilliseconds: stats.trackMilliseconds,
                         queueDepth: stats.queueDepth, droppedFrames: stats.framesDropped,
                         framesDecoded: stats.framesDecoded, framesRecognized: stats.framesRecognized),
            liveRead: view.liveRead, history: Array(history), preview: view.preview, reason: reason, message: message,
            roi: runner.region.region?.description ?? "detector", threshold: currentThreshold,
            tabs: .init(names: runners.map(\.spec.name), selected: selected))
    }

    // MARK: Exit

    /// Prints the summary (after the terminal was restored), writes the dump, returns the exit code.
    private func finish(exitCode: Int32) throws -> Int32 {
        let all = events.withLock { $0 }
        let failures = runners.compactMap { $0.pipeline.failure }
        // A stream that failed before producing anything: just the one-line error.
        if let first = failures.first, all.isEmpty, exitCode == 0 {
            throw RuntimeFailure(first)
        }
        var resightings: [String: PlateTracker.Resightings] = [:]
        for r in runners { resightings.merge(r.tracker.resightings) { a, _ in a } }
        let summary = ExitSummary(events: all, resightings: resightings)
        let headless = settings.headless
        let print: (String) -> Void = { headless ? Output.errorLine($0) : Output.line($0) }
        if !settings.headless || !all.isEmpty {
            print(summary.table())
        }
        for r in runners {
            if let roi = r.region.region {
                print("roi \(r.spec.name): \(roi)")
            }
            if let path = r.log.map({ _ in settings.logPathOverride ?? r.spec.logPath ?? DetectionLog.defaultPath(stream: Self.fileSafe(r.spec.name), date: Date()) }) {
                if !settings.headless { print("log \(r.spec.name): \(path)") }
            }
        }
        if let format = settings.dump {
            let path = settings.dumpPath ?? "platetop-session-\(Self.stamp(startTime)).\(format.rawValue)"
            do {
                try SessionDump.write(format, events: all, to: path)
            } catch {
                throw RuntimeFailure(String(describing: error))
            }
        }
        for r in runners {
            let s = r.pipeline.stats
            let wall = Date().timeIntervalSince(startTime)
            Output.errorLine("summary: stream=\(jsonString(r.spec.name)) decoded=\(s.framesDecoded) recognized=\(s.framesRecognized) dropped=\(s.framesDropped) skipped=\(s.framesSkipped) events=\(all.filter { $0.stream == r.spec.name }.count) wall_s=\(jsonNumber(wall, digits: 2)) decode_fps=\(jsonNumber(wall > 0 ? Double(s.framesDecoded) / wall : 0, digits: 1))")
        }
        if let first = failures.first, exitCode == 0 {
            throw RuntimeFailure(first)
        }
        return exitCode
    }

    static func stamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f.string(from: date)
    }
}
