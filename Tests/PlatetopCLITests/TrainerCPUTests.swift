import Foundation
import Testing

/// `training/train.py`'s check for native bfloat16 (it warns that `--precision bf16` is emulated, and
/// slower than float32, on a CPU without it), on hand-written /proc/cpuinfo files.
@Suite("trainer's CPU check", .enabled(if: CLI.pythonImports("torch, numpy"), "needs /usr/bin/python3 with torch and numpy"))
struct TrainerCPUTests {
    @Test("cpu_native_bf16 reads the avx512_bf16 and amx_bf16 flags")
    func nativeBF16Flags() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = [
            "zen4": "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\nbogomips\t: 4800\n",
            "spr": "processor\t: 0\nflags\t\t: avx2 avx512f amx_bf16 amx_tile\n",
            "avx2": "processor\t: 0\nflags\t\t: fpu sse2 fma avx avx2\nbugs\t\t: avx512_bf16_none\n",
            "noflags": "processor\t: 0\nmodel name\t: AMD EPYC\n",
        ]
        for (name, text) in files { try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
        let script = """
            import sys; sys.path.insert(0, sys.argv[1])
            from train import cpu_native_bf16
            print(*[cpu_native_bf16(p) for p in sys.argv[2:]])
            """
        let out = try CLI.tool("/usr/bin/python3", ["-c", script, CLI.packageRoot + "/training"]
                               + ["zen4", "spr", "avx2", "noflags", "missing"].map { "\(dir)/\($0)" }, timeout: 120)
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "True True False False None")
    }
}
