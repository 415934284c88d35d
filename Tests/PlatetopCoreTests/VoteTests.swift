import Testing
@testable import PlatetopCore

@Suite struct VoteTests {
    @Test func flickerResolvesToMajorityByConfidence() {
        let reads = Array(repeating: makeRead("ABC1234", 0.9), count: 6) + Array(repeating: makeRead("ABC1284", 0.6), count: 4)
        let r = PlateVote.vote(reads)
        #expect(r.text == "ABC1234")
        #expect(r.candidates.map(\.text) == ["ABC1234", "ABC1284"])
        #expect(r.candidates.map(\.votes) == [6, 4])
        #expect(abs(r.candidates[0].totalConfidence - 5.4) < 1e-5)
        #expect(abs(r.candidates[1].meanConfidence - 0.6) < 1e-5)
        // Agreed characters: (6×0.9 + 4×0.6) / 10; the disputed one: 6×0.9 / 10.
        #expect(r.characterConfidences.count == 7)
        #expect(abs(r.characterConfidences[0] - 0.78) < 1e-5)
        #expect(abs(r.characterConfidences[5] - 0.54) < 1e-5)
        #expect(abs(r.confidence - (6 * 0.78 + 0.54) / 7) < 1e-5)
    }

    @Test func confidenceOutweighsCount() {
        let reads = Array(repeating: makeRead("ABC1234", 0.95), count: 4) + Array(repeating: makeRead("ABC1284", 0.3), count: 5)
        let r = PlateVote.vote(reads)
        #expect(r.text == "ABC1234")
        #expect(r.candidates.first?.text == "ABC1284")   // candidates rank by count
    }

    @Test func charactersCombineAcrossReads() {
        let r = PlateVote.vote([makeRead("ABX1234", 0.8), makeRead("ABC1Y34", 0.8), makeRead("AZC1234", 0.8)])
        #expect(r.text == "ABC1234")
    }

    @Test func perCharacterConfidenceIsTheWeight() {
        let weak4 = makeRead("ABC1234", 0.8, perChar: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.2])
        let strong9 = makeRead("ABC1239", 0.8, perChar: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9])
        #expect(PlateVote.vote([weak4, weak4, strong9]).text == "ABC1239")
    }

    @Test func aReadMissingACharacterDoesNotWin() {
        let reads = Array(repeating: makeRead("ABC1234", 0.8), count: 3) + Array(repeating: makeRead("ABC234", 0.9), count: 2)
        let r = PlateVote.vote(reads)
        #expect(r.text == "ABC1234")
        #expect(r.characterConfidences.count == 7)
        // Gap-voting reads give the '1' nothing: 3 × 0.8 / 5.
        #expect(abs(r.characterConfidences[3] - 0.48) < 1e-5)
    }

    @Test func anExtraCharacterDoesNotWin() {
        let reads = Array(repeating: makeRead("ABC1234", 0.8), count: 3) + Array(repeating: makeRead("ABCC1234", 0.9), count: 2)
        #expect(PlateVote.vote(reads).text == "ABC1234")
        let longFirst = Array(repeating: makeRead("ABCC1234", 0.9), count: 2) + Array(repeating: makeRead("ABC1234", 0.8), count: 3)
        #expect(PlateVote.vote(longFirst).text == "ABC1234")
    }

    @Test func aMajorityGapRemovesTheCharacter() {
        let reads = Array(repeating: makeRead("ABC234", 0.9), count: 4) + [makeRead("ABC1234", 0.9)]
        #expect(PlateVote.vote(reads).text == "ABC234")
    }

    @Test func emptyReadsAreIgnored() {
        #expect(PlateVote.vote([]).text == "")
        let r = PlateVote.vote([makeRead("", 0.9), makeRead("XYZ789", 0.7)])
        #expect(r.text == "XYZ789" && r.reads == 1 && r.candidates.count == 1)
    }

    @Test func wideCharactersVoteAsOneCharacter() {
        let reads = Array(repeating: makeRead("京A12345", 0.9), count: 3) + [makeRead("沪A12345", 0.5)]
        let r = PlateVote.vote(reads)
        #expect(r.text == "京A12345")
        #expect(r.characterConfidences.count == 7)
    }

    @Test func editDistance() {
        #expect(PlateText.editDistance("ABC1234", "ABC1234") == 0)
        #expect(PlateText.editDistance("ABC1234", "ABC234") == 1)
        #expect(PlateText.editDistance("ABC1234", "XBC1284") == 2)
        #expect(PlateText.editDistance("", "ABC") == 3)
        #expect(PlateText.editDistance("ABC1234", "ZZZ9999", limit: 2) > 2)
    }
}
