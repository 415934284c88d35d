import Foundation
import Testing

/// training/device_train.sh, the kit for a lent GPU machine, run here on the CPU at a toy size: `pack`
/// gathers what the bare machine lacks (fonts, BR and European crops, the starting model) into a kit
/// folder, and `run` renders, trains for a wall-clock budget (train.py --minutes) with loader
/// processes (--loader-workers), and leaves exactly the files the device sends back, evaluated.
@Suite("GPU training kit (on the CPU)",
       .enabled(if: CLI.latinModelPresent && brDataPresent && euDataPresent && rendererReady
                    && CLI.pythonImports("torch, PIL, numpy"),
                "needs models/latin.safetensors, ../shared/data, /usr/bin/python3 with torch and the renderer's fonts"))
struct TrainingKitTests {
    @Test("pack and run leave the trained, evaluated exports within the time budget")
    func packAndRun() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = CLI.packageRoot + "/training/device_train.sh"
        let env = ["KIT=\(dir)/kit", "SHARED=\(CLI.packageRoot)/../shared/data"]
        let packed = try CLI.tool("/usr/bin/env", env + ["bash", script, "pack"], timeout: 120)
        // The European test crops and the labelled European training crops (training/splits/eu_train.csv).
        #expect(packed.contains("1144 BR crops, 1172 European crops"), "\(packed)")
        let fonts = try FileManager.default.contentsOfDirectory(atPath: dir + "/kit/fonts")
        #expect(fonts.contains("DejaVuSans-Bold.ttf"), "\(fonts)")

        // Recipe 4 draws with the DejaVu faces alone (CI has no recipe-5 fonts).
        let runEnv = env + ["DEVICE=cpu", "PYTHON=/usr/bin/python3", "OUT=\(dir)/out", "WORK_DIR=\(dir)/work",
                            "TRAIN_MIN=0.3", "RENDER_COUNT=1000", "VAL_COUNT=100", "RECIPE=4", "PROCS=1",
                            "LOADERS=1", "BATCH=32", "EVAL_EVERY=2"]
        let output = try CLI.tool("/usr/bin/env", runEnv + ["bash", script, "run"], timeout: 600)
        let out = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").sorted()
        #expect(out == ["eval.txt", "last.safetensors", "latin-best.safetensors", "mean-last2.safetensors", "train.log"],
                "\(out)\n\(output)")

        let log = try String(contentsOfFile: dir + "/out/train.log", encoding: .utf8)
        #expect(log.contains("loader processes: 1"), "\(log)")
        #expect(log.contains("extra real: 1055 crops from training/splits/eu_train.csv (share 0.25 of real crops)"), "\(log)")
        #expect(log.contains("initialised from \(dir)/kit/init.safetensors"), "\(log)")
        // The shipped recipe's grey negatives (INVERT's default); no letter splices unless asked.
        #expect(log.contains("grey negatives: 30% of training crops"), "\(log)")
        #expect(!log.contains("letter splices:"), "\(log)")
        // Stopped by the 18-second budget, long before the step cap of a million.
        let evals = log.split(separator: "\n").filter { $0.contains(" EVAL step ") }
        let lastStep = evals.last.flatMap { line in
            line.split(separator: " ").drop { $0 != "step" }.dropFirst().first.flatMap { Int($0) }
        } ?? -1
        #expect((1...2000).contains(lastStep), "\(evals)")
        #expect(log.contains("training finished"))
        // An export every 2 steps: the last one (by step, not by name) is the one sent back.
        #expect(evals.count >= 2, "\(evals)")

        // The BR and European figures of three models, each read from its file: the exports start from
        // the shipped model and a few steps of warm-up barely move it (it reads 322/342 and 106/117).
        let eval = try String(contentsOfFile: dir + "/out/eval.txt", encoding: .utf8).split(separator: "\n")
        #expect(eval.count == 4, "\(eval)")
        #expect(eval.first?.hasPrefix("last export: step-\(lastStep).safetensors;") == true, "\(eval)")
        for model in ["latin-best", "last", "mean-last2"] {
            let line = eval.first { $0.hasPrefix(model + ":") }.map(String.init) ?? ""
            let br = Int(line.split(separator: " ").drop { $0 != "exact" }.dropFirst().first?.split(separator: "/").first ?? "") ?? -1
            #expect(line.contains("/342 = ") && line.contains("/117 = ") && br >= 300, "\(line)")
        }
    }
}
