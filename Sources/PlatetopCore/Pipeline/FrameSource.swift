import Synchronization

/// A source of decoded frames, used from one queue only (the decode queue).
public protocol FrameSource: AnyObject {
    /// The next frame, or nil at the end of the stream.
    func next() throws -> DecodedFrame?
}

/// Facts about an opened source, for the dashboard header and the exit summary.
public struct SourceInfo: Sendable, Equatable {
    public var source: String
    public var width: Int
    public var height: Int
    public var codec: String
    public var frameRate: Double?
    public var isLive: Bool

    public init(source: String, width: Int, height: Int, codec: String, frameRate: Double?, isLive: Bool) {
        self.source = source
        self.width = width
        self.height = height
        self.codec = codec
        self.frameRate = frameRate
        self.isLive = isLive
    }
}

/// A "please stop" flag shared between the UI/signal side and the pipeline stages.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func request() { flag.store(true, ordering: .releasing) }
    public var isRequested: Bool { flag.load(ordering: .acquiring) }
}
