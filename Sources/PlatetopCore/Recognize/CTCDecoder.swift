import Foundation

/// Turns CTC logits into a ``PlateRead``.
///
/// Input: raw scores, class-major (`logits[c * timeSteps + t]`); a softmax over classes is
/// taken at every time step.
///
/// - `greedy`: best class per step, merge repeats, drop blanks.
/// - `beam(width:)`: CTC prefix beam search in log space (sums the probability of all
///   alignments of a prefix, so it can beat greedy when several paths share a label).
///
/// `bestRead(logits:…:accepting:)` is the format-aware variant: the most probable of the
/// prefix beam's candidate texts that a predicate (a stream's plate formats) accepts.
///
/// Per character (all): `confidence` is the softmax probability of the character's class,
/// maximised over the run of steps that emitted it in the most probable alignment of the
/// decoded text (for greedy that alignment is the greedy path itself); `timeStep` is the step of
/// that maximum. Plate `confidence` is the product of the character confidences (0 for an
/// empty read), so it lies in 0...1 and falls with any doubtful character.
public enum CTCDecoder: Sendable, Equatable {
    case greedy
    case beam(width: Int)

    public func decode(logits: UnsafeBufferPointer<Float>, classCount: Int, timeSteps: Int,
                       alphabet: [String], blankIndex: Int) -> PlateRead {
        precondition(logits.count >= classCount * timeSteps && alphabet.count >= classCount && blankIndex < classCount)
        if timeSteps == 0 || classCount == 0 { return PlateRead(text: "", confidence: 0, characters: []) }
        let prob = Self.softmax(logits, classCount: classCount, timeSteps: timeSteps)
        let labels: [Int]
        switch self {
        case .greedy:
            return Self.greedy(prob: prob, classCount: classCount, timeSteps: timeSteps, alphabet: alphabet, blank: blankIndex)
        case .beam(let width):
            labels = Self.prefixBeam(prob: prob, classCount: classCount, timeSteps: timeSteps, blank: blankIndex, width: max(1, width))
        }
        let path = Self.bestAlignment(labels: labels, prob: prob, classCount: classCount, timeSteps: timeSteps, blank: blankIndex)
        return Self.read(path: path, prob: prob, classCount: classCount, timeSteps: timeSteps, alphabet: alphabet, blank: blankIndex)
    }

    /// Convenience for arrays.
    public func decode(logits: [Float], classCount: Int, timeSteps: Int, alphabet: [String], blankIndex: Int) -> PlateRead {
        logits.withUnsafeBufferPointer {
            decode(logits: $0, classCount: classCount, timeSteps: timeSteps, alphabet: alphabet, blankIndex: blankIndex)
        }
    }

    /// The most probable text that `accept` takes, among the `width` best texts of a prefix beam
    /// search (best first; ties in text order; steps where a class has probability at most
    /// ``candidateFloor`` do not extend a candidate by it), as a read with the usual per-character
    /// confidences; nil when none of them is accepted.
    ///
    /// Used for streams with plate formats: a read such as `AAHG2618` that no format allows is
    /// replaced by the best candidate that one does (`AHG2618`), with the probabilities the model
    /// gave it, so a candidate the model found unlikely keeps a low confidence.
    /// - Parameters:
    ///   - logits: Class-major raw scores, as for ``decode(logits:classCount:timeSteps:alphabet:blankIndex:)``.
    ///   - width: Beam width, which is also the number of candidate texts looked at (at least 1).
    ///   - accept: Whether a candidate text is acceptable (e.g. matches a plate format).
    public static func bestRead(logits: UnsafeBufferPointer<Float>, classCount: Int, timeSteps: Int,
                                alphabet: [String], blankIndex: Int, width: Int,
                                accepting accept: (String) -> Bool) -> PlateRead? {
        precondition(logits.count >= classCount * timeSteps && alphabet.count >= classCount && blankIndex < classCount)
        if timeSteps == 0 || classCount == 0 { return nil }
        let prob = softmax(logits, classCount: classCount, timeSteps: timeSteps)
        let candidates = prefixBeamCandidates(prob: prob, classCount: classCount, timeSteps: timeSteps,
                                              blank: blankIndex, width: max(1, width),
                                              floor: candidateFloor)
        for labels in candidates where accept(labels.map { alphabet[$0] }.joined()) {
            let path = bestAlignment(labels: labels, prob: prob, classCount: classCount, timeSteps: timeSteps, blank: blankIndex)
            return read(path: path, prob: prob, classCount: classCount, timeSteps: timeSteps, alphabet: alphabet, blank: blankIndex)
        }
        return nil
    }

