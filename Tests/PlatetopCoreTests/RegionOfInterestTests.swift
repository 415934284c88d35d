import Testing
@testable import PlatetopCore

@Suite struct RegionOfInterestTests {
    @Test func parsesPixelsAndFractions() throws {
        let px = try RegionOfInterest(parsing: "10,20,30,40")
        #expect(px.units == .pixels)
        #expect(try px.resolve(frameWidth: 100, frameHeight: 100) == PixelRect(x: 10, y: 20, width: 30, height: 40))
        let fr = try RegionOfInterest(parsing: "0.25,0.5,0.5,0.25")
        #expect(fr.units == .fractions)
        #expect(try fr.resolve(frameWidth: 200, frameHeight: 100) == PixelRect(x: 50, y: 50, width: 100, height: 25))
    }

    @Test(arguments: ["1,2,3", "a,b,c,d", "10,10,0,5", "-1,0,5,5", "0.5,0.5,0.6,0.1", "1.5,2,3,4"])
    func rejectsBadText(_ text: String) {
        #expect(throws: RegionOfInterest.Invalid.self) { try RegionOfInterest(parsing: text) }
    }

    @Test func rejectsRegionOutsideFrame() throws {
        let roi = try RegionOfInterest(parsing: "300,200,100,100")
        #expect(throws: RegionOfInterest.Invalid.self) { try roi.resolve(frameWidth: 320, frameHeight: 240) }
    }

    @Test func cropCopiesExpectedPixels() throws {
        // A frame whose pixel (x, y) has R = x, G = y, B = x ^ y.
        var px = [UInt8]()
        for y in 0..<48 { for x in 0..<64 { px += [UInt8(x), UInt8(y), UInt8(x ^ y)] } }
        let frame = PixelImage(width: 64, height: 48, format: .rgb24, pixels: px)
        for text in ["8,4,16,10", "0.125,0.083333,0.25,0.208333"] {
            let rect = try RegionOfInterest(parsing: text).resolve(frameWidth: 64, frameHeight: 48)
            #expect(rect == PixelRect(x: 8, y: 4, width: 16, height: 10))
            let crop = frame.cropped(to: rect)
            #expect(crop.width == 16 && crop.height == 10)
            for y in 0..<10 { for x in 0..<16 {
                let i = (y * 16 + x) * 3
                #expect(crop.pixels[i] == UInt8(x + 8) && crop.pixels[i + 1] == UInt8(y + 4) && crop.pixels[i + 2] == UInt8((x + 8) ^ (y + 4)))
            } }
        }
    }
}
