import Foundation
import Testing
@testable import PlatetopCore

/// CTC decoding on hand-made logits (class-major `[c * T + t]`).
struct RecognizeCTCTests {
    let alphabet = ["A", "B", "C", "-"]
    let blank = 3

    /// Logits that put probability `p` on `best[t]` at each step (rest spread evenly).
    func logits(_ best: [Int], p: Float = 0.9, classes: Int = 4) -> [Float] {
        let T = best.count
        var l = [Float](repeating: 0, count: classes * T)
        let other = (1 - p) / Float(classes - 1)
        for t in 0..<T {
            for c in 0..<classes { l[c * T + t] = log(c == best[t] ? p : other) }
        }
        return l
    }

    @Test func greedyMergesRepeatsAndDropsBlanks() {
        // A A - A B B - - C  -> "AABC"
        let r = CTCDecoder.greedy.decode(logits: logits([0, 0, 3, 0, 1, 1, 3, 3, 2]), classCount: 4, timeSteps: 9,
                                         alphabet: alphabet, blankIndex: blank)
        #expect(r.text == "AABC")
        #expect(r.characters.map(\.character) == ["A", "A", "B", "C"])
        #expect(r.characters.map(\.timeStep) == [0, 3, 4, 8])
        for c in r.characters { #expect(abs(c.confidence - 0.9) < 1e-5) }
        #expect(abs(r.confidence - pow(0.9, 4)) < 1e-5)
    }

    /// `bestRead` takes the most probable accepted text among the beam's candidates. Greedy reads
    /// "AC" (A, A, C collapse); the best three-letter text is "ABC" (A, B, C: 0.9 x 0.4 x 0.9).
    @Test func bestReadTakesTheMostProbableAcceptedCandidate() {
        let p: [[Float]] = [[0.9, 0.04, 0.03, 0.03], [0.5, 0.4, 0.05, 0.05], [0.04, 0.03, 0.9, 0.03]]
        var l = [Float](repeating: 0, count: 4 * 3)
        for t in 0..<3 { for c in 0..<4 { l[c * 3 + t] = log(p[t][c]) } }
        let greedy = CTCDecoder.greedy.decode(logits: l, classCount: 4, timeSteps: 3, alphabet: alphabet, blankIndex: blank)
        #expect(greedy.text == "AC")
        let r = CTCDecoder.bestRead(logits: l, classCount: 4, timeSteps: 3, alphabet: alphabet, blankIndex: blank,
                                    width: 8) { $0.count == 3 }
        #expect(r?.text == "ABC")
        #expect(r?.characters.map(\.timeStep) == [0, 1, 2])
        #expect(abs((r?.characters[1].confidence ?? 0) - 0.4) < 1e-5)
        #expect(abs((r?.confidence ?? 0) - 0.9 * 0.4 * 0.9) < 1e-5)
        // The most probable text itself when it is accepted, as the beam decoder reads it.
        let first = CTCDecoder.bestRead(logits: l, classCount: 4, timeSteps: 3, alphabet: alphabet, blankIndex: blank,
                                        width: 8) { _ in true }
        #expect(first == CTCDecoder.beam(width: 8).decode(logits: l, classCount: 4, timeSteps: 3, alphabet: alphabet, blankIndex: blank))
        #expect(first?.text == "AC")
        // Width 1 looks at "AC" alone; nothing accepted gives nil.
        #expect(CTCDecoder.bestRead(logits: l, classCount: 4, timeSteps: 3, alphabet: alphabet, blankIndex: blank,
                                    width: 1) { $0.count == 3 } == nil)
        #expect(CTCDecoder.bestRead(logits: l, classCount: 4, timeSteps: 3, alphabet: alphabet, blankIndex: blank,
                                    width: 8) { $0.count == 5 } == nil)
    }

    @Test func blankOnlyIsEmptyWithZeroConfidence() {
        let r = CTCDecoder.greedy.decode(logits: logits([3, 3, 3, 3]), classCount: 4, timeSteps: 4,
                                         alphabet: alphabet, blankIndex: blank)
        #expect(r.text == "")
        #expect(r.characters.isEmpty)
        #expect(r.confidence == 0)
        let b = CTCDecoder.beam(width: 4).decode(logits: logits([3, 3, 3, 3]), classCount: 4, timeSteps: 4,
                                                 alphabet: alphabet, blankIndex: blank)
        #expect(b.text == "")
    }

    @Test func runConfidenceIsMaxOverRunAndTimeStepItsArgmax() {
        // B over 3 steps with probabilities 0.5, 0.8, 0.6.
        var l = logits([1, 1, 1, 3])
        let T = 4
        for (t, p) in [(0, Float(0.5)), (1, 0.8), (2, 0.6)] {
            let o = (1 - p) / 3
            for c in 0..<4 { l[c * T + t] = log(c == 1 ? p : o) }
        }
        let r = CTCDecoder.greedy.decode(logits: l, classCount: 4, timeSteps: T, alphabet: alphabet, blankIndex: blank)
        #expect(r.text == "B")
        #expect(r.characters[0].timeStep == 1)
        #expect(abs(r.characters[0].confidence - 0.8) < 1e-5)
    }

    @Test func softmaxIsShiftInvariant() {
        let base = logits([0, 3, 1])
        let shifted = base.map { $0 + 1000 }
        let a = CTCDecoder.greedy.decode(logits: base, classCount: 4, timeSteps: 3, alphabet: alphabet, blankIndex: blank)
        let b = CTCDecoder.greedy.decode(logits: shifted, classCount: 4, timeSteps: 3, alphabet: alphabet, blankIndex: blank)
        #expect(a.text == "AB" && b.text == "AB")
        #expect(abs(a.confidence - b.confidence) < 1e-5)
    }

    /// Two steps, P(A)=0.4, P(blank)=0.6 each: greedy's best path is "--" (0.36) → "", but the
    /// label "A" has probability 0.4·0.4 + 0.4·0.6 + 0.6·0.4 = 0.64 summed over its paths.
    @Test func beamBeatsGreedyWhenPathsSum() {
        let classes = 2, T = 2
        var l = [Float](repeating: 0, count: classes * T)
        for t in 0..<T { l[0 * T + t] = log(0.4); l[1 * T + t] = log(0.6) }
        let ab = ["A", "-"]
        let g = CTCDecoder.greedy.decode(logits: l, classCount: classes, timeSteps: T, alphabet: ab, blankIndex: 1)
        let b = CTCDecoder.beam(width: 3).decode(logits: l, classCount: classes, timeSteps: T, alphabet: ab, blankIndex: 1)
        #expect(g.text == "")
        #expect(b.text == "A")
        #expect(b.characters.count == 1)
        #expect(abs(b.characters[0].confidence - 0.4) < 1e-5)
    }

    /// A three-class version where the beam must keep a repeated character apart with a blank.
    @Test func beamKeepsDoubleLettersSeparatedByBlank() {
        let r = CTCDecoder.beam(width: 5).decode(logits: logits([0, 3, 0, 0, 3, 1]), classCount: 4, timeSteps: 6,
                                                 alphabet: alphabet, blankIndex: blank)
        #expect(r.text == "AAB")
        #expect(r.characters.map(\.timeStep) == [0, 2, 5])
    }

    @Test func beamAgreesWithGreedyOnPeakedLogits() {
        var rng = RecognizeFixtures.RNG(state: 99)
        for _ in 0..<50 {
            let path = (0..<12).map { _ in rng.int(4) }
            let l = logits(path, p: 0.97)
            let g = CTCDecoder.greedy.decode(logits: l, classCount: 4, timeSteps: 12, alphabet: alphabet, blankIndex: blank)
            let b = CTCDecoder.beam(width: 8).decode(logits: l, classCount: 4, timeSteps: 12, alphabet: alphabet, blankIndex: blank)
            #expect(g == b)
        }
    }
}
