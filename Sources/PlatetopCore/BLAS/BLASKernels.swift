import COpenBLAS
import Foundation

/// Which OpenBLAS kernels run the detector's and recognizer's matrix products, and the fix for a
/// library that does not know the CPU.
///
/// OpenBLAS picks its kernels once, when it loads, from the CPU models it knows. Debian 12's 0.3.21
/// predates some current Xeons (Sapphire Rapids, with `avx512_fp16`) and falls back to its SSE3
/// `Prescott` kernels there: the detector's network ran 2.5x slower (58 ms instead of 23–27 ms per
/// 800x448 frame). `OPENBLAS_CORETYPE` overrides the choice, but only when it is set before the
/// library loads, so the executable re-executes itself once with it set
/// (``reexecWithBetterKernelsIfNeeded()``). A user's own `OPENBLAS_CORETYPE` is always kept.
public enum BLASKernels {
    /// The kernel set OpenBLAS loaded, as it names it (`Haswell`, `SkylakeX`, `Prescott`, …).
    public static var loadedCore: String { String(cString: openblas_get_corename()) }

    /// Vector-instruction tier: 0 below AVX, 1 AVX, 2 AVX2 + FMA, 3 AVX-512 (F, CD, BW, DQ, VL).
    public static func tier(cpuFlags flags: Set<String>) -> Int {
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return 3 }
        if flags.contains("avx2") && flags.contains("fma") { return 2 }
        return flags.contains("avx") ? 1 : 0
    }

    /// The tier an OpenBLAS x86 kernel set is written for (0 for names it does not list, e.g. ARM's).
    public static func tier(core: String) -> Int {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return 3
        case "haswell", "zen", "excavator": return 2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": return 1
        default: return 0
        }
    }

    /// The kernel set to force when OpenBLAS loaded one below AVX2 on a CPU that has AVX2 or
    /// AVX-512 (`SkylakeX` or `Haswell`, kernels every DYNAMIC_ARCH build has); nil when the
    /// loaded set is fine.
    public static func betterCore(loaded: String, cpuFlags: Set<String>) -> String? {
        let cpu = tier(cpuFlags: cpuFlags)
        guard tier(core: loaded) < 2, cpu >= 2 else { return nil }
        return cpu == 3 ? "SkylakeX" : "Haswell"
    }

    /// The CPU's feature flags (the first `flags` line of /proc/cpuinfo; empty where there is none).
    public static func cpuFlags(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> Set<String> {
        guard let line = cpuinfo?.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Re-executes this program (`/proc/self/exe`, same arguments and environment) with
    /// `OPENBLAS_CORETYPE` set when ``betterCore(loaded:cpuFlags:)`` names a better kernel set and
    /// the variable is not set yet; returns when nothing is to be done or `execv` fails. Call it first
    /// thing in `main`, before any thread starts.
    public static func reexecWithBetterKernelsIfNeeded() {
        guard getenv("OPENBLAS_CORETYPE") == nil,
              let core = betterCore(loaded: loadedCore, cpuFlags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")  // exec failed: carry on with the kernels loaded
    }
}
