import PlatetopCore

/// A pure-Swift decoder for baseline (sequential, Huffman, 8-bit) JPEG that reproduces libjpeg-turbo's
/// default output bit for bit: the `islow` integer IDCT of `jidctint.c` with its range-limit table,
/// then libjpeg's fancy upsampling and colour tables (``LibjpegColor``).
///
/// Why not FFmpeg: none of FFmpeg's IDCTs is libjpeg's `islow`, and models trained on images read by
/// `cv2.imread` (libjpeg-turbo) flip a few low-confidence strings on ±1 pixel differences. Anything this
/// decoder does not cover (progressive, arithmetic coding, 12-bit, unusual sampling, corrupt data)
/// returns nil and the caller falls back to FFmpeg.
enum BaselineJPEG {
    /// One decoded component at its stored (downsampled) size.
    struct Plane {
        var width: Int
        var height: Int
        var samples: [UInt8]
    }

    struct Decoded {
        var width: Int
        var height: Int
        /// Y only (grey) or Y, Cb, Cr.
        var planes: [Plane]
        /// Horizontal and vertical sampling factors of each component.
        var sampling: [(h: Int, v: Int)]
    }

    /// Decodes `bytes`, or nil when the file is not a baseline JPEG this decoder handles.
    static func decode(_ bytes: [UInt8]) -> Decoded? {
        var parser = Parser(bytes: bytes)
        return try? parser.run()
    }

    /// Packed RGB as `cv2.imread` would return it (after BGR → RGB), or nil (see ``decode(_:)``).
    static func rgb(_ bytes: [UInt8]) -> PixelImage? {
        guard let d = decode(bytes) else { return nil }
        let w = d.width, h = d.height
        if d.planes.count == 1 {  // a single component is stored at the image's own size
            return PixelImage(width: w, height: h, format: .gray8, pixels: d.planes[0].samples).rgb()
        }
        // Upsampling ratio of each component; libjpeg-style conversion covers full-size luma over
        // chroma at 1x1, 2x1 or 2x2 (the factors themselves may be scaled, e.g. all components 1x2).
        let hMax = d.sampling.map(\.h).max()!, vMax = d.sampling.map(\.v).max()!
        let ratios = d.sampling.map { (h: hMax / $0.h, v: vMax / $0.v, exact: hMax % $0.h == 0 && vMax % $0.v == 0) }
        guard ratios.allSatisfy(\.exact), ratios[0].h == 1, ratios[0].v == 1,
              ratios[1].h == ratios[2].h, ratios[1].v == ratios[2].v,
              [(1, 1), (2, 1), (2, 2)].contains(where: { $0 == (ratios[1].h, ratios[1].v) })
        else { return nil }
        var y = d.planes[0].samples, cb = d.planes[1].samples, cr = d.planes[2].samples
        let yStride = d.planes[0].width, cbStride = d.planes[1].width, crStride = d.planes[2].width
        return y.withUnsafeMutableBufferPointer { y in
            cb.withUnsafeMutableBufferPointer { cb in
                cr.withUnsafeMutableBufferPointer { cr in
                    LibjpegColor.rgb(y: y.baseAddress!, yStride: yStride, cb: cb.baseAddress!, cbStride: cbStride,
                                     cr: cr.baseAddress!, crStride: crStride, width: w, height: h,
                                     h2: ratios[1].h == 2, v2: ratios[1].v == 2)
                }
            }
        }
    }

    private struct Unsupported: Error {}

    private struct HuffmanTable {
        // Canonical decoding: for each code length, the largest code and the index offset.
        var maxCode = [Int](repeating: -1, count: 18)
        var valOffset = [Int](repeating: 0, count: 18)
        var values: [UInt8] = []

        init() {}

        init(counts: [Int], values: [UInt8]) throws(Unsupported) {
            self.values = values
            var code = 0, k = 0
            for length in 1...16 {
                let n = counts[length - 1]
                if n > 0 {
                    valOffset[length] = k - code
                    code += n
                    k += n
                    maxCode[length] = code - 1
                }
                guard code <= 1 << length else { throw Unsupported() }
                code <<= 1
            }
            maxCode[17] = Int.max
        }
    }

