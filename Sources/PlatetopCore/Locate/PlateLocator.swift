/// A place in the frame where a plate may be, with the pixels to read.
public struct PlateCandidate: Sendable {
    /// Where in the frame, in pixels.
    public let box: PixelRect
    /// Locator confidence 0...1 (1 for a fixed region).
    public let score: Float
    /// The pixels handed to the recognizer (may be deskewed or padded relative to `box`).
    public let crop: PixelImage

    public init(box: PixelRect, score: Float, crop: PixelImage) {
        self.box = box
        self.score = score
        self.crop = crop
    }
}

/// Finds plate candidates in a frame.
public protocol PlateLocator {
    func locate(in frame: PixelImage) throws -> [PlateCandidate]
}

/// The fixed-region locator: always the same region of every frame.
public struct FixedRegionLocator: PlateLocator, Sendable {
    public let region: RegionOfInterest

    public init(region: RegionOfInterest) { self.region = region }

    public func locate(in frame: PixelImage) throws -> [PlateCandidate] {
        let rect = try region.resolve(frameWidth: frame.width, frameHeight: frame.height)
        return [PlateCandidate(box: rect, score: 1, crop: frame.cropped(to: rect))]
    }
}
