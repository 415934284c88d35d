import Foundation
import Testing
@testable import PlatetopCore

/// The strict safetensors parser and the LPRNet loader's validation.
struct RecognizeSafeTensorsTests {
    /// A file from a literal JSON header and `dataBytes` zero bytes.
    func file(_ header: String, dataBytes: Int, declaredLength: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        let n = declaredLength ?? UInt64(h.count)
        var out: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) }
        out += h
        out += [UInt8](repeating: 0, count: dataBytes)
        return out
    }

    func message(_ bytes: [UInt8]) -> String? {
        do { _ = try SafeTensorsFile(bytes: bytes); return nil } catch let e as ModelFileError { return e.message } catch {
            return "wrong error type \(error)"
        }
    }

    @Test func roundTripKeepsValuesShapesAndMetadata() throws {
        let bytes = SafeTensorsFile.serialize([("b", [2, 3], [1, 2, 3, 4, 5, -6.5]), ("a", [1], [Float.pi])],
                                              metadata: ["k": "v \"quoted\" 京"])
        #expect((bytes.count - 8) % 4 == 0)
        let f = try SafeTensorsFile(bytes: bytes)
        #expect(f.metadata == ["k": "v \"quoted\" 京"])
        #expect(f.tensors["b"]?.shape == [2, 3])
        #expect(f.tensors["b"]?.values == [1, 2, 3, 4, 5, -6.5])
        #expect(f.tensors["a"]?.values == [Float.pi])
    }

    @Test func readsF16() throws {
        // 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 0x0001.
        var bytes = file(#"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, dataBytes: 0)
        bytes += [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00]
        let f = try SafeTensorsFile(bytes: bytes)
        #expect(f.tensors["h"]?.values == [1, -2, 65504, Float(sign: .plus, exponent: -24, significand: 1)])
    }

    @Test func rejectsTruncationAndAbsurdHeaderLength() {
        let good = SafeTensorsFile.serialize([("w", [4], [1, 2, 3, 4])])
        #expect(message(Array(good.prefix(5)))?.contains("shorter than the 8-byte") == true)
        #expect(message(Array(good.dropLast(3)))?.contains("'w'") == true)
        #expect(message(file("{}", dataBytes: 0, declaredLength: 1 << 40))?.contains("absurd header length") == true)
        #expect(message(file("{}", dataBytes: 0, declaredLength: 500))?.contains("runs past the end") == true)
        #expect(message(file("[1]", dataBytes: 0))?.contains("start with '{'") == true)
        #expect(message(file("{not json", dataBytes: 0))?.contains("not valid JSON") == true)
    }

    @Test func rejectsBadOffsetsNamingTheTensor() {
        let overlap = file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12)
        #expect(message(overlap) == "tensor 'b': data_offsets [4, 12] overlap the previous tensor")
        let gap = file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, dataBytes: 12)
        #expect(message(gap) == "tensor 'b': gap of 4 bytes before its data")
        let range = file(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8)
        #expect(message(range)?.hasPrefix("tensor 'a': data_offsets [0, 16] beyond") == true)
        let mismatch = file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8)
        #expect(message(mismatch) == "tensor 'a': shape [3] F32 needs 12 bytes, offsets give 8")
        let reversed = file(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, dataBytes: 8)
        #expect(message(reversed) == "tensor 'a': bad data_offsets [8, 0]")
        let trailing = file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 8)
        #expect(message(trailing)?.contains("4 unused bytes") == true)
        let dtype = file(#"{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}"#, dataBytes: 2)
        #expect(message(dtype) == "tensor 'a': unsupported dtype BF16 (need F32 or F16)")
        let malformed = file(#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, dataBytes: 4)
        #expect(message(malformed)?.hasPrefix("tensor 'a': malformed header entry") == true)
        let huge = file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, dataBytes: 4)
        #expect(message(huge) == "tensor 'a': shape [4294967296, 4294967296] is too large")
    }

    func modelError(_ tensors: [(name: String, shape: [Int], values: [Float])], _ meta: [String: String]) -> String? {
        do {
            _ = try LPRNetModel(file: SafeTensorsFile(bytes: SafeTensorsFile.serialize(tensors, metadata: meta)))
            return nil
        } catch let e as ModelFileError { return e.message } catch { return "wrong error type \(error)" }
    }

    @Test func loaderInfersWidthsAndCountsWork() throws {
        let m = try LPRNetModel(file: SafeTensorsFile(bytes: RecognizeFixtures.tinyModelBytes()))
        #expect(m.info.widths == [4, 8, 8, 8])
        #expect(m.info.alphabet == ["A", "B", "C", "D", "-"])
        #expect(m.info.blankIndex == 4)
        #expect(m.info.colorOrder == .gray)
        #expect(m.info.inputChannels == 1)
        #expect(m.info.timeSteps == 18)
        // Learnable parameters: all tensors minus BN running stats.
        let expected = RecognizeFixtures.tinyTensors().filter { !$0.name.contains("running") }.reduce(0) { $0 + $1.values.count }
        #expect(m.info.parameterCount == expected)
    }

    @Test func loaderRejectsInconsistentModelsNamingTheTensor() {
        let t = RecognizeFixtures.tinyTensors(), meta = RecognizeFixtures.tinyMetadata()
        #expect(modelError(t.filter { $0.name != "backbone.12.running_var" }, meta) == "tensor 'backbone.12.running_var': missing")
        var wrong = t
        let i = wrong.firstIndex { $0.name == "backbone.8.block.0.weight" }!
        wrong[i] = (wrong[i].name, [2, 8, 1, 1], [Float](repeating: 0.1, count: 16))
        #expect(modelError(wrong, meta)?.hasPrefix("tensor 'backbone.8.block.0.weight': shape [2, 8, 1, 1], expected [*, 4, 1, 1]") == true)
        // Alphabet of 6 classes for a 5-class network.
        var meta6 = meta
        meta6["platetop.alphabet"] = #"["A","B","C","D","E","-"]"#
        #expect(modelError(t, meta6)?.hasPrefix("tensor 'backbone.20.weight'") == true)
        var rgb = meta
        rgb["platetop.input_channels"] = "3"; rgb["platetop.color_order"] = "bgr"
        #expect(modelError(t, rgb)?.hasPrefix("tensor 'backbone.0.weight'") == true)
        var mismatch = meta
        mismatch["platetop.color_order"] = "rgb"
        #expect(modelError(t, mismatch) == "model metadata: input_channels 1 does not match color_order rgb")
        #expect(modelError(t + [("extra.weight", [1], [0])], meta) == "tensor 'extra.weight': unexpected in an lprnet model")
        for (w, h) in [(100, 24), (93, 24), (94, 23), (94, 97), (100, 32)] {
            var size = meta
            size["platetop.input_width"] = String(w); size["platetop.input_height"] = String(h)
            #expect(modelError(t, size) == "model metadata: input \(w)x\(h) unsupported (LPRNet needs height 24 to 96 and "
                    + "width 94, or a wider one with an even f2 map such as 98, 102, 106, 110)")
        }
        var arch = meta
        arch["platetop.architecture"] = "crnn"
        #expect(modelError(t, arch) == "model metadata: architecture \"crnn\" is not lprnet")
        var nan = t
        let j = nan.firstIndex { $0.name == "container.0.bias" }!
        nan[j].values[0] = .nan
        #expect(modelError(nan, meta) == "tensor 'container.0.bias': non-finite values")
        // The container may be several time steps wide, but only an odd width keeps t steps.
        let c = t.firstIndex { $0.name == "container.0.weight" }!
        var even = t, wide = t
        even[c] = (even[c].name, [5, 25, 1, 4], [Float](repeating: 0.1, count: 5 * 25 * 4))
        #expect(modelError(even, meta) == "tensor 'container.0.weight': context kernel width 4 unsupported (need odd, 1 to 63)")
        wide[c] = (wide[c].name, [5, 25, 1, 3], [Float](repeating: 0.1, count: 5 * 25 * 3))
        #expect(modelError(wide, meta) == nil)
    }

    /// Thousands of mutated/truncated model files: each must load or throw a ModelFileError,
    /// never crash; the loaded ones must run.
    @Test func fuzzMutatedModelFiles() throws {
        let good = RecognizeFixtures.tinyModelBytes()
        var headerLen = 0
        for i in 0..<8 { headerLen |= Int(good[i]) << (8 * i) }
        var rng = RecognizeFixtures.RNG(state: 2024)
        var errors = 0, loaded = 0, ran = 0
        var input = [Float](repeating: 0.1, count: 24 * 94)
        for i in 0..<input.count { input[i] = rng.float(1) }
        for iteration in 0..<3000 {
            var b = good
            switch iteration % 6 {
            case 0: b = Array(b.prefix(rng.int(b.count)))                                   // truncate
            case 1: for _ in 0..<(1 + rng.int(3)) { b[8 + rng.int(headerLen)] = UInt8(rng.int(256)) }  // header bytes
            case 2: b[8 + rng.int(headerLen)] = [UInt8(ascii: "0"), UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: ","),
                                                   UInt8(ascii: "]"), UInt8(ascii: "\""), UInt8(ascii: "1")][rng.int(7)]
            case 3: b[rng.int(8)] = UInt8(rng.int(256))                                      // header length
            case 4: b[8 + headerLen + rng.int(b.count - 8 - headerLen)] = UInt8(rng.int(256))  // data
            default: b.insert(UInt8(rng.int(256)), at: rng.int(b.count))                     // insertion
            }
            do {
                let model = try LPRNetModel(file: SafeTensorsFile(bytes: b))
                loaded += 1
                if loaded % 25 == 1 {
                    let r = try LPRNetRecognizer(model: model, maxBatch: 1)
                    let l = input.withUnsafeBufferPointer { r.logits(planarInput: $0.baseAddress!, batch: 1) }
                    #expect(l.count == 1 && l[0].count == model.info.classCount * 18)
                    ran += 1
                }
            } catch is ModelFileError {
                errors += 1
            }
        }
        #expect(errors + loaded == 3000)
        #expect(errors > 1000)
        #expect(loaded > 100)
        #expect(ran > 3)
    }
}
