/// A distinct full-text read of one event, with how often and how confidently it was read.
public struct VoteCandidate: Sendable, Equatable, Codable {
    /// The text exactly as read.
    public let text: String
    /// Number of reads with this text.
    public let votes: Int
    /// Sum of those reads' plate confidences.
    public let totalConfidence: Double
    /// `totalConfidence / votes`.
    public var meanConfidence: Double { votes > 0 ? totalConfidence / Double(votes) : 0 }

    public init(text: String, votes: Int, totalConfidence: Double) {
        self.text = text; self.votes = votes; self.totalConfidence = totalConfidence
    }

    /// Most votes first, then higher summed confidence, then text order.
    static func ordered(_ a: VoteCandidate, _ b: VoteCandidate) -> Bool {
        if a.votes != b.votes { return a.votes > b.votes }
        if a.totalConfidence != b.totalConfidence { return a.totalConfidence > b.totalConfidence }
        return a.text < b.text
    }
}

/// Per-character, confidence-weighted voting over the reads of one plate event.
///
/// Algorithm:
/// 1. The reference is the weighted medoid: the distinct text with the smallest sum over all reads of
///    `plate confidence × edit distance` to it (ties: more votes, then more summed confidence, then text order).
/// 2. Every read is aligned to the reference by a minimum-edit alignment. Each reference position and
///    each gap between positions (before, between, after) is a *slot*.
/// 3. In a reference slot a read votes for its aligned character with that character's confidence (its
///    `CharacterRead.confidence` when the read has one per character, else the plate confidence), or
///    for "no character" with its plate confidence when the alignment deletes it. In a gap slot a read
///    votes for the characters it inserts there (weight: their mean confidence) or for "nothing"
///    (weight: its plate confidence).
/// 4. Each slot's heaviest choice wins (ties: the reference's choice, then text order); the winners in
///    order form the text.
///
/// A character's confidence is the summed weight of its winning votes divided by the number of reads,
/// i.e. the mean over all reads of the confidence each gave to the winner (0 for a read that disagreed).
/// A unanimous `0.9` gives `0.9`; 6 reads at `0.9` against 4 at `0.6` give `0.54`.
/// The plate confidence is the mean of the character confidences.
public enum PlateVote {
    /// The outcome of a vote.
    public struct Result: Sendable, Equatable {
        /// The voted text ("" when there were no non-empty reads).
        public let text: String
        /// One confidence per `Character` of `text`, 0...1.
        public let characterConfidences: [Float]
        /// Mean of `characterConfidences` (0 for an empty text).
        public let confidence: Float
        /// Distinct full texts, most votes first (then summed confidence, then text).
        public let candidates: [VoteCandidate]
        /// Number of non-empty reads that voted.
        public let reads: Int
    }

    /// Votes over `reads`; reads with empty text are ignored.
    /// - Parameter reads: The recognizer's reads of one plate, in any order.
    /// - Returns: The consensus text with per-character confidences and the candidate list.
    public static func vote(_ reads: [PlateRead]) -> Result {
        let reads = reads.filter { !$0.text.isEmpty }
        guard !reads.isEmpty else {
            return Result(text: "", characterConfidences: [], confidence: 0, candidates: [], reads: 0)
        }
        // Votes are linear in the weights, so reads with the same text are summed first (one pass) and
        // each distinct text is aligned once.
        var index: [String: Int] = [:]
        var texts: [String] = [], counts: [Int] = [], plates: [Double] = [], weights: [[Double]] = []
        for read in reads {
            let g: Int
            if let i = index[read.text] {
                g = i
            } else {
                g = texts.count
                index[read.text] = g
                texts.append(read.text); counts.append(0); plates.append(0)
                weights.append([Double](repeating: 0, count: read.text.count))
            }
            counts[g] += 1
            plates[g] += Double(read.confidence)
            if read.characters.count == weights[g].count {
                for i in read.characters.indices { weights[g][i] += Double(read.characters[i].confidence) }
            } else {
                for i in weights[g].indices { weights[g][i] += Double(read.confidence) }
            }
        }
        let candidates = texts.indices.map { VoteCandidate(text: texts[$0], votes: counts[$0], totalConfidence: plates[$0]) }
            .sorted(by: VoteCandidate.ordered)
        let reference = medoid(candidates)
        let ref = Array(reference)
        // Slot 2k+1 is reference position k; slot 2k is the gap before it; slot 2n is after the end.
        var slots = [[String: Double]](repeating: [:], count: 2 * ref.count + 1)
        for candidate in candidates {
            let chars = Array(candidate.text)
            let g = index[candidate.text]!
            let group = (weights: weights[g], plate: plates[g])
            var inserted = [Int: (text: String, weight: Double, count: Int)]()
            for step in PlateText.align(ref, chars) {
                switch step {
                case let .match(r, c):
                    slots[2 * r + 1][String(chars[c]), default: 0] += group.weights[c]
                case let .deletion(r):
                    slots[2 * r + 1]["", default: 0] += group.plate
                case let .insertion(c, before):
                    var entry = inserted[before] ?? ("", 0, 0)
                    entry.text.append(chars[c]); entry.weight += group.weights[c]; entry.count += 1
                    inserted[before] = entry
                }
            }
            for gap in 0...ref.count {
                if let entry = inserted[gap] {
                    slots[2 * gap][entry.text, default: 0] += entry.weight / Double(entry.count)
                } else {
                    slots[2 * gap]["", default: 0] += group.plate
                }
            }
        }
        var text = ""
        var confidences: [Float] = []
        let n = Double(reads.count)
        for (s, votes) in slots.enumerated() {
            let referenceChoice = s % 2 == 1 ? String(ref[s / 2]) : ""
            let winner = votes.max { a, b in
                if a.value != b.value { return a.value < b.value }
                if (a.key == referenceChoice) != (b.key == referenceChoice) { return b.key == referenceChoice }
                return a.key > b.key
            }!
            guard !winner.key.isEmpty else { continue }
            let confidence = Float(min(1, max(0, winner.value / n)))
            for ch in winner.key {
                text.append(ch)
                confidences.append(confidence)
            }
        }
        let plate = confidences.isEmpty ? 0 : confidences.reduce(0, +) / Float(confidences.count)
        return Result(text: text, characterConfidences: confidences, confidence: plate, candidates: candidates, reads: reads.count)
    }

    /// Distinct texts with vote counts and summed confidences, ordered.
    static func tally(_ reads: [PlateRead]) -> [VoteCandidate] {
        var order: [String] = []
        var sums: [String: (Int, Double)] = [:]
        for read in reads {
            if sums[read.text] == nil { order.append(read.text) }
            let s = sums[read.text] ?? (0, 0)
            sums[read.text] = (s.0 + 1, s.1 + Double(read.confidence))
        }
        return order.map { VoteCandidate(text: $0, votes: sums[$0]!.0, totalConfidence: sums[$0]!.1) }
            .sorted(by: VoteCandidate.ordered)
    }

    /// The weighted medoid of the candidates' texts.
    static func medoid(_ candidates: [VoteCandidate]) -> String {
        let texts = candidates.map { Array($0.text) }
        var best = 0
        var bestCost = Double.infinity
        for i in candidates.indices {
            var cost = 0.0
            for (j, other) in candidates.enumerated() where i != j {
                cost += other.totalConfidence * Double(PlateText.editDistance(texts[i], texts[j]))
            }
            // `candidates` is already ordered by votes/confidence/text, so a strict `<` keeps the tie-break.
            if cost < bestCost - 1e-9 { best = i; bestCost = cost }
        }
        return candidates[best].text
    }
}