    private struct Component {
        var id: UInt8
        var h: Int
        var v: Int
        var quantIndex: Int
        var dcTable = 0
        var acTable = 0
        var blocksWide = 0
        var blocksHigh = 0
        var coefficients: [Int16] = []
        var prediction = 0
    }

    /// Zigzag index → natural (row-major) index.
    private static let naturalOrder: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ]

    private struct Parser {
        let bytes: [UInt8]
        var pos = 0
        var quant = [[Int]](repeating: [], count: 4)
        var dcTables = [HuffmanTable](repeating: HuffmanTable(), count: 4)
        var acTables = [HuffmanTable](repeating: HuffmanTable(), count: 4)
        var components: [Component] = []
        var width = 0, height = 0
        // MCU geometry, fixed by the frame header.
        var hMax = 1, vMax = 1, mcusWide = 0, mcusHigh = 0
        var restartInterval = 0
        var frameSeen = false, scanned = false
        // Entropy-coded segment bit reader.
        var bitBuffer = 0, bitCount = 0, hitMarker = false

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func u8() throws(Unsupported) -> Int {
            guard pos < bytes.count else { throw Unsupported() }
            defer { pos += 1 }
            return Int(bytes[pos])
        }

        mutating func u16() throws(Unsupported) -> Int { try u8() << 8 | u8() }

        mutating func run() throws(Unsupported) -> Decoded {
            guard try u16() == 0xFFD8 else { throw Unsupported() }
            while true {
                var marker = try u8()
                guard marker == 0xFF else { throw Unsupported() }
                while marker == 0xFF { marker = try u8() }
                switch marker {
                case 0xD9:  // EOI
                    guard scanned else { throw Unsupported() }
                    return try finish()
                case 0xC0, 0xC1: try readFrame()
                case 0xC2...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
                    throw Unsupported()  // progressive, lossless, arithmetic, hierarchical
                case 0xC4: try readHuffman()
                case 0xDB: try readQuant()
                case 0xDD:
                    guard try u16() == 4 else { throw Unsupported() }
                    restartInterval = try u16()
                case 0xDA:
                    try readScan()
                    scanned = true
                case 0xD0...0xD7, 0x01: continue
                default:  // APPn, COM, DNL, …: skip the segment
                    pos = try segmentEnd()
                }
            }
        }

        /// The end of the segment whose length field is at `pos`.
        mutating func segmentEnd() throws(Unsupported) -> Int {
            let length = try u16()
            guard length >= 2, pos + length - 2 <= bytes.count else { throw Unsupported() }
            return pos + length - 2
        }

        mutating func readQuant() throws(Unsupported) {
            let end = try segmentEnd()
            while pos < end {
                let pq = try u8()
                let precision = pq >> 4, index = pq & 15
                guard index < 4, precision <= 1 else { throw Unsupported() }
                var table = [Int](repeating: 0, count: 64)
                for k in 0..<64 { table[naturalOrder[k]] = precision == 1 ? try u16() : try u8() }
                quant[index] = table
            }
            guard pos == end else { throw Unsupported() }
        }

        mutating func readHuffman() throws(Unsupported) {
            let end = try segmentEnd()
            while pos < end {
                let tc = try u8()
                let cls = tc >> 4, index = tc & 15
                guard cls <= 1, index < 4 else { throw Unsupported() }
                var counts = [Int](repeating: 0, count: 16)
                for i in 0..<16 { counts[i] = try u8() }
                let total = counts.reduce(0, +)
                guard total <= 256 else { throw Unsupported() }
                var values = [UInt8](repeating: 0, count: total)
                for i in 0..<total { values[i] = UInt8(try u8()) }
                let table = try HuffmanTable(counts: counts, values: values)
                if cls == 0 { dcTables[index] = table } else { acTables[index] = table }
            }
            guard pos == end else { throw Unsupported() }
        }

        mutating func readFrame() throws(Unsupported) {
            guard !frameSeen else { throw Unsupported() }
            frameSeen = true
            _ = try u16()
            guard try u8() == 8 else { throw Unsupported() }  // 8-bit samples only
            height = try u16()
            width = try u16()
            let count = try u8()
            guard width > 0, height > 0, width * height <= 1 << 26, count == 1 || count == 3 else {
                throw Unsupported()
            }
            for _ in 0..<count {
                let id = UInt8(try u8())
                let hv = try u8()
                let q = try u8()
                guard (1...2).contains(hv >> 4), (1...2).contains(hv & 15), q < 4 else { throw Unsupported() }
                components.append(Component(id: id, h: hv >> 4, v: hv & 15, quantIndex: q))
            }
            if count == 1 { components[0].h = 1; components[0].v = 1 }  // one component: no MCU grouping
            hMax = components.map(\.h).max()!
            vMax = components.map(\.v).max()!
            mcusWide = (width + 8 * hMax - 1) / (8 * hMax)
            mcusHigh = (height + 8 * vMax - 1) / (8 * vMax)
            for i in components.indices {
                components[i].blocksWide = mcusWide * components[i].h
                components[i].blocksHigh = mcusHigh * components[i].v
                components[i].coefficients = [Int16](
                    repeating: 0, count: components[i].blocksWide * components[i].blocksHigh * 64)
            }
        }

        mutating func readScan() throws(Unsupported) {
            guard frameSeen, !scanned else { throw Unsupported() }
            _ = try u16()
            let count = try u8()
            // One interleaved scan with every component (what baseline encoders write).
            guard count == components.count else { throw Unsupported() }
            for i in 0..<count {
                let id = UInt8(try u8())
                let tables = try u8()
                guard components[i].id == id, tables >> 4 < 4, tables & 15 < 4 else { throw Unsupported() }
                components[i].dcTable = tables >> 4
                components[i].acTable = tables & 15
                guard !quant[components[i].quantIndex].isEmpty,
                      !dcTables[tables >> 4].values.isEmpty, !acTables[tables & 15].values.isEmpty
                else { throw Unsupported() }
            }
            guard try u8() == 0, try u8() == 63, try u8() == 0 else { throw Unsupported() }
            try decodeEntropy()
        }

        // MARK: entropy-coded data

        mutating func fill() {
            while bitCount <= 48 {
                var byte = 0
                if !hitMarker, pos < bytes.count {
                    byte = Int(bytes[pos])
                    if byte == 0xFF {
                        let next = pos + 1 < bytes.count ? bytes[pos + 1] : 0xD9
                        if next == 0 {
                            pos += 2
                        } else {
                            hitMarker = true  // leave the marker for the parser; feed zeros like libjpeg
                            byte = 0
                        }
                    } else {
                        pos += 1
                    }
                } else {
                    hitMarker = true
                }
                bitBuffer = bitBuffer << 8 | byte
                bitCount += 8
            }
        }

        mutating func bits(_ n: Int) -> Int {
            if n == 0 { return 0 }
            if bitCount < n { fill() }
            bitCount -= n
            return (bitBuffer >> bitCount) & ((1 << n) - 1)
        }

        mutating func decodeSymbol(_ table: HuffmanTable) throws(Unsupported) -> Int {
            var code = 0
            for length in 1...16 {
                code = code << 1 | bits(1)
                if code <= table.maxCode[length] {
                    let index = code + table.valOffset[length]
                    guard index >= 0, index < table.values.count else { throw Unsupported() }
                    return Int(table.values[index])
                }
            }
            throw Unsupported()  // corrupt data: let FFmpeg report or conceal it
        }

        /// JPEG's sign extension of an `n`-bit magnitude category.
        static func extend(_ v: Int, _ n: Int) -> Int { n == 0 ? 0 : (v < 1 << (n - 1) ? v - (1 << n) + 1 : v) }

        mutating func decodeBlock(_ c: Int, at offset: Int) throws(Unsupported) {
            let s = try decodeSymbol(dcTables[components[c].dcTable])
            guard s <= 11 else { throw Unsupported() }
            components[c].prediction += Self.extend(bits(s), s)
            components[c].coefficients[offset] = Int16(truncatingIfNeeded: components[c].prediction)
            var k = 1
            let ac = acTables[components[c].acTable]
            while k < 64 {
                let rs = try decodeSymbol(ac)
                let r = rs >> 4, size = rs & 15
                if size == 0 {
                    if r != 15 { break }
                    k += 16
                    continue
                }
                k += r
                guard k < 64 else { throw Unsupported() }
                components[c].coefficients[offset + naturalOrder[k]] = Int16(truncatingIfNeeded: Self.extend(bits(size), size))
                k += 1
            }
        }

        mutating func restart() throws(Unsupported) {
            // Drop buffered bits, expect RSTn at the current position.
            bitBuffer = 0
            bitCount = 0
            hitMarker = false
            while pos < bytes.count, bytes[pos] != 0xFF { pos += 1 }
            guard pos + 1 < bytes.count, (0xD0...0xD7).contains(bytes[pos + 1]) else { throw Unsupported() }
            pos += 2
            for i in components.indices { components[i].prediction = 0 }
        }

        mutating func decodeEntropy() throws(Unsupported) {
            var left = restartInterval
            for my in 0..<mcusHigh {
                for mx in 0..<mcusWide {
                    if restartInterval > 0 {
                        if left == 0 {
                            try restart()
                            left = restartInterval
                        }
                        left -= 1
                    }
                    for c in components.indices {
                        // Plain integers: holding a copy of the component would make every coefficient
                        // write copy its whole array.
                        let h = components[c].h, v = components[c].v, blocksWide = components[c].blocksWide
                        for by in 0..<v {
                            for bx in 0..<h {
                                let row = my * v + by, col = mx * h + bx
                                try decodeBlock(c, at: (row * blocksWide + col) * 64)
                            }
                        }
                    }
                }
            }
            // Skip to the next marker (EOI or trailing segments); the main loop reads it.
            while pos < bytes.count, !(bytes[pos] == 0xFF && pos + 1 < bytes.count && bytes[pos + 1] != 0) { pos += 1 }
        }

        // MARK: reconstruction

        func finish() throws(Unsupported) -> Decoded {
            var planes: [Plane] = []
            var workspace = [Int](repeating: 0, count: 64)
            var block = [UInt8](repeating: 0, count: 64)
            for comp in components {
                // libjpeg's downsampled size: ceil(image size * factor / max factor).
                let pw = (width * comp.h + hMax - 1) / hMax, ph = (height * comp.v + vMax - 1) / vMax
                var samples = [UInt8](repeating: 0, count: pw * ph)
                let q = quant[comp.quantIndex]
                for by in 0..<comp.blocksHigh where by * 8 < ph {
                    for bx in 0..<comp.blocksWide where bx * 8 < pw {
                        comp.coefficients.withUnsafeBufferPointer { coef in
                            IslowIDCT.transform(coef, offset: (by * comp.blocksWide + bx) * 64, quant: q,
                                                workspace: &workspace, output: &block)
                        }
                        for y in 0..<min(8, ph - by * 8) {
                            for x in 0..<min(8, pw - bx * 8) {
                                samples[(by * 8 + y) * pw + bx * 8 + x] = block[y * 8 + x]
                            }
                        }
                    }
                }
                planes.append(Plane(width: pw, height: ph, samples: samples))
            }
            return Decoded(width: width, height: height, planes: planes, sampling: components.map { ($0.h, $0.v) })
        }
    }
}

