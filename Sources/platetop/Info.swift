import ArgumentParser
import Foundation
import PlatetopCore
import PlatetopDashboard
import PlatetopVideo

/// `platetop info`: where models and themes were found, and what a model is.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the models, theme folders and library versions in use.")

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let path = try ModelPaths.recognizer(explicit: modelOptions.model)
        let model: LPRNetModel
        do { model = try LPRNetModel(contentsOf: path) } catch { throw RuntimeFailure("cannot load model '\(path)': \(error)") }
        let i = model.info
        Output.line("model: \(path)")
        Output.line("  name: \(i.name)")
        Output.line("  description: \(i.description)")
        Output.line("  input: \(i.inputWidth)x\(i.inputHeight)x\(i.inputChannels) \(i.colorOrder.rawValue), (x - \(i.mean)) * \(i.scale), \(i.timeSteps) CTC steps, \(i.resampling.rawValue) resize")
        if let c = i.contrast { Output.line("  contrast: each crop to mean 0, deviation \(c.std) (its own at least \(c.floor))") }
        Output.line("  classes: \(i.classCount) (blank \(i.blankIndex)): \(i.alphabet.joined())")
        Output.line("  widths: \(i.layoutDescription), parameters: \(i.parameterCount), MACs per plate: \(i.macsPerImage)")
        if !i.patterns.isEmpty { Output.line("  patterns: \(i.patterns.joined(separator: "  "))") }
        try describeDetector()
        Output.line("themes: \(ThemeLoader.searchDirectories(executablePath: CommandLine.arguments[0]).joined(separator: ":"))")
        Output.line("ffmpeg: \(FFmpegVersion.libavformat)")
        let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { " (OPENBLAS_CORETYPE=\($0))" } ?? ""
        Output.line("blas: OpenBLAS, \(BLASKernels.loadedCore) kernels\(forced)")
    }

    /// The full-frame detector that commands without --roi would use, with these flags applied.
    private func describeDetector() throws {
        let flags = modelOptions.detectorFlags
        guard let path = try flags.modelPath() else {
            Output.line(flags.noDetector ? "detector: none (--no-detector)" : "detector: none found (frames are read whole unless --roi is given)")
            return
        }
        let detector = try DetectorFlags.load(path: path, options: flags.options())
        let d = detector.info
        Output.line("detector: \(path)")
        Output.line("  name: \(d.name)")
        Output.line("  description: \(d.description)")
        Output.line("  input: \(detector.inputWidth) px wide (model's \(d.inputWidth)), \(d.colorOrder.rawValue), (x - \(d.mean)) * \(d.scale), stride \(d.stride)")
        Output.line("  layers: \(d.layerCount), parameters: \(d.parameterCount)")
        if let f = d.fineHead {
            let state = detector.fineHead == nil ? "off (--no-detector-fine-head)" : "on"
            Output.line("  fine head: \(state); stride \(f.stride) (backbone layers \(f.inputLayer) and \(f.contextLayer)), \(f.layerCount) layers, "
                        + "parameters: \(f.parameterCount), candidates from its score \(f.minScore)")
        }
        if let v = d.verifier {
            let state = detector.verifier == nil ? "off (--no-detector-verifier)" : "on"
            Output.line("  verifier: \(state); \(v.layerCount) layers, parameters: \(v.parameterCount), input \(v.inputWidth)x\(v.inputHeight) grey, "
                        + "margin \(v.margin), candidates from heat-map score \(v.candidateMinScore), score = detector^\(1 - v.weight) * verifier^\(v.weight)"
                        + (v.refinesBoxes ? ", boxes moved to the verifier's" : "")
                        + (v.recheckMinScore.map { ", moved boxes from score \($0) verified again" } ?? ""))
            Output.line("  min score: \(detector.minScore) (model's calibrated \(v.minScore) with the verifier, \(d.minScore) without)")
        } else {
            Output.line("  min score: \(detector.minScore) (model's calibrated \(d.minScore))")
        }
    }
}
