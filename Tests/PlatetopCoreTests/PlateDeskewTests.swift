import Foundation
import Testing
@testable import PlatetopCore

/// Tilted synthetic plates: a light 120x32 plate with a dark border and seven dark "characters".
struct PlateDeskewTests {
    static let plateW = 120, plateH = 32

    /// The upright plate's grey value at plate coordinates (u, v), nil outside the plate.
    static func plateValue(_ u: Double, _ v: Double) -> UInt8? {
        guard u >= 0, v >= 0, u < Double(plateW), v < Double(plateH) else { return nil }
        if u < 3 || v < 3 || u >= Double(plateW - 3) || v >= Double(plateH - 3) { return 20 }
        for k in 0..<7 {
            let x0 = 10.0 + Double(k) * 15
            if u >= x0, u < x0 + 9, v >= 7, v < 25 { return 30 }
        }
        return 220
    }

    static var upright: PixelImage {
        var px = [UInt8](repeating: 0, count: plateW * plateH)
        for v in 0..<plateH { for u in 0..<plateW { px[v * plateW + u] = plateValue(Double(u) + 0.5, Double(v) + 0.5)! } }
        return PixelImage(width: plateW, height: plateH, format: .gray8, pixels: px)
    }

    /// A grey `w`x`h` frame (value 100) with the plate centred at (cx, cy), its rows along (cos θ, sin θ).
    static func frame(degrees: Double, w: Int = 300, h: Int = 200, cx: Double = 150, cy: Double = 100,
                      format: PixelImage.Format = .gray8) -> PixelImage {
        let t = degrees * .pi / 180, s = sin(t), c = cos(t)
        var px = [UInt8](repeating: 100, count: w * h * format.channels)
        for y in 0..<h {
            for x in 0..<w {
                // 4x supersampled, so edges are anti-aliased like a camera's.
                var sum = 0
                for sy in 0..<2 { for sx in 0..<2 {
                    let dx = Double(x) + 0.25 + 0.5 * Double(sx) - cx, dy = Double(y) + 0.25 + 0.5 * Double(sy) - cy
                    let u = dx * c + dy * s + Double(plateW) / 2, v = -dx * s + dy * c + Double(plateH) / 2
                    sum += Int(plateValue(u, v) ?? 100)
                } }
                for k in 0..<format.channels { px[(y * w + x) * format.channels + k] = UInt8(sum / 4) }
            }
        }
        return PixelImage(width: w, height: h, format: format, pixels: px)
    }

    /// Axis-aligned extent of the plate rotated by θ.
    static func extent(_ degrees: Double) -> (Double, Double) {
        let t = abs(degrees) * .pi / 180
        return (Double(plateW) * cos(t) + Double(plateH) * sin(t), Double(plateW) * sin(t) + Double(plateH) * cos(t))
    }

