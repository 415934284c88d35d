import ArgumentParser
import Foundation
import PlatetopCore
import PlatetopVideo

/// `platetop read IMAGE...`: reads the plate in each image.
struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read plates in still images (JPEG, PNG, BMP).",
        discussion: "Prints FILE<TAB>TEXT<TAB>CONFIDENCE per image, or JSON lines with --json. Without --roi the whole image is read as a plate crop.")

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
        var failures = 0
        for path in images {
            do {
                let image = try ImageFile.load(path: path)
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
}
