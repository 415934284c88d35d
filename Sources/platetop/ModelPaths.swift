import Foundation
import PlatetopCore

/// Where platetop finds the models it ships (`models/latin.safetensors`, `models/detector.safetensors`).
///
/// Search order: `$PLATETOP_MODELS`, `<exe>/../share/platetop/models`, then a `models/` folder in
/// the executable's folder or any parent (a checkout running `.build/debug/platetop`), then `./models`.
enum ModelPaths {
    static var executableDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    static var searchDirectories: [URL] {
        var dirs: [URL] = []
        if let env = ProcessInfo.processInfo.environment["PLATETOP_MODELS"], !env.isEmpty {
            dirs.append(URL(fileURLWithPath: env))
        }
        let exe = executableDirectory
        dirs.append(exe.appendingPathComponent("../share/platetop/models").standardized)
        var dir = exe
        for _ in 0..<6 {
            dirs.append(dir.appendingPathComponent("models"))
            dir = dir.deletingLastPathComponent()
        }
        dirs.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("models"))
        return dirs
    }

    /// The first existing `name` in the search directories.
    static func find(_ name: String) -> String? {
        for d in searchDirectories {
            let p = d.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    /// The recognizer model to use: the explicit path, else the shipped `latin.safetensors`.
    static func recognizer(explicit: String?) throws -> String {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw RuntimeFailure("cannot open model '\(explicit)': No such file or directory")
            }
            return explicit
        }
        guard let found = find("latin.safetensors") else {
            throw RuntimeFailure("no recognizer model found (looked for models/latin.safetensors); pass --model PATH")
        }
        return found
    }

    /// Loads ``recognizer(explicit:)``; errors become one-line runtime failures.
    static func loadRecognizer(explicit: String?, maxBatch: Int = 16, threads: Int = 1,
                               decoder: CTCDecoder = .greedy) throws -> LPRNetRecognizer {
        let path = try recognizer(explicit: explicit)
        do {
            return try LPRNetRecognizer(modelPath: path, maxBatch: maxBatch, threads: threads, decoder: decoder)
        } catch {
            throw RuntimeFailure("cannot load model '\(path)': \(error)")
        }
    }
}
