import Foundation
import PlatetopTestSupport
@testable import PlatetopCore

/// Paths and builders shared by the recognition tests.
enum RecognizeFixtures {
    /// The package root, from this file's path.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let seedDataDir = packageRoot + "/../shared/data/seed-lprnet"
    static var seedDataPresent: Bool {
        FileManager.default.fileExists(atPath: seedDataDir + "/Final_LPRNet_model.pth")
            && FileManager.default.fileExists(atPath: seedDataDir + "/test")
    }
    static let python = "/usr/bin/python3"

    /// Runs `/usr/bin/python3 args…` in the package root; returns the exit status (or nil when
    /// python is missing), with output captured in a temp file to avoid pipe deadlocks.
    static func runPython(_ args: [String]) -> (status: Int32, output: String)? {
        guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-py-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        guard let handle = try? FileHandle(forWritingTo: log) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        p.standardOutput = handle
        p.standardError = handle
        do { try p.run() } catch { return nil }
        p.waitUntilExit()
        try? handle.close()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (p.terminationStatus, text)
    }

    static func readFloats(_ path: String) -> [Float]? {
        guard let d = FileManager.default.contents(atPath: path), d.count % 4 == 0 else { return nil }
        return d.withUnsafeBytes { raw in Array(raw.bindMemory(to: Float.self)) }
    }

    typealias RNG = TinyModel.RNG

    static func tinyTensors(inC: Int = 1, widths: [Int] = [4, 8, 8, 8], classes: Int = 5, seed: UInt64 = 7)
        -> [(name: String, shape: [Int], values: [Float])] {
        TinyModel.tensors(inC: inC, widths: widths, classes: classes, seed: seed)
    }

    static func tinyMetadata(classes: Int = 5, channels: Int = 1) -> [String: String] {
        TinyModel.metadata(classes: classes, channels: channels)
    }

    static func tinyModelBytes() -> [UInt8] {
        SafeTensorsFile.serialize(tinyTensors(), metadata: tinyMetadata())
    }
}
