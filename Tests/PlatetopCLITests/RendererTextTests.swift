import Foundation
import Testing

/// /usr/bin/python3 imports numpy and PIL, and the renderer's first plate font is installed
/// (fonts-dejavu-core; render_plates.py refuses to start without plate fonts).
let rendererReady = CLI.pythonImports("numpy, PIL")
    && FileManager.default.fileExists(atPath: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

/// The synthetic renderer's plate texts (training/render_plates.py, the shipped model's data): recipe 7
/// writes free-format texts as runs of letters and runs of digits, so that a round glyph is an O in a
/// letter run and a 0 in a digit run, recipe 8 keeps O away from digits, recipe 9 draws no dotted
/// zero, recipe 10 draws a third of the plates in a parametric stroke face, recipe 11 the old
/// Brazilian plates in their own, recipe 12 the European and US formats the earlier ones lacked, and
/// none changes the random draws of the recipes before it
/// (training/make_model.sh re-renders the shipped model's shards from them).
@Suite("synthetic plate texts", .enabled(if: rendererReady, "needs /usr/bin/python3 with numpy and PIL, and fonts-dejavu-core"))
struct RendererTextTests {
    /// The output lines of Python `code` run by /usr/bin/python3 with training/ on its path (so it
    /// imports render_plates and stroke_font); `args` are its sys.argv[2...].
    static func python(_ code: String, _ args: String...) throws -> [String] {
        let prelude = "import sys; sys.path.insert(0, sys.argv[1])\n"
        return try CLI.tool("/usr/bin/python3", ["-c", prelude + code, CLI.packageRoot + "/training"] + args)
            .split(separator: "\n").map(String.init)
    }

    /// Python: `small(face, ch)`, one glyph of a stroke face on its ink box at 12x24 (about what one
    /// reaches the model), values 0...1, or None for a glyph without ink.
    static let glyphSample = """
        import numpy as np
        from PIL import Image
        def small(f, ch):
            img = f.layer(ch); bb = img.getbbox()
            if bb is None: return None
            return np.asarray(img.crop((bb[0], 0, bb[2], img.height)).resize((12, 24), Image.BOX), np.float32) / 255

        """

    /// The `faces RECIPE COUNT` lines of a test's output, as COUNT by RECIPE.
    static func faceCounts(_ lines: [[String]]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: lines.filter { $0.first == "faces" && $0.count == 3 }.map { ($0[1], Int($0[2]) ?? -1) })
    }

    /// 3000 generic plate texts (groups joined) of `recipe` drawn from seed 1.
    static func genericTexts(recipe: Int) throws -> [String] {
        try python("""
            import numpy as np, render_plates as rp
            rp.RECIPE = int(sys.argv[2]); rng = np.random.default_rng(1)
            print("\\n".join("".join(rp.text_generic(rng)[0]) for _ in range(3000)))
            """, String(recipe))
    }

    /// Maximal runs of letters or of digits.
    static func runs(_ text: String) -> [String] {
        var result: [String] = []
        for c in text {
            if let last = result.last?.last, last.isLetter == c.isLetter {
                result[result.count - 1].append(c)
            } else {
                result.append(String(c))
            }
        }
        return result
    }

    /// Recipe 9 draws the digit 0 of the dotted-zero monospace faces with their letter O (real plates
    /// have no dotted zero); other faces, and recipe 8, keep their own 0.
    @Test("recipe 9 draws no dotted zero")
    func recipe9UndottedZero() throws {
        let lines = try Self.python("""
            import numpy as np, render_plates as rp
            from PIL import Image
            def ink(recipe, face, text):
                rp.RECIPE = recipe
                img = Image.new("L", (120, 40), 0)
                rp.draw_text_box(img, (0, 0, 120, 40), text, rp._find(face), 255, np.random.default_rng(1), stretch=False)
                return np.asarray(img)
            for face in ("DejaVuSansMono-Bold.ttf", "LiberationMono-Bold.ttf", "DejaVuSans-Bold.ttf"):
                if rp._find(face) is None:
                    print(face, "missing"); continue
                print(face, int((ink(9, face, "A0") == ink(9, face, "AO")).all()),
                      int((ink(8, face, "A0") == ink(8, face, "AO")).all()))
            """)
        #expect(lines.count == 3, "\(lines)")
        // Recipe 9: the mono faces' 0 is their O; recipe 8: it is not; a face without a dot keeps its 0.
        for line in lines where !line.hasSuffix("missing") {
            let expected = line.hasPrefix("DejaVuSans-Bold") ? " 0 0" : " 1 0"
            #expect(line.hasSuffix(expected), "\(line)")
        }
    }

    /// Whether a letter O stands next to a digit (the glyph pair many plate fonts draw alike).
    static func hasOBesideDigit(_ text: String) -> Bool {
        let c = Array(text)
        return c.indices.contains { i in
            c[i] == "O" && ((i > 0 && c[i - 1].isNumber) || (i + 1 < c.count && c[i + 1].isNumber))
        }
    }

    @Test("recipe 6 draws the same texts as when its shards were rendered")
    func recipe6Unchanged() throws {
        let texts = try Self.genericTexts(recipe: 6)
        #expect(texts.count == 3000)
        #expect(Array(texts.prefix(6)) == ["HRY15T", "9T8EMJ30VR", "AAA", "H90R2", "RY3Q", "YEIA"])
        // Recipe 6 never draws the letter O where a digit may stand.
        #expect(!texts.contains { $0.contains("O") })
    }

    @Test("recipe 7 texts are letter and digit runs, with O only inside a letter run")
    func recipe7Runs() throws {
        let texts = try Self.genericTexts(recipe: 7)
        #expect(texts.count == 3000)
        #expect(texts.allSatisfy { !$0.isEmpty && $0.count <= 10 && $0.allSatisfy { $0.isASCII && ($0.isNumber || $0.isUppercase) } })
        let withO = texts.filter { $0.contains("O") }
        // About one text in twelve has an O (recipe 6: none).
        #expect(withO.count >= 150, "\(withO.count)")
        // An O is never a one-letter run beside a digit run (nothing would tell it from 0).
        let lone = withO.filter { text in
            let r = Self.runs(text)
            return r.count > 1 && r.contains { $0.contains("O") && $0.count == 1 }
        }
        #expect(lone.isEmpty, "\(lone.prefix(5))")
        // At most four runs, except the 15 % scattered ones that happen to have more (recipe 6: 17 %).
        let many = texts.filter { Self.runs($0).count > 4 }.count
        #expect(many <= 150, "\(many) of 3000 texts have more than four runs")
        #expect(Array(texts.prefix(6)) == ["Y8428R", "ZD9FNG02", "11NL636K", "07", "6597015VV", "7WVWIMQHX"])
    }

    @Test("recipe 8 texts have O inside letter runs and never beside a digit")
    func recipe8NoOBesideDigit() throws {
        let texts = try Self.genericTexts(recipe: 8)
        #expect(texts.count == 3000)
        let withO = texts.filter { $0.contains("O") }
        #expect(withO.count >= 120, "\(withO.count)")
        let besideDigit = withO.filter(Self.hasOBesideDigit)
        #expect(besideDigit.isEmpty, "\(besideDigit.prefix(5))")
        // Recipe 7 draws such texts (79 of these 3000): the rule is recipe 8's own.
        let recipe7 = try Self.genericTexts(recipe: 7).filter(Self.hasOBesideDigit)
        #expect(recipe7.count >= 40, "\(recipe7.count)")
    }

    /// Recipe 10's stroke faces (training/stroke_font.py): a third of the plate fonts, every character
    /// drawn, and the glyph pairs real plates confuse told apart in every face, Q from 0 by its stub
    /// or tail, Y from V by its stem, 1 from I by its flag. A pair is compared on 12x24 renders of
    /// each glyph's ink box (about what one reaches the model), as a mean absolute difference.
    @Test("recipe 10 draws stroke faces that tell confusable glyphs apart")
    func recipe10StrokeFaces() throws {
        let lines = try Self.python(Self.glyphSample + """
            import render_plates as rp
            from stroke_font import StrokeFont, random_stroke_font
            for recipe in (9, 10):
                rp.RECIPE = recipe; rng = np.random.default_rng(1)
                print("faces", recipe, sum(isinstance(rp.plate_font(rng), StrokeFont) for _ in range(2000)))
            pairs = ["Q0", "YV", "D0", "8B", "5S", "1I", "2Z", "MN", "UV", "EF", "PR", "HN", "GC", "6G"]
            worst = dict.fromkeys(pairs, 1.0); empty = 0; rng = np.random.default_rng(7)
            for _ in range(100):
                f = random_stroke_font(rng)
                g = {c: small(f, c) for c in rp.ALNUM}
                empty += sum(v is None for v in g.values())
                for p in pairs:
                    worst[p] = min(worst[p], float(np.abs(g[p[0]] - g[p[1]]).mean()))
            print("empty", empty)
            for p in pairs: print("pair", p, round(worst[p], 4))
            """).map { $0.split(separator: " ").map(String.init) }
        let faces = Self.faceCounts(lines)
        #expect(faces["9"] == 0, "recipe 9 must keep its fonts: \(faces)")
        #expect((600...800).contains(faces["10"] ?? -1), "recipe 10 stroke faces in 2000 draws: \(faces)")
        #expect(lines.contains(["empty", "0"]), "a character without ink: \(lines)")
        let pairs = lines.filter { $0.first == "pair" }
        #expect(pairs.count == 14)
        // The closest faces seen: Q/0 0.007 (the stub variant), D/0 0.017; a glyph that lost its
        // distinguishing stroke scores 0.
        for pair in pairs {
            #expect((Double(pair[2]) ?? 0) > 0.004, "\(pair[1]) drawn alike: \(pair[2])")
        }
    }

    /// Recipe 11 draws 60 % of the old Brazilian plates in their own face (stroke_font.br_stroke_font):
    /// its 1 is a bare stroke like its I, as on the real plates (the AAA-9999 format tells them apart),
    /// and its Q keeps the stub that tells it from 0.
    @Test("recipe 11 draws old Brazilian plates in their own stroke face")
    func recipe11BrazilianFace() throws {
        let lines = try Self.python(Self.glyphSample + """
            import render_plates as rp, stroke_font as sf
            rng = np.random.default_rng(3)
            faces = [sf.br_stroke_font(rng) for _ in range(50)]
            print("one_i", round(max(float(np.abs(small(f, "1") - small(f, "I")).mean()) for f in faces), 4))
            print("q0", round(min(float(np.abs(small(f, "Q") - small(f, "0")).mean()) for f in faces), 4))
            calls = []
            make = rp.br_stroke_font
            rp.br_stroke_font = lambda r: calls.append(1) or make(r)
            for recipe in (10, 11):
                rp.RECIPE = recipe; rng = np.random.default_rng(1); calls.clear()
                for _ in range(400): rp.plate_br_old(rng)
                print("faces", recipe, len(calls))
            """).map { $0.split(separator: " ").map(String.init) }
        let value = { (key: String) in lines.first { $0.first == key }.flatMap { Double($0[1]) } ?? -1 }
        #expect(value("one_i") == 0, "the Brazilian 1 must be the I's bare stroke: \(lines)")
        #expect(value("q0") > 0.004, "the Brazilian Q lost its stub: \(lines)")
        let faces = Self.faceCounts(lines)
        #expect(faces["10"] == 0, "recipe 10 must keep its Brazilian fonts: \(faces)")
        #expect((200...280).contains(faces["11"] ?? -1), "Brazilian face in 400 recipe-11 plates: \(faces)")
    }

    /// Recipe 12 draws half of its European and US texts in real formats the earlier recipes lacked
    /// (French FNI, Portuguese, Dutch side codes, Belgian, British prefix marks, Czech; IL, NJ, MA, MD,
    /// CO): the letter/digit run shapes of real plates such as 85 XB 80 or 1-BGK-912, which recipe 11
    /// draws rarely or never, become common, and recipe 11's own texts stay as rendered.
    @Test("recipe 12 draws the European and US plate formats recipe 11 lacked")
    func recipe12Formats() throws {
        let real = ["85XB80", "932CBL06", "02NF99", "1BGK912", "W668AHK", "4C10423", "999AAA67", "7252YL94",
                    "589QJD75", "1TXA084", "AL0949AF", "98D39443"]
        let us = ["A12BCD", "1ABC23", "1AB2345", "ABCD12", "AB12345", "ABC123"]
        // One line per text: RECIPE KIND TEXT (KIND eu or us), 4000 of each kind per recipe.
        let lines = try Self.python("""
            import numpy as np, render_plates as rp
            for recipe in (11, 12):
                rp.RECIPE = recipe; rng = np.random.default_rng(1)
                eu = ["".join(rp.text_eu(rng)[0]) for _ in range(4000)]
                us = ["".join(rp.text_us(rng)[0]) for _ in range(4000)]
                print("\\n".join(f"{recipe} {kind} {t}" for kind, texts in (("eu", eu), ("us", us)) for t in texts))
            """).map { $0.split(separator: " ").map(String.init) }
        let texts = { (recipe: String, kind: String) in
            lines.filter { $0.count == 3 && $0[0] == recipe && $0[1] == kind }.map { $0[2] }
        }
        // A text's shape: its runs of letters and of digits, as "L3D4".
        let shape = { (text: String) in Self.runs(text).map { ($0.first?.isLetter == true ? "L" : "D") + "\($0.count)" }.joined() }
        let shapeCounts = { (texts: [String], of: [String]) -> [Int] in
            let counted = Dictionary(texts.map { (shape($0), 1) }, uniquingKeysWith: +)
            return of.map { counted[shape($0)] ?? 0 }
        }
        #expect(["11", "12"].allSatisfy { texts($0, "eu").count == 4000 && texts($0, "us").count == 4000 }, "\(lines.count) lines")
        let eu11 = shapeCounts(texts("11", "eu"), real), eu12 = shapeCounts(texts("12", "eu"), real)
        // Every real European shape is drawn at least 4 times in 4000 recipe-12 texts; recipe 11 never
        // draws at least eight of them.
        #expect(eu12.allSatisfy { $0 >= 4 }, "recipe 12: \(Array(zip(real, eu12)))")
        #expect(eu11.filter { $0 == 0 }.count >= 8, "recipe 11: \(Array(zip(real, eu11)))")
        // The US shapes: each in at least 200 of 4000 recipe-12 texts, and none of the first five in
        // more than 10 of recipe 11's.
        let us11 = shapeCounts(texts("11", "us"), us), us12 = shapeCounts(texts("12", "us"), us)
        #expect(us12.allSatisfy { $0 >= 200 }, "recipe 12: \(Array(zip(us, us12)))")
        #expect(us11.prefix(5).allSatisfy { $0 <= 10 }, "recipe 11: \(Array(zip(us, us11)))")
        // Digit-first European plates: about a quarter in recipe 11, over a third in recipe 12 (28 % of
        // the real European test plates).
        let first11 = texts("11", "eu").filter { $0.first?.isNumber == true }.count
        let first12 = texts("12", "eu").filter { $0.first?.isNumber == true }.count
        #expect((900...1100).contains(first11) && first12 >= 1300, "digit-first of 4000: \(first11), \(first12)")
        // Recipe 11's texts are the ones its shards were rendered with.
        #expect(Array(texts("11", "eu").prefix(6)) == ["HHYVY8", "VG008T", "UD993", "BH19CCC", "KNH473E", "SN304QQ"])
    }
}