    /// `bestRead` does not extend a candidate by a class of at most this probability at a step. On the
    /// 342 BR validation crops, every one sent through `bestRead` (`bench/format_decoding.sh`), `eval`
    /// took 1.9 s with this floor and 4.9 s with none (a temporary build, 2026-12-06), every read the same.
    static let candidateFloor: Float = 1e-4

    /// Convenience for arrays.
    public static func bestRead(logits: [Float], classCount: Int, timeSteps: Int, alphabet: [String], blankIndex: Int,
                                width: Int, accepting accept: (String) -> Bool) -> PlateRead? {
        logits.withUnsafeBufferPointer {
            bestRead(logits: $0, classCount: classCount, timeSteps: timeSteps, alphabet: alphabet, blankIndex: blankIndex,
                     width: width, accepting: accept)
        }
    }

    /// Softmax over classes per time step; result is time-major `[t][c]`.
    static func softmax(_ logits: UnsafeBufferPointer<Float>, classCount: Int, timeSteps: Int) -> [Float] {
        var p = [Float](repeating: 0, count: classCount * timeSteps)
        for t in 0..<timeSteps {
            var m = -Float.infinity
            for c in 0..<classCount { m = max(m, logits[c * timeSteps + t]) }
            var s: Float = 0
            for c in 0..<classCount {
                let e = m.isFinite ? exp(logits[c * timeSteps + t] - m) : 1
                p[t * classCount + c] = e
                s += e
            }
            for c in 0..<classCount { p[t * classCount + c] /= s }
        }
        return p
    }

    private static func greedy(prob: [Float], classCount: Int, timeSteps: Int, alphabet: [String], blank: Int) -> PlateRead {
        var path = [Int](repeating: blank, count: timeSteps)
        for t in 0..<timeSteps {
            var best = 0
            for c in 1..<classCount where prob[t * classCount + c] > prob[t * classCount + best] { best = c }
            path[t] = best
        }
        return read(path: path, prob: prob, classCount: classCount, timeSteps: timeSteps, alphabet: alphabet, blank: blank)
    }

    /// Collapses a frame-level path into characters with run-max confidences.
    private static func read(path: [Int], prob: [Float], classCount: Int, timeSteps: Int, alphabet: [String], blank: Int) -> PlateRead {
        var chars: [CharacterRead] = []
        var t = 0
        while t < timeSteps {
            let c = path[t]
            var end = t
            while end + 1 < timeSteps && path[end + 1] == c { end += 1 }
            if c != blank {
                var bestT = t
                for s in t...end where prob[s * classCount + c] > prob[bestT * classCount + c] { bestT = s }
                chars.append(CharacterRead(character: alphabet[c], confidence: prob[bestT * classCount + c], timeStep: bestT))
            }
            t = end + 1
        }
        let confidence: Float = chars.isEmpty ? 0 : chars.reduce(1) { $0 * $1.confidence }
        return PlateRead(text: chars.map(\.character).joined(), confidence: confidence, characters: chars)
    }

    private static func logAdd(_ a: Float, _ b: Float) -> Float {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        let m = max(a, b)
        return m + log(exp(a - m) + exp(b - m))
    }

    private struct Beam { var blank: Float; var nonBlank: Float; var total: Float { logAdd(blank, nonBlank) } }

    /// Prefix beam search; returns the label sequence (class ids) of the best prefix.
    static func prefixBeam(prob: [Float], classCount: Int, timeSteps: Int, blank: Int, width: Int) -> [Int] {
        prefixBeamCandidates(prob: prob, classCount: classCount, timeSteps: timeSteps, blank: blank, width: width).first ?? []
    }

