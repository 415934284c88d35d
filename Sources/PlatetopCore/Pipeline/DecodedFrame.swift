/// One decoded video frame as a Swift-owned value: safe to hand from the decode queue to others.
public struct DecodedFrame: Sendable {
    /// 0-based index of the frame in decode order since the source was opened.
    public let index: Int
    /// Presentation time in seconds, from the stream's time base.
    public let ptsSeconds: Double
    public let image: PixelImage

    public init(index: Int, ptsSeconds: Double, image: PixelImage) {
        self.index = index
        self.ptsSeconds = ptsSeconds
        self.image = image
    }
}
