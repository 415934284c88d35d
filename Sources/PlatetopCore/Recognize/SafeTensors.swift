import Foundation

/// A problem with a safetensors file or the model in it; `description` is one line naming the
/// file part or tensor at fault.
public struct ModelFileError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One tensor of a safetensors file, converted to `Float` (F32 as stored; F16 widened).
public struct SafeTensor: Sendable, Equatable {
    public let name: String
    /// The dtype as stored in the file ("F32" or "F16").
    public let dtype: String
    public let shape: [Int]
    /// Row-major values; `values.count == shape.reduce(1, *)`.
    public let values: [Float]
}

/// A strictly validated safetensors file (https://github.com/huggingface/safetensors format).
///
/// Layout: 8-byte little-endian header length `n`, `n` bytes of UTF-8 JSON
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}`,
/// then the data section. Accepted dtypes: F32, F16 (widened to Float). Rejected with a
/// ``ModelFileError`` naming the tensor: truncation, a header length beyond the file,
/// offsets out of range, overlapping, leaving gaps or unused trailing bytes, and a shape whose
/// byte count differs from its offsets.
public struct SafeTensorsFile: Sendable {
    /// Header length limit (the reference implementation uses 100 MB).
    public static let maxHeaderBytes = 100_000_000

    public let metadata: [String: String]
    public let tensors: [String: SafeTensor]

    /// Reads and validates the file at `path`.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError("cannot read model file \(path)")
        }
        try self.init(bytes: [UInt8](data))
    }

    /// Validates and decodes a whole file held in memory.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 8 else {
            throw ModelFileError("safetensors: file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n >= 2, n <= UInt64(Self.maxHeaderBytes) else {
            throw ModelFileError("safetensors: absurd header length \(n)")
        }
        let headerEnd = 8 + Int(n)
        guard headerEnd <= bytes.count else {
            throw ModelFileError("safetensors: header length \(n) runs past the end of the \(bytes.count)-byte file (truncated?)")
        }
        let headerBytes = Array(bytes[8..<headerEnd])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw ModelFileError("safetensors: header does not start with '{'")
        }
        let header: RawHeader
        do {
            header = try JSONDecoder().decode(RawHeader.self, from: Data(headerBytes))
        } catch let e as ModelFileError {
            throw e
        } catch {
            throw ModelFileError("safetensors: header is not valid JSON of the expected form")
        }
        let dataCount = bytes.count - headerEnd

        // Validate each entry, then the layout as a whole (sorted by begin offset).
        var spans: [(name: String, begin: Int, end: Int)] = []
        for (name, e) in header.entries {
            let elementSize: Int
            switch e.dtype {
            case "F32": elementSize = 4
            case "F16": elementSize = 2
            default: throw ModelFileError("tensor '\(name)': unsupported dtype \(e.dtype) (need F32 or F16)")
            }
            guard e.dataOffsets.count == 2 else {
                throw ModelFileError("tensor '\(name)': data_offsets must have 2 entries")
            }
            let begin = e.dataOffsets[0], end = e.dataOffsets[1]
            guard begin >= 0, end >= begin else {
                throw ModelFileError("tensor '\(name)': bad data_offsets [\(begin), \(end)]")
            }
            guard end <= dataCount else {
                throw ModelFileError("tensor '\(name)': data_offsets [\(begin), \(end)] beyond the \(dataCount)-byte data section (truncated?)")
            }
            var count = 1
            for d in e.shape {
                guard d >= 0 else { throw ModelFileError("tensor '\(name)': negative dimension in shape \(e.shape)") }
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, p <= Int(Int32.max) else {
                    throw ModelFileError("tensor '\(name)': shape \(e.shape) is too large")
                }
                count = p
            }
            guard count * elementSize == end - begin else {
                throw ModelFileError("tensor '\(name)': shape \(e.shape) \(e.dtype) needs \(count * elementSize) bytes, offsets give \(end - begin)")
            }
            spans.append((name, begin, end))
        }
        spans.sort { $0.begin != $1.begin ? $0.begin < $1.begin : $0.end < $1.end }
        var cursor = 0
        for s in spans {
            if s.begin < cursor {
                throw ModelFileError("tensor '\(s.name)': data_offsets [\(s.begin), \(s.end)] overlap the previous tensor")
            }
            if s.begin > cursor {
                throw ModelFileError("tensor '\(s.name)': gap of \(s.begin - cursor) bytes before its data")
            }
            cursor = s.end
        }
        if cursor != dataCount {
            throw ModelFileError("safetensors: \(dataCount - cursor) unused bytes after the last tensor")
        }

        var tensors: [String: SafeTensor] = [:]
        bytes.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress! + headerEnd
            for (name, e) in header.entries {
                let begin = e.dataOffsets[0], end = e.dataOffsets[1]
                var values: [Float]
                if e.dtype == "F32" {
                    let count = (end - begin) / 4
                    values = [Float](repeating: 0, count: count)
                    for i in 0..<count {
                        let p = base + begin + 4 * i
                        let bits = UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
                        values[i] = Float(bitPattern: bits)
                    }
                } else {
                    let count = (end - begin) / 2
                    values = [Float](repeating: 0, count: count)
                    for i in 0..<count {
                        let p = base + begin + 2 * i
                        values[i] = halfToFloat(UInt16(p[0]) | UInt16(p[1]) << 8)
                    }
                }
                tensors[name] = SafeTensor(name: name, dtype: e.dtype, shape: e.shape, values: values)
            }
        }
        self.tensors = tensors
        self.metadata = header.metadata
    }

    /// Serialises F32 tensors (sorted by name, header padded to 8 bytes) — the writer used by
    /// tests and tools; `training/safetensors_io.py` writes the same layout.
    public static func serialize(_ tensors: [(name: String, shape: [Int], values: [Float])],
                                 metadata: [String: String] = [:]) -> [UInt8] {
        let sorted = tensors.sorted { $0.name < $1.name }
        var entries: [String] = []
        if !metadata.isEmpty {
            let m = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(m.joined(separator: ","))}")
        }
        var offset = 0
        for t in sorted {
            let size = t.values.count * 4
            entries.append("\(jsonString(t.name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        let n = UInt64(header.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        out += header
        for t in sorted {
            for v in t.values {
                let b = v.bitPattern
                out.append(UInt8(truncatingIfNeeded: b)); out.append(UInt8(truncatingIfNeeded: b >> 8))
                out.append(UInt8(truncatingIfNeeded: b >> 16)); out.append(UInt8(truncatingIfNeeded: b >> 24))
            }
        }
        return out
    }
}

private func jsonString(_ s: String) -> String { JSONText.quoted(s) }

/// IEEE half → single.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exp = Int((h >> 10) & 0x1F)
    let frac = UInt32(h & 0x3FF)
    if exp == 0 {
        let v = Float(frac) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (frac << 13)) }
    return Float(bitPattern: sign | UInt32(exp + 112) << 23 | (frac << 13))
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct RawEntry: Decodable {
    let dtype: String
    let shape: [Int]
    let dataOffsets: [Int]
    enum CodingKeys: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }
}

private struct RawHeader: Decodable {
    var metadata: [String: String] = [:]
    var entries: [(String, RawEntry)] = []

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        for key in c.allKeys {
            if key.stringValue == "__metadata__" {
                do { metadata = try c.decode([String: String].self, forKey: key) } catch {
                    throw ModelFileError("safetensors: __metadata__ must map strings to strings")
                }
            } else {
                do { entries.append((key.stringValue, try c.decode(RawEntry.self, forKey: key))) } catch {
                    throw ModelFileError("tensor '\(key.stringValue)': malformed header entry (need dtype, shape, data_offsets)")
                }
            }
        }
        entries.sort { $0.0 < $1.0 }
    }
}
