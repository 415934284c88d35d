import Foundation

/// One recognised plate in one frame: the tracker's input.
///
/// Timestamps are injected by the caller (`ptsSeconds` from the stream, `wallTime` from the clock
/// the pipeline chose); the tracker itself never reads a clock.
public struct PlateObservation: Sendable {
    /// Stream name (the camera's or file's label). Events never mix streams.
    public var stream: String
    /// Index of the decoded frame the crop came from.
    public var frameIndex: Int
    /// Presentation time of the frame in seconds of stream time; drives event windows.
    public var ptsSeconds: Double
    /// Wall-clock time of the frame, copied into the event's `firstSeen` / `lastSeen`.
    public var wallTime: Date
    /// Where the plate is in the frame (the fixed ROI, or a detector box).
    public var box: PixelRect
    /// What the recognizer read.
    public var read: PlateRead
    /// The plate crop, kept for the event's best read (optional to save memory).
    public var crop: PixelImage?

    public init(stream: String, frameIndex: Int, ptsSeconds: Double, wallTime: Date, box: PixelRect,
                read: PlateRead, crop: PixelImage? = nil) {
        self.stream = stream
        self.frameIndex = frameIndex
        self.ptsSeconds = ptsSeconds
        self.wallTime = wallTime
        self.box = box
        self.read = read
        self.crop = crop
    }
}