/// libjpeg's `jpeg_idct_islow` (8-bit samples): Loeffler–Ligtenberg–Moschytz with 13-bit constants,
/// 2 extra bits between passes, dequantisation folded in, and libjpeg's wrapping range-limit table.
enum IslowIDCT {
    private static let constBits = 13, pass1Bits = 2
    private static let f0_298631336 = 2446, f0_390180644 = 3196, f0_541196100 = 4433, f0_765366865 = 6270
    private static let f0_899976223 = 7373, f1_175875602 = 9633, f1_501321110 = 12299, f1_847759065 = 15137
    private static let f1_961570560 = 16069, f2_053119869 = 16819, f2_562915447 = 20995, f3_072711026 = 25172

    /// `IDCT_range_limit(cinfo)[x & RANGE_MASK]`: x + 128 clamped, wrapping like libjpeg for wild values.
    static let rangeLimit: [UInt8] = (0..<1024).map { i in
        switch i {
        case 0..<128: UInt8(i + 128)
        case 128..<512: 255
        case 512..<896: 0
        default: UInt8(i - 896)
        }
    }

    private static func descale(_ x: Int, _ n: Int) -> Int { (x + (1 << (n - 1))) >> n }

    /// One 8×8 block: `coef[offset..<offset+64]` (natural order) × `quant` → `output` samples.
    static func transform(_ coef: UnsafeBufferPointer<Int16>, offset: Int, quant: [Int],
                          workspace ws: inout [Int], output: inout [UInt8])
    {
        for col in 0..<8 {
            func dq(_ row: Int) -> Int { Int(coef[offset + row * 8 + col]) * quant[row * 8 + col] }
            if (1..<8).allSatisfy({ coef[offset + $0 * 8 + col] == 0 }) {
                let dc = dq(0) << pass1Bits
                for row in 0..<8 { ws[row * 8 + col] = dc }
                continue
            }
            let (t10, t11, t12, t13, o0, o1, o2, o3) = butterfly(dq(0), dq(1), dq(2), dq(3), dq(4), dq(5), dq(6), dq(7))
            let n = constBits - pass1Bits
            ws[0 * 8 + col] = descale(t10 + o3, n); ws[7 * 8 + col] = descale(t10 - o3, n)
            ws[1 * 8 + col] = descale(t11 + o2, n); ws[6 * 8 + col] = descale(t11 - o2, n)
            ws[2 * 8 + col] = descale(t12 + o1, n); ws[5 * 8 + col] = descale(t12 - o1, n)
            ws[3 * 8 + col] = descale(t13 + o0, n); ws[4 * 8 + col] = descale(t13 - o0, n)
        }
        let n = constBits + pass1Bits + 3
        for row in 0..<8 {
            let w = row * 8
            if (1..<8).allSatisfy({ ws[w + $0] == 0 }) {
                let v = rangeLimit[descale(ws[w], pass1Bits + 3) & 1023]
                for x in 0..<8 { output[w + x] = v }
                continue
            }
            let (t10, t11, t12, t13, o0, o1, o2, o3) = butterfly(
                ws[w], ws[w + 1], ws[w + 2], ws[w + 3], ws[w + 4], ws[w + 5], ws[w + 6], ws[w + 7])
            output[w + 0] = rangeLimit[descale(t10 + o3, n) & 1023]
            output[w + 7] = rangeLimit[descale(t10 - o3, n) & 1023]
            output[w + 1] = rangeLimit[descale(t11 + o2, n) & 1023]
            output[w + 6] = rangeLimit[descale(t11 - o2, n) & 1023]
            output[w + 2] = rangeLimit[descale(t12 + o1, n) & 1023]
            output[w + 5] = rangeLimit[descale(t12 - o1, n) & 1023]
            output[w + 3] = rangeLimit[descale(t13 + o0, n) & 1023]
            output[w + 4] = rangeLimit[descale(t13 - o0, n) & 1023]
        }
    }

