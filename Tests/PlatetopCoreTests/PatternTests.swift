import Testing
@testable import PlatetopCore

@Suite struct PatternTests {
    let mixed = try! FormatRules(patternStrings: ["^[A-Z]{3}[0-9][A-Z0-9][0-9]{2}$"])
    let plain = try! FormatRules(patternStrings: ["[A-Z]{3}[0-9]{4}"])

    @Test func positionAllowingBothClassesIsNeverChanged() {
        let r = mixed.apply(to: "ABC1O23")
        #expect(r.text == "ABC1O23")
        #expect(!r.corrected)
        #expect(r.matchedPattern == "^[A-Z]{3}[0-9][A-Z0-9][0-9]{2}$")
    }

    @Test func zeroBecomesLetterOnlyWhereALetterIsRequired() {
        let r = mixed.apply(to: "AB01234")
        #expect(r.text == "ABO1234")
        #expect(r.raw == "AB01234")
        #expect(r.substitutions == [FormatRules.Substitution(position: 2, from: "0", to: "O")])
        // The 0 in the digit block stays a digit.
        #expect(plain.apply(to: "ABC1O04").text == "ABC1004")
    }

    @Test func lettersAndDigitsRepairedBothWays() {
        #expect(plain.apply(to: "8BC1234").text == "BBC1234")
        #expect(plain.apply(to: "ABCI2S4").text == "ABC1254")
        #expect(plain.apply(to: "A5C12Z4").text == "ASC1224")
    }

    @Test func unrepairableTextIsLeftAlone() {
        let short = plain.apply(to: "ABC123")
        #expect(short.text == "ABC123" && short.matchedPattern == nil && !short.corrected)
        let wrong = plain.apply(to: "ABCX234")   // X is not confusable
        #expect(wrong.text == "ABCX234" && wrong.matchedPattern == nil)
    }

    @Test func substitutionLimitIsHonoured() throws {
        #expect(plain.apply(to: "0001234").text == "OOO1234")
        let two = try FormatRules(patternStrings: ["[A-Z]{3}[0-9]{4}"], maxSubstitutions: 2)
        #expect(two.apply(to: "0001234").text == "0001234")
    }

    @Test func fewestSubstitutionsWinsOverPatternOrder() throws {
        let rules = try FormatRules(patternStrings: ["^[A-Z]{3}[0-9]{4}$", "^[A-Z]{2}[0-9]{5}$"])
        let r = rules.apply(to: "A801234")
        #expect(r.text == "AB01234")
        #expect(r.matchedPattern == "^[A-Z]{2}[0-9]{5}$")
    }

    @Test func noPatternsAcceptsEverything() {
        let r = FormatRules.none.apply(to: "AB01234")
        #expect(r.text == "AB01234" && r.matchedPattern == nil)
    }

    @Test func patternIsWholeTextAndBadPatternsThrow() throws {
        let p = try PlatePattern("[A-Z]{3}[0-9]{4}")
        #expect(p.matches("ABC1234"))
        #expect(!p.matches("XABC1234"))
        #expect(!p.matches("ABC12345"))
        let alternation = try PlatePattern("AB|ABC")
        #expect(alternation.matches("ABC"))
        #expect(throws: PlatePattern.Invalid.self) { try PlatePattern("[A-Z") }
        #expect(throws: PlatePattern.Invalid.self) { try PlatePattern("") }
    }

    @Test func positionsCountCharactersNotBytes() throws {
        let rules = try FormatRules(patternStrings: ["^[京沪][A-Z][0-9]{5}$"])
        let r = rules.apply(to: "京8I2345")
        #expect(r.text == "京B12345")
        #expect(r.substitutions == [FormatRules.Substitution(position: 1, from: "8", to: "B"),
                                    FormatRules.Substitution(position: 2, from: "I", to: "1")])
    }
}
