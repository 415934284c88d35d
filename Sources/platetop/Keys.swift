import ArgumentParser
import PlatetopDashboard

/// `platetop keys`: the dashboard key table as Markdown (the README's table is generated from it).
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the dashboard keys as a Markdown table.")
    func run() throws { Output.line(Keymap.standard.markdownTable()) }
}
