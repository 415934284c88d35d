import ArgumentParser
import Foundation
import PlatetopCore
import PlatetopVideo

/// `platetop read IMAGE...`: reads the plate in each image.
struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read plates in still images (JPEG, PNG, BMP).",
        discussion: "Prints FILE<TAB>TEXT<TAB>CONFIDENCE per image, or JSON lines with --json. Without --roi, images of at least 320x160 go through the plate detector (models/detector.safetensors, when present) and every plate found gets a line (an image with none prints an empty text, confidence 0); smaller images, or any with --no-detector, are read whole as a plate crop.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Region to read, x,y,w,h in pixels or fractions (0.3,0.6,0.4,0.2).")
    var roi: String?

    @Flag(help: "Print one JSON object per image instead of tab-separated text.")
    var json = false

    @Argument(help: "Image files.")
    var images: [String]

    func validate() throws {
        _ = try parseRegion(roi)
        if images.isEmpty { throw ValidationError("give at least one image") }
    }

    func run() throws {
        let region = try parseRegion(roi)
        let recognizer = try modelOptions.loadRecognizer()
        let detector = region == nil ? try modelOptions.detectorFlags.loadForImages() : nil
        var failures = 0
        for path in images {
            do {
                let image = try ImageFile.load(path: path)
                if let detector, DetectorFlags.isFullFrame(image) {
                    try printDetected(path: path, image: image, detector: detector, recognizer: recognizer)
                    continue
                }
                let crop: PixelImage
                var box = image.bounds
                if let region {
                    do {
                        box = try region.resolve(frameWidth: image.width, frameHeight: image.height)
                    } catch {
                        throw RuntimeFailure("\(path): \(error.message)")
                    }
                    crop = image.cropped(to: box)
                } else {
                    crop = image
                }
                let read = try recognizer.recognize([crop])[0]
                if json {
                    let chars = read.characters.map { "{\"char\":\(jsonString($0.character)),\"confidence\":\(jsonNumber(Double($0.confidence)))}" }
                    Output.line("{\"file\":\(jsonString(path)),\"text\":\(jsonString(read.text)),\"confidence\":\(jsonNumber(Double(read.confidence))),\"box\":[\(box.x),\(box.y),\(box.width),\(box.height)],\"characters\":[\(chars.joined(separator: ","))]}")
                } else {
                    Output.line("\(path)\t\(read.text)\t\(read.confidence.confidenceText)")
                }
            } catch let f as RuntimeFailure {
                throw f
            } catch {
                failures += 1
                Output.error("\(path): \(oneLine(String(describing: error)))")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// One line per detected plate (best detector score first); an empty read when none.
    private func printDetected(path: String, image: PixelImage, detector: PlateDetector, recognizer: LPRNetRecognizer) throws {
        let candidates = try detector.locate(in: image)
        let reads = candidates.isEmpty ? [] : try recognizer.recognize(candidates.map(\.crop))
        if candidates.isEmpty {
            if json {
                Output.line("{\"file\":\(jsonString(path)),\"text\":\"\",\"confidence\":0,\"box\":null,\"characters\":[]}")
            } else {
                Output.line("\(path)\t\t\(Float(0).confidenceText)")
            }
            return
        }
        for (c, read) in zip(candidates, reads) {
            if json {
                let chars = read.characters.map { "{\"char\":\(jsonString($0.character)),\"confidence\":\(jsonNumber(Double($0.confidence)))}" }
                Output.line("{\"file\":\(jsonString(path)),\"text\":\(jsonString(read.text)),\"confidence\":\(jsonNumber(Double(read.confidence))),\"box\":[\(c.box.x),\(c.box.y),\(c.box.width),\(c.box.height)],\"detector_score\":\(jsonNumber(Double(c.score))),\"characters\":[\(chars.joined(separator: ","))]}")
            } else {
                Output.line("\(path)\t\(read.text)\t\(read.confidence.confidenceText)")
            }
        }
    }
}
