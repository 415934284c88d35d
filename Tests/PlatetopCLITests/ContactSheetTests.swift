import Foundation
import Testing

/// training/contact_sheet.py, the labelling tool behind training/splits/eu_train.csv: contact sheets of
/// the model's reads, then a CSV of the reads with the corrections made by eye, keeping test crops,
/// their images and their plates (within one edit) out, and at most two crops of a plate.
@Suite("contact sheets for labelling", .enabled(if: rendererReady, "needs /usr/bin/python3 with numpy and PIL, and fonts-dejavu-core"))
struct ContactSheetTests {
    static let script = CLI.packageRoot + "/training/contact_sheet.py"

    /// Writes a PNG of `width`x20 filled with `grey` (distinct greys are distinct files).
    static func png(_ path: String, width: Int, grey: Int) throws {
        _ = try CLI.tool("/usr/bin/python3", ["-c",
            "import sys; from PIL import Image; Image.new('RGB', (int(sys.argv[2]), 20), (int(sys.argv[3]),) * 3).save(sys.argv[1])",
            path, String(width), String(grey)])
    }

    @Test("sheets index every read; labels apply corrections and keep the test set apart")
    func sheetsAndLabels() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = dir + "/img"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        // t-1 is a test crop; c-6 is the same image as t-1 (another grey would make it a new image).
        for (name, grey) in [("t-1", 10), ("c-1", 20), ("c-2", 30), ("c-3", 40), ("c-4", 50), ("c-5", 60),
                             ("c-6", 10), ("c-7", 70), ("c-8", 80)] {
            try Self.png("\(images)/\(name).png", width: 80, grey: grey)
        }
        try "file,plate\nt-1.png,AJP911\n".write(toFile: dir + "/test.csv", atomically: true, encoding: .utf8)
        let reads = [("c-1", "AB123", "0.99"), ("c-2", "AJP9II", "0.97"), ("c-3", "XY1", "0.40"),
                     ("c-4", "KL55", "0.90"), ("c-5", "KL55", "0.95"), ("c-6", "ZZ999", "0.90"),
                     ("c-7", "KL55", "0.92"), ("c-8", "F0UCO", "0.88")]
        try reads.map { "\(images)/\($0.0).png\t\($0.1)\t\($0.2)\n" }.joined()
            .write(toFile: dir + "/reads.tsv", atomically: true, encoding: .utf8)

        let sheets = dir + "/sheets"
        _ = try CLI.tool("/usr/bin/python3", [Self.script, "sheets", dir + "/reads.tsv", sheets, "--per", "6"])
        let index = try String(contentsOfFile: sheets + "/index.tsv", encoding: .utf8).split(separator: "\n")
        #expect(index.count == 8 && index[7].hasPrefix("7\t\(images)/c-8.png\tF0UCO\t"), "\(index)")
        let pngs = try FileManager.default.contentsOfDirectory(atPath: sheets).filter { $0.hasSuffix(".png") }.sorted()
        #expect(pngs == ["sheet-0000.png", "sheet-0006.png"])

        // Index 1 corrected to the test plate's near neighbour stays out; 2 is left out by eye; 7 corrected.
        try "1 AJP911\n2 -\n7 FUOCO\n".write(toFile: dir + "/corr.txt", atomically: true, encoding: .utf8)
        let csv = try CLI.tool("/usr/bin/python3", [Self.script, "labels", sheets + "/index.tsv", dir + "/corr.txt",
                                                    "--images", images, "--test", dir + "/test.csv"])
        #expect(csv.split(separator: "\n") == ["file,plate", "c-1.png,AB123", "c-4.png,KL55", "c-5.png,KL55", "c-8.png,FUOCO"],
                "\(csv)")
    }
}
