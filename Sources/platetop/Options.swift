import ArgumentParser
import Foundation
import PlatetopCore

/// `--model` and decoding options shared by every command that reads plates.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Recognition model (.safetensors).", discussion: "Default: models/latin.safetensors shipped with platetop."))
    var model: String?

    @Option(name: .long, help: "CTC decoding: 'greedy' or 'beam' (prefix beam search).")
    var decoder: DecoderKind = .greedy

    @Option(name: .long, help: "Beam width for --decoder beam.")
    var beamWidth: Int = 8

    @Option(name: .long, help: "Recognizer threads.")
    var threads: Int = 1

    @OptionGroup var detectorFlags: DetectorFlags

    enum DecoderKind: String, ExpressibleByArgument, CaseIterable { case greedy, beam }

    var ctcDecoder: CTCDecoder { decoder == .greedy ? .greedy : .beam(width: beamWidth) }

    func validate() throws {
        guard beamWidth >= 1, beamWidth <= 256 else { throw ValidationError("--beam-width must be 1...256") }
        guard threads >= 1, threads <= 16 else { throw ValidationError("--threads must be 1...16") }
    }

    /// Loads the recognizer; errors become one-line runtime failures.
    func loadRecognizer(maxBatch: Int = 16) throws -> LPRNetRecognizer {
        try ModelPaths.loadRecognizer(explicit: model, maxBatch: maxBatch, threads: threads, decoder: ctcDecoder)
    }
}

/// Parses `--roi` text into a region (with the precise message on failure).
func parseRegion(_ text: String?) throws -> RegionOfInterest? {
    guard let text else { return nil }
    do {
        return try RegionOfInterest(parsing: text)
    } catch {
        throw ValidationError(error.message)
    }
}

/// Every `--pattern` must compile; the first that does not is a usage error naming it.
func validatePatterns(_ patterns: [String]) throws {
    for p in patterns {
        do { _ = try FormatRules(patternStrings: [p]) } catch { throw ValidationError("--pattern '\(p)': \(error)") }
    }
}

extension Float {
    /// Confidence as printed by `read`: four decimals.
    var confidenceText: String { String(format: "%.4f", Double(self)) }
}

/// A JSON-string literal for `text` (quotes and escapes included).
func jsonString(_ text: String) -> String { JSONText.quoted(text) }

/// A JSON number with at most `digits` decimals (no exponent, no trailing noise).
func jsonNumber(_ value: Double, digits: Int = 4) -> String { JSONText.number(value, digits: digits) }
