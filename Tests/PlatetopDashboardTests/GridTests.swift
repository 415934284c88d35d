import Testing
@testable import PlatetopDashboard

@Suite("Grid and character widths")
struct GridTests {
    @Test("widths: ASCII 1, CJK 2, combining 0, emoji 2, control 0")
    func widths() {
        #expect(CharacterWidth.of("A" as Character) == 1)
        #expect(CharacterWidth.of("皖" as Character) == 2)
        #expect(CharacterWidth.of("가" as Character) == 2)
        #expect(CharacterWidth.of("Ａ" as Character) == 2)       // fullwidth A
        #expect(CharacterWidth.of("e\u{301}" as Character) == 1)   // e + combining acute
        #expect(CharacterWidth.of("🚗" as Character) == 2)
        #expect(CharacterWidth.of(Unicode.Scalar(0x301)!) == 0)
        #expect(CharacterWidth.of("\u{7}" as Character) == 0)
        #expect(CharacterWidth.of("█" as Character) == 1)
        #expect(CharacterWidth.of("皖A12") == 5)
    }

    @Test("a wide character that would cross the clip edge is replaced by a space")
    func wideAtEdge() {
        var g = Grid(columns: 5, rows: 1)
        let end = g.write("ab皖皖", x: 0, y: 0)
        #expect(g.text(row: 0) == "ab皖 ")
        #expect(g[2, 0].text == "皖" && g[3, 0].isContinuation)
        #expect(g[4, 0].text == " ")
        #expect(end == 5)
    }

    @Test("overwriting half of a wide character blanks the other half")
    func repairWide() {
        var g = Grid(columns: 6, rows: 1)
        g.write("皖皖", x: 0, y: 0)
        g.write("x", x: 1, y: 0)      // right half of the first
        #expect(g.text(row: 0) == " x皖  ")
        g.write("y", x: 2, y: 0)      // left half of the second
        #expect(g.text(row: 0) == " xy   ")
        #expect(!g.cells.contains { $0.isContinuation })
    }

    @Test("writes are clipped to the grid and to a clip rectangle")
    func clipping() {
        var g = Grid(columns: 4, rows: 2)
        g.write("abcdef", x: -2, y: 0)
        #expect(g.text(row: 0) == "cdef")
        g.write("zz", x: 0, y: 5)
        g.write("zz", x: 0, y: -1)
        #expect(g.text(row: 1) == "    ")
        g.write("QQQQ", x: 0, y: 1, clip: Rect(x: 1, y: 1, width: 2, height: 1))
        #expect(g.text(row: 1) == " QQ ")
        g.box(Rect(x: 0, y: 0, width: 10, height: 10))
        #expect(g.cells.count == 8)
        #expect(g[0, 0].text == "┌")
    }
}
