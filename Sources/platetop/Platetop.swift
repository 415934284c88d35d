import ArgumentParser
import Foundation
import PlatetopCore

/// The `platetop` command: a terminal licence-plate monitor.
@main
struct Platetop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platetop",
        abstract: "A terminal licence-plate monitor: watch a camera or replay footage, read plates, log every vehicle.",
        discussion: """
        Exit codes: 0 success (also after q, SIGTERM, or the end of a file), 1 runtime failure \
        (bad file, unreachable stream, bad model), 64 usage error, 130 after SIGINT (Ctrl-C).
        """,
        version: "0.1.0",
        subcommands: [Replay.self, Watch.self, Read.self, Eval.self, DetectEval.self, Bench.self, Info.self, Keys.self])

    /// Runs a subcommand; runtime failures print one line `platetop: …` to stderr and exit 1.
    static func main() {
        BLASKernels.reexecWithBetterKernelsIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as RuntimeFailure {
            Output.error(failure.message)
            Foundation.exit(failure.exitCode)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            if error is CleanExit || error is ValidationError || String(describing: type(of: error)).contains("CommandError") {
                self.exit(withError: error)
            }
            Output.error(oneLine(String(describing: error)))
            Foundation.exit(1)
        }
    }
}

/// A failure at run time (not a usage error): printed as one line, exit 1 unless stated.
struct RuntimeFailure: Error, CustomStringConvertible {
    var description: String { message }
    let message: String
    var exitCode: Int32 = 1
    init(_ message: String, exitCode: Int32 = 1) {
        self.message = oneLine(message)
        self.exitCode = exitCode
    }
}

/// Collapses a message to one line.
func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
}

/// Serialised writes to stdout/stderr (several queues print).
enum Output {
    private static let lock = NSLock()

    static func line(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func errorLine(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// `platetop: message` on stderr.
    static func error(_ message: String) { errorLine("platetop: \(message)") }
}
