import ArgumentParser
import PlatetopCore
import PlatetopVideo

@main
struct Platetop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platetop",
        abstract: "A terminal license-plate monitor.",
        subcommands: [Bench.self])
}