    /// The even part (tmp10…tmp13) and odd part (tmp0…tmp3) of one 1-D pass.
    @inline(__always)
    private static func butterfly(_ x0: Int, _ x1: Int, _ x2: Int, _ x3: Int, _ x4: Int, _ x5: Int, _ x6: Int, _ x7: Int)
        -> (Int, Int, Int, Int, Int, Int, Int, Int)
    {
        var z1 = (x2 + x6) * f0_541196100
        let e2 = z1 + x6 * -f1_847759065
        let e3 = z1 + x2 * f0_765366865
        let e0 = (x0 + x4) << constBits
        let e1 = (x0 - x4) << constBits
        let t10 = e0 + e3, t13 = e0 - e3, t11 = e1 + e2, t12 = e1 - e2

        var o0 = x7, o1 = x5, o2 = x3, o3 = x1
        z1 = o0 + o3
        var z2 = o1 + o2, z3 = o0 + o2, z4 = o1 + o3
        let z5 = (z3 + z4) * f1_175875602
        o0 *= f0_298631336
        o1 *= f2_053119869
        o2 *= f3_072711026
        o3 *= f1_501321110
        z1 *= -f0_899976223
        z2 *= -f2_562915447
        z3 *= -f1_961570560
        z4 *= -f0_390180644
        z3 += z5
        z4 += z5
        o0 += z1 + z3
        o1 += z2 + z4
        o2 += z2 + z3
        o3 += z1 + z4
        return (t10, t11, t12, t13, o0, o1, o2, o3)
    }
}
