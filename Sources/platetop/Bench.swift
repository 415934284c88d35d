import ArgumentParser
import Foundation
import PlatetopCore

/// `platetop bench`: recogniser latency and throughput on this CPU.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure LPRNet recognizer latency (median per plate) and GFLOP/s, or the plate detector's per frame.",
        discussion: """
            With --model, the recognizer is timed per batch and thread count. With --detector, the \
            detector is timed on one fixed --frame-size frame (pseudo-random pixels; the cost does \
            not depend on the content), one thread: the frame resize alone, the network alone and \
            both (what `locate` costs per frame before decoding boxes), as median and p10 ms.
            """)

    @Option(help: "Recognition model file (.safetensors).")
    var model: String?

    @Option(help: "Plate detector model file (.safetensors) to time instead of (or besides) --model.")
    var detector: String?

    @Option(help: "With --detector: frame size WxH the detector's input is resized from.")
    var frameSize: String = "1920x1080"

    @Option(help: "With --detector: network input width (default: the model's).")
    var detectorWidth: Int?

    @Option(help: "Timed runs per configuration (after warm-up).")
    var runs: Int = 200

    @Option(help: "Untimed warm-up runs per configuration.")
    var warmup: Int = 20

    @Option(help: "Comma-separated batch sizes.")
    var batches: String = "1,16"

    @Option(help: "Comma-separated OpenBLAS thread counts.")
    var threads: String = "1,2"

    @Option(help: "Images per internal micro-batch.")
    var microBatch: Int = 1

    @Flag(help: "Also print time per kernel kind (sgemm, im2col, ...) at 1 thread, batch 1.")
    var profile = false

    @Flag(help: "With --profile, split sgemm time by matrix shape (MxNxK).")
    var profileGemms = false

    @Option(help: "Optional float32 file of planar network inputs [N][C][24][W] (W the model's input width, 94 for the seed) (e.g. seed_reference.py's inputs.f32); random inputs otherwise.")
    var inputs: String?

    func run() throws {
        guard model != nil || detector != nil else { throw ValidationError("give --model, --detector or both") }
        guard runs >= 1, warmup >= 0 else { throw ValidationError("--runs must be >= 1 and --warmup >= 0") }
        if let detector { try benchDetector(path: detector) }
        if let model { try benchRecognizer(path: model) }
    }

    func benchDetector(path: String) throws {
        let size = frameSize.split(separator: "x").compactMap { Int($0) }
        guard size.count == 2, (16...8192).contains(size[0]), (16...8192).contains(size[1]) else {
            throw ValidationError("--frame-size must be WxH, 16...8192 each (e.g. 1920x1080)")
        }
        let detector = try PlateDetector(modelPath: path, options: .init(inputWidth: detectorWidth, threads: 1))
        var pixels = [UInt8](repeating: 0, count: size[0] * size[1] * 3)
        var seed: UInt64 = 42
        for i in pixels.indices {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            pixels[i] = UInt8(truncatingIfNeeded: seed >> 56)
        }
        let frame = PixelImage(width: size[0], height: size[1], format: .rgb24, pixels: pixels)
        let (w, h) = detector.inputSize(frameWidth: frame.width, frameHeight: frame.height)
        let info = detector.info
        let planes = info.colorOrder.channels
        var planar = [Float](repeating: 0, count: planes * w * h)
        let macs = detector.model.multiplyAdds(width: w, height: h, fineHead: detector.fineHead != nil)
        print("detector: \(info.name) (\(info.parameterCount) parameters), frame \(frame.width)x\(frame.height) -> input \(w)x\(h), "
              + String(format: "%.1f M multiply-adds per frame", Double(macs) / 1e6)
            + (detector.fineHead.map { String(format: " (fine head, stride %d: %.1f M)", $0.stride,
                                                Double(macs - detector.model.multiplyAdds(width: w, height: h, fineHead: false)) / 1e6) } ?? ""))
        func time(_ body: () -> Void) -> (median: Double, p10: Double) {
            let times = timedRuns(body)
            return (times[times.count / 2], times[times.count / 10])
        }
        let resize = time {
            planar.withUnsafeMutableBufferPointer {
                frame.writePlanar(width: w, height: h, order: info.colorOrder, mean: info.mean, scale: info.scale, into: $0.baseAddress!)
            }
        }
        let network = time { _ = detector.outputs(planarInput: planar, width: w, height: h) }
        let both = time { _ = detector.outputs(for: frame, width: w, height: h) }
        print(String(format: "detector threads=1 resize_ms=%.3f (p10 %.3f) network_ms=%.3f (p10 %.3f) frame_ms=%.3f (p10 %.3f) network_gmacs=%.1f frames_per_s=%.1f",
                     resize.median, resize.p10, network.median, network.p10, both.median, both.p10,
                     Double(macs) / (network.median / 1000) / 1e9, 1000 / both.median))
        if let v = detector.verifier {
            // One candidate box of 8 % of the frame width (a mid-sized plate), as detect(in:) scores it.
            let bw = Float(frame.width) * 0.08, bh = bw / 3.5
            let box = DetectedBox(x: (Float(frame.width) - bw) / 2, y: (Float(frame.height) - bh) / 2, width: bw, height: bh, score: 1)
            let candidate = time { _ = detector.verify(box, in: frame) }
            let vmacs = detector.model.verifierMultiplyAdds
            print(String(format: "verifier threads=1 input %dx%d, %.1f M multiply-adds per candidate, candidate_ms=%.3f (p10 %.3f) candidates_per_s=%.0f",
                         v.inputWidth, v.inputHeight, Double(vmacs) / 1e6, candidate.median, candidate.p10, 1000 / candidate.median))
        }
    }

    func benchRecognizer(path model: String) throws {
        let batchList = try Self.parseList(batches, "--batches")
        let threadList = try Self.parseList(threads, "--threads")
        let loaded = try LPRNetModel(contentsOf: model)
        let info = loaded.info
        let maxBatch = batchList.max()!
        let perImage = info.inputChannels * info.inputHeight * info.inputWidth
        var input = [Float](repeating: 0, count: maxBatch * perImage)
        if let inputs {
            guard let data = FileManager.default.contents(atPath: inputs), data.count >= 4 * perImage else {
                throw ValidationError("cannot read at least one image of inputs from \(inputs)")
            }
            let available = data.count / 4 / perImage
            data.withUnsafeBytes { raw in
                let f = raw.bindMemory(to: Float.self)
                for i in 0..<(maxBatch * perImage) { input[i] = f[(i / perImage) % available * perImage + i % perImage] }
            }
        } else {
            var s: UInt64 = 42
            for i in input.indices {
                s = s &* 6364136223846793005 &+ 1442695040888963407
                input[i] = Float(Int(s >> 40) % 2001 - 1000) / 1000
            }
        }
        print("model: \(info.name) (\(info.layoutDescription), \(info.classCount) classes, "
              + "\(info.parameterCount) parameters, \(String(format: "%.1f", Double(info.macsPerImage) / 1e6)) M MACs/plate)")
        if let peak = Self.fmaPeak() {
            print(String(format: "cpu: %@; AVX2 FMA peak estimate %.1f GFLOP/s per core (%.0f MHz x 2 FMA pipes x 8 fp32 lanes x 2 flops; assumes 2x256-bit FMA units, base clock)", peak.name, peak.gflops, peak.mhz))
        }
        if profile {
            let r = try LPRNetRecognizer(model: loaded, maxBatch: 1, threads: 1)
            let kernels = input.withUnsafeBufferPointer {
                r.profile(planarInput: $0.baseAddress!, batch: 1, runs: runs, detailed: profileGemms) { DispatchTime.now().uptimeNanoseconds }
            }
            let total = kernels.reduce(0) { $0 + $1.milliseconds }
            print("profile threads=1 batch=1 (mean ms per plate): "
                  + kernels.map { String(format: "%@=%.3f", $0.kernel, $0.milliseconds) }.joined(separator: " ")
                  + String(format: " total=%.3f", total))
        }
        for t in threadList {
            for b in batchList {
                let recognizer = try LPRNetRecognizer(model: loaded, maxBatch: b, threads: t, microBatch: microBatch)
                var out = [Float](repeating: 0, count: b * recognizer.logitCount)
                let times = input.withUnsafeBufferPointer { inp in
                    out.withUnsafeMutableBufferPointer { o in
                        timedRuns { recognizer.forward(planarInput: inp.baseAddress!, batch: b, into: o.baseAddress!) }
                    }
                }
                let median = times[times.count / 2]
                let perPlate = median / Double(b)
                let gflops = 2 * Double(info.macsPerImage) * Double(b) / (median / 1000) / 1e9
                print(String(format: "platetop threads=%d batch=%d per_plate_ms=%.4f median_batch_ms=%.4f p10_batch_ms=%.4f p90_batch_ms=%.4f gflops=%.1f plates_per_s=%.0f",
                             t, b, perPlate, median, times[times.count / 10], times[times.count * 9 / 10], gflops, 1000 / perPlate))
            }
        }
    }

    /// Milliseconds of each of `runs` calls of `body` after `warmup` untimed ones, sorted.
    func timedRuns(_ body: () -> Void) -> [Double] {
        var times: [Double] = []
        times.reserveCapacity(runs)
        for i in 0..<(warmup + runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            let t1 = DispatchTime.now().uptimeNanoseconds
            if i >= warmup { times.append(Double(t1 - t0) / 1e6) }
        }
        return times.sorted()
    }

    static func parseList(_ s: String, _ name: String) throws -> [Int] {
        let v = s.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !v.isEmpty, v.count == s.split(separator: ",").count, v.allSatisfy({ $0 >= 1 && $0 <= 1024 }) else {
            throw ValidationError("\(name) must be a comma-separated list of integers 1...1024")
        }
        return v
    }

    /// Per-core fp32 FMA peak from /proc/cpuinfo when the CPU reports avx2 and fma (Linux only).
    static func fmaPeak() -> (name: String, mhz: Double, gflops: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        var name = "unknown", mhz = 0.0, flags: Set<Substring> = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "model name" where name == "unknown": name = parts[1]
            case "cpu MHz" where mhz == 0: mhz = Double(parts[1]) ?? 0
            case "flags" where flags.isEmpty: flags = Set(parts[1].split(separator: " "))
            default: break
            }
        }
        guard flags.contains("avx2"), flags.contains("fma"), mhz > 0 else { return nil }
        return (name, mhz, mhz * 1e6 * 32 / 1e9)
    }
}
