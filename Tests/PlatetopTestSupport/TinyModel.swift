import Foundation
import PlatetopCore

/// A tiny random-weight model of the LPRNet family, built in Swift, shared by the test targets
/// (engine, CLI and terminal tests need a valid model file that is not the project's own).
public enum TinyModel {
    /// Deterministic pseudo-random floats in [-a, a].
    public struct RNG {
        public var state: UInt64
        public init(state: UInt64) { self.state = state }
        public mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        public mutating func float(_ a: Float) -> Float { (Float(next() % 2_000_001) / 1_000_000 - 1) * a }
        public mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Tensors of a valid LPRNet-family model with the given widths, built in Swift.
    public static func tensors(inC: Int = 1, widths: [Int] = [4, 8, 8, 8], classes: Int = 5, seed: UInt64 = 7)
        -> [(name: String, shape: [Int], values: [Float])] {
        var rng = RNG(state: seed)
        var out: [(name: String, shape: [Int], values: [Float])] = []
        func t(_ name: String, _ shape: [Int], _ gen: (inout RNG) -> Float) {
            let n = shape.reduce(1, *)
            out.append((name, shape, (0..<n).map { _ in gen(&rng) }))
        }
        func conv(_ p: String, _ o: Int, _ i: Int, _ kh: Int, _ kw: Int) {
            let a = 1 / Float(i * kh * kw).squareRoot()
            t(p + ".weight", [o, i, kh, kw]) { $0.float(a) }
            t(p + ".bias", [o]) { $0.float(0.1) }
        }
        func bn(_ p: String, _ c: Int) {
            t(p + ".weight", [c]) { 1 + $0.float(0.3) }
            t(p + ".bias", [c]) { $0.float(0.1) }
            t(p + ".running_mean", [c]) { $0.float(0.1) }
            t(p + ".running_var", [c]) { 1 + $0.float(0.3) }
        }
        func block(_ p: String, _ i: Int, _ o: Int) {
            conv(p + ".block.0", o / 4, i, 1, 1); conv(p + ".block.2", o / 4, o / 4, 3, 1)
            conv(p + ".block.4", o / 4, o / 4, 1, 3); conv(p + ".block.6", o, o / 4, 1, 1)
        }
        let (c0, b1, b2, head) = (widths[0], widths[1], widths[2], widths[3])
        conv("backbone.0", c0, inC, 3, 3); bn("backbone.1", c0)
        block("backbone.4", c0, b1); bn("backbone.5", b1)
        block("backbone.8", (b1 + 1) / 2, b2); bn("backbone.9", b2)
        block("backbone.11", b2, b2); bn("backbone.12", b2)
        conv("backbone.16", head, (b2 + 3) / 4, 1, 4); bn("backbone.17", head)
        conv("backbone.20", classes, head, 13, 1); bn("backbone.21", classes)
        conv("container.0", classes, c0 + b1 + b2 + classes, 1, 1)
        return out
    }

    public static func metadata(classes: Int = 5, channels: Int = 1) -> [String: String] {
        let alphabet = (0..<(classes - 1)).map { String(UnicodeScalar(UInt8(65 + $0))) } + ["-"]
        let json = "[" + alphabet.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        return ["format": "pt", "platetop.architecture": "lprnet", "platetop.architecture_version": "1",
                "platetop.name": "tiny", "platetop.alphabet": json, "platetop.blank_index": String(classes - 1),
                "platetop.input_width": "94", "platetop.input_height": "24",
                "platetop.input_channels": String(channels), "platetop.color_order": channels == 1 ? "gray" : "bgr",
                "platetop.mean": "127.5", "platetop.scale": "0.0078125", "platetop.description": "tiny test model"]
    }

    /// The serialized safetensors bytes of a tiny model.
    public static func bytes(inC: Int = 1, widths: [Int] = [4, 8, 8, 8], classes: Int = 5, seed: UInt64 = 7) -> [UInt8] {
        SafeTensorsFile.serialize(tensors(inC: inC, widths: widths, classes: classes, seed: seed),
                                  metadata: metadata(classes: classes, channels: inC))
    }
}
