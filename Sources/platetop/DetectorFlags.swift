import ArgumentParser
import Foundation
import PlatetopCore

/// Plate-detector flags shared by every command that reads plates (part of ``ModelOptions``).
///
/// Without `--roi`, frames go through the full-frame detector when one is available:
/// `--detector PATH`, else `models/detector.safetensors` found like the recognizer model.
struct DetectorFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Plate detector model (.safetensors), used when no --roi is given.",
                               discussion: "Default: models/detector.safetensors when present."))
    var detector: String?

    @Option(help: "Lowest detector score (0...1) for a plate to be read (default: the stream file's, else the model's calibrated score).")
    var detectorMinScore: Double?

    @Option(help: "Width in pixels frames are resized to for the detector (default: the model's input width; 800 for the shipped one).")
    var detectorWidth: Int?

    @Flag(help: "Never use the plate detector (read the whole image, or --roi).")
    var noDetector = false

    @Flag(help: "Score plates by the detector's heat map alone, without its verifier stage (when the model has one).")
    var noDetectorVerifier = false

    @Flag(help: "Use only the detector's main heat map, without its fine (stride-4) head for small plates (when the model has one).")
    var noDetectorFineHead = false

    func validate() throws {
        if let v = detectorMinScore, !(v > 0 && v < 1) { throw ValidationError("--detector-min-score must be between 0 and 1") }
        if let v = detectorWidth, !(64...4096).contains(v) { throw ValidationError("--detector-width must be 64...4096") }
    }

    /// The detector model to use, or nil when disabled or none is shipped.
    func modelPath() throws -> String? {
        if noDetector { return nil }
        if let detector {
            guard FileManager.default.fileExists(atPath: detector) else {
                throw RuntimeFailure("cannot open detector model '\(detector)': No such file or directory")
            }
            return detector
        }
        return ModelPaths.find("detector.safetensors")
    }

    /// Detector options: these flags, then the stream file's values, then the defaults.
    func options(fileMinScore: Double? = nil, fileWidth: Int? = nil) -> PlateDetector.Options {
        var o = PlateDetector.Options()
        o.minScore = (detectorMinScore ?? fileMinScore).map(Float.init)
        o.inputWidth = detectorWidth ?? fileWidth
        o.useVerifier = !noDetectorVerifier
        o.useFineHead = !noDetectorFineHead
        return o
    }

    /// Loads the detector at `path`; errors become one-line runtime failures.
    static func load(path: String, options: PlateDetector.Options) throws -> PlateDetector {
        do {
            return try PlateDetector(modelPath: path, options: options)
        } catch {
            throw RuntimeFailure("cannot load detector model '\(path)': \(error)")
        }
    }

    /// The detector for still images (`read`, `eval`), or nil when disabled or absent.
    func loadForImages() throws -> PlateDetector? {
        guard let path = try modelPath() else { return nil }
        return try Self.load(path: path, options: options())
    }

    /// Still images at least this large (both sides) go through the detector; smaller ones are
    /// plate crops and are read whole.
    static let minimumFrameWidth = 320, minimumFrameHeight = 160

    static func isFullFrame(_ image: PixelImage) -> Bool {
        image.width >= minimumFrameWidth && image.height >= minimumFrameHeight
    }
}
