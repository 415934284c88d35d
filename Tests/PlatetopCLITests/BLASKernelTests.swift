import Foundation
import PlatetopCore
import Testing

/// `platetop` runs its matrix products on OpenBLAS kernels that fit the CPU, re-executing itself
/// with `OPENBLAS_CORETYPE` where the library fell back to SSE3 ones, and keeps a user's own choice.
@Suite("BLAS kernels", .enabled(if: CLI.binary != nil, "needs the built platetop"))
struct BLASKernelTests {
    /// The kernel set named on `platetop info`'s `blas:` line, and the whole line.
    static func blasLine(_ environment: [String]) throws -> (core: String, line: String) {
        let r = try CLI.Child("/usr/bin/env", environment + [CLI.binary!, "info", "--model", CLI.tinyModel, "--no-detector"]).finish(timeout: 60)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let line = r.stdoutLines.first { $0.hasPrefix("blas: OpenBLAS, ") } ?? ""
        let core = line.dropFirst("blas: OpenBLAS, ".count).split(separator: " ").first.map(String.init) ?? ""
        return (core, line)
    }

    @Test func kernelsMatchTheCPU() throws {
        let (core, line) = try Self.blasLine(["-u", "OPENBLAS_CORETYPE"])
        #expect(!core.isEmpty, "\(line)")
        // On a CPU with AVX2 (or AVX-512) the kernels in use are at least AVX2 ones, whatever the library guessed.
        let cpu = BLASKernels.tier(cpuFlags: BLASKernels.cpuFlags())
        #expect(BLASKernels.tier(core: core) >= min(cpu, 2), "\(line), CPU tier \(cpu)")
    }

    #if arch(x86_64)
    @Test func keepsTheUsersKernelChoice() throws {
        let (core, line) = try Self.blasLine(["OPENBLAS_CORETYPE=Prescott"])
        #expect(core == "Prescott" && line.hasSuffix("(OPENBLAS_CORETYPE=Prescott)"), "\(line)")
    }
    #endif
}