    static func meanAbsDiff(_ a: PixelImage, _ b: PixelImage) -> Double {
        let ga = a.grayscale().pixels, gb = b.grayscale().pixels
        return Double(zip(ga, gb).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(ga.count)
    }

    @Test("the tilt of a plate is found within 1 degree", arguments: [-13.0, -7.0, 4.0, 9.0, 14.0])
    func estimatesTilt(degrees: Double) {
        let f = Self.frame(degrees: degrees)
        let (ew, eh) = Self.extent(degrees)
        let rect = PixelRect(x: Int(150 - ew / 2 - 6), y: Int(100 - eh / 2 - 3), width: Int(ew + 12), height: Int(eh + 6))
        let angle = PlateDeskew.estimateAngle(f.cropped(to: rect))
        #expect(abs(angle - degrees) <= 1, "estimated \(angle) for \(degrees)")
    }

    @Test("a level plate is never rotated")
    func levelStaysLevel() {
        let f = Self.frame(degrees: 0)
        #expect(PlateDeskew.estimateAngle(f.cropped(to: PixelRect(x: 84, y: 78, width: 132, height: 44))) == 0)
        // Flat images and tiny crops have no tilt either.
        #expect(PlateDeskew.estimateAngle(PixelImage(width: 60, height: 20, format: .gray8, fill: 90)) == 0)
        #expect(PlateDeskew.estimateAngle(PixelImage(width: 6, height: 3, format: .gray8, fill: 90)) == 0)
    }

    @Test("uprightSize inverts the rotated extent")
    func uprightSize() {
        for d in [-12.0, 5.0, 10.0] {
            let (ew, eh) = Self.extent(d)
            let (w, h) = PlateDeskew.uprightSize(boxWidth: ew, boxHeight: eh, degrees: d)
            #expect(abs(w - 120) < 0.01 && abs(h - 32) < 0.01, "\(d): \(w)x\(h)")
        }
    }

    @Test("rotatedCrop along the tilt gives back the upright plate")
    func rotatedCropStraightens() {
        for d in [-10.0, 8.0] {
            let f = Self.frame(degrees: d)
            let straight = PlateDeskew.rotatedCrop(of: f, centerX: 150, centerY: 100, width: 120, height: 32, degrees: d)
            let unrotated = PlateDeskew.rotatedCrop(of: f, centerX: 150, centerY: 100, width: 120, height: 32, degrees: 0)
            let good = Self.meanAbsDiff(straight, Self.upright), bad = Self.meanAbsDiff(unrotated, Self.upright)
            #expect(good < 12, "\(d): straightened differs by \(good)")
            #expect(bad > 3 * good, "\(d): unrotated \(bad) vs straightened \(good)")
        }
        // Zero angle at integer-aligned centre is a plain crop.
        let f = Self.frame(degrees: 0, format: .rgb24)
        #expect(PlateDeskew.rotatedCrop(of: f, centerX: 150, centerY: 100, width: 120, height: 32, degrees: 0)
            == f.cropped(to: PixelRect(x: 90, y: 84, width: 120, height: 32)))
    }

    /// PlateDetector.locate with a hand-made 1x1 model: a single red pixel marks the plate centre and the
    /// box size comes from the biases (the tilted plate's extent); the crop handed on is upright.
    @Test("the detector hands the recognizer a straightened crop of a tilted plate")
    func detectorDeskews() throws {
        let d = 9.0
        let (ew, eh) = Self.extent(d)
        let model = try DetectorFixtures.model(DetectorFixtures.oneByOne(logW: Float(log(ew)), logH: Float(log(eh))),
                                               DetectorFixtures.metadata(inputWidth: 300))
        // Centre (149.5, 100.5) = the middle of pixel (149, 100), where the marker's cell + offset 0.5 points.
        var f = Self.frame(degrees: d, cx: 149.5, cy: 100.5, format: .rgb24)
        for k in 0..<f.pixels.count / 3 { f.pixels[k * 3] = 0 }  // plate in green/blue only
        f.pixels[(100 * 300 + 149) * 3] = 255
        let on = try PlateDetector(model: model, options: .init(minScore: 0.5, cropMargin: 0))
        let found = try #require(try on.locate(in: f).first)
        #expect(abs(found.crop.width - 120) <= 2 && abs(found.crop.height - 32) <= 2, "\(found.crop.width)x\(found.crop.height)")
        var crop = found.crop
        for k in 0..<crop.pixels.count / 3 { crop.pixels[k * 3] = crop.pixels[k * 3 + 1] }
        let resized = crop.resized(width: 120, height: 32)
        #expect(Self.meanAbsDiff(resized, Self.upright) < 12)
        // Off: the axis-aligned box crop, as before.
        let off = try PlateDetector(model: model, options: .init(minScore: 0.5, cropMargin: 0, deskewMinDegrees: nil))
        let plain = try #require(try off.locate(in: f).first)
        #expect(plain.crop.width == plain.box.width && plain.crop.height == plain.box.height)
        #expect(abs(Double(plain.box.width) - ew) <= 2)
    }
}
