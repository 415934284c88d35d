import PlatetopCore
@testable import PlatetopDashboard

/// Shared sample snapshots for the dashboard tests.
enum Fixture {
    static func history(_ n: Int) -> [DashboardState.HistoryRow] {
        // Newest first: row 0 is the newest (highest number).
        (0..<n).map { i in
            let k = n - 1 - i
            return DashboardState.HistoryRow(time: "12:\(k / 60 < 10 ? "0" : "")\(k / 60):\(k % 60 < 10 ? "0" : "")\(k % 60)",
                                             plate: "P\(k)", confidence: 0.8, sightings: 1,
                                             watchlistLabel: nil, stream: "cam")
        }
    }

    static func state(history: [DashboardState.HistoryRow] = Fixture.history(3),
                      read: DashboardState.LiveRead? = .init(text: "AB123CD",
                                                             characterConfidences: [0.95, 0.7, 0.3, 0.99, 0.9, 0.59, 0.6],
                                                             confidence: 0.81,
                                                             candidates: [.init(text: "AB123CD", votes: 7)]),
                      tabs: [String] = []) -> DashboardState {
        DashboardState(
            header: .init(source: "rtsp://***@cam/live", resolution: "1280x720", codec: "h264",
                          modelName: "lprnet", elapsedSeconds: 3725, mode: .live),
            stats: .init(decodeFPS: 25, recognizeFPS: 12.5, queueDepth: 1, droppedFrames: 3),
            liveRead: read, history: history, reason: .belowThreshold(0.42), roi: "0.3,0.6,0.4,0.2",
            threshold: 0.6, tabs: .init(names: tabs, selected: 0))
    }
}