    /// Prefix beam search; returns the label sequences (class ids) of the final beam, most probable first
    /// (equal probabilities in label order).
    /// Classes of probability `floor` or less at a step are not extended there (0: only impossible ones).
    static func prefixBeamCandidates(prob: [Float], classCount: Int, timeSteps: Int, blank: Int, width: Int,
                                     floor: Float = 0) -> [[Int]] {
        var beams: [[Int]: Beam] = [[]: Beam(blank: 0, nonBlank: -.infinity)]
        for t in 0..<timeSteps {
            var next: [[Int]: Beam] = [:]
            func add(_ prefix: [Int], blank b: Float = -.infinity, nonBlank nb: Float = -.infinity) {
                var e = next[prefix] ?? Beam(blank: -.infinity, nonBlank: -.infinity)
                e.blank = logAdd(e.blank, b)
                e.nonBlank = logAdd(e.nonBlank, nb)
                next[prefix] = e
            }
            for (prefix, beam) in beams {
                let total = beam.total
                for c in 0..<classCount {
                    let p = prob[t * classCount + c]
                    if p <= floor { continue }
                    let lp = log(p)
                    if c == blank {
                        add(prefix, blank: total + lp)
                    } else if c == prefix.last {
                        add(prefix + [c], nonBlank: beam.blank + lp)   // repeat after a blank
                        add(prefix, nonBlank: beam.nonBlank + lp)      // repeat collapses
                    } else {
                        add(prefix + [c], nonBlank: total + lp)
                    }
                }
            }
            let kept = next.sorted { a, b in
                let ta = a.value.total, tb = b.value.total
                return ta != tb ? ta > tb : a.key.lexicographicallyPrecedes(b.key)
            }.prefix(width)
            beams = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        }
        return beams.sorted { a, b in
            let ta = a.value.total, tb = b.value.total
            return ta != tb ? ta > tb : a.key.lexicographicallyPrecedes(b.key)
        }.map(\.key)
    }

    /// The most probable frame path (Viterbi) that collapses to `labels`.
    static func bestAlignment(labels: [Int], prob: [Float], classCount: Int, timeSteps: Int, blank: Int) -> [Int] {
        // Extended sequence: blank, l1, blank, l2, ..., blank.
        var ext = [blank]
        for l in labels { ext.append(l); ext.append(blank) }
        let s = ext.count
        let neg = -Float.infinity
        var score = [Float](repeating: neg, count: s * timeSteps)
        var from = [Int](repeating: -1, count: s * timeSteps)
        func lp(_ t: Int, _ c: Int) -> Float { let p = prob[t * classCount + c]; return p > 0 ? log(p) : neg }
        score[0] = lp(0, ext[0])
        if s > 1 { score[1] = lp(0, ext[1]) }
        for t in 1..<max(timeSteps, 1) {
            for j in 0..<s {
                var best = score[(t - 1) * s + j], arg = j
                if j >= 1 && score[(t - 1) * s + j - 1] > best { best = score[(t - 1) * s + j - 1]; arg = j - 1 }
                if j >= 2 && ext[j] != blank && ext[j] != ext[j - 2] && score[(t - 1) * s + j - 2] > best {
                    best = score[(t - 1) * s + j - 2]; arg = j - 2
                }
                if best == neg { continue }
                score[t * s + j] = best + lp(t, ext[j])
                from[t * s + j] = arg
            }
        }
        let last = timeSteps - 1
        var j = s - 1
        if s > 1 && score[last * s + s - 2] > score[last * s + s - 1] { j = s - 2 }
        if score[last * s + j] == neg {
            // No alignment fits (more labels than steps allow): fall back to greedy labels.
            return (0..<timeSteps).map { t in (0..<classCount).max { prob[t * classCount + $0] < prob[t * classCount + $1] }! }
        }
        var path = [Int](repeating: blank, count: timeSteps)
        for t in stride(from: last, through: 0, by: -1) {
            path[t] = ext[j]
            if t > 0 { j = from[t * s + j] }
        }
        return path
    }
}
