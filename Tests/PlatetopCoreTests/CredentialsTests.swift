import Foundation
import Testing
@testable import PlatetopCore

@Suite struct CredentialsTests {
    @Test(arguments: [
        ("rtsp://admin:hunter2@camera.local/stream1", "rtsp://admin:***@camera.local/stream1"),
        ("rtsps://admin:hunter2@10.0.0.5:322/live?x=1", "rtsps://admin:***@10.0.0.5:322/live?x=1"),
        ("rtsp://tok3n@camera.local/stream1", "rtsp://***@camera.local/stream1"),
        ("http://user:pa:ss@host", "http://user:***@host"),                 // password holding ':'
        ("rtsp://admin:p@ss@cam/live", "rtsp://admin:***@cam/live"),          // password holding '@'
        ("rtsp://admin:(p[a]ss)@[::1]:554/x", "rtsp://admin:***@[::1]:554/x"), // brackets in the password, IPv6 host
        ("avformat_open_input(rtsp://u:pw@cam)", "avformat_open_input(rtsp://u:***@cam)"),
        ("cannot open 'rtsp://u:pw@cam/live': refused", "cannot open 'rtsp://u:***@cam/live': refused"),
        ("rtsp://camera.local/stream1", "rtsp://camera.local/stream1"),        // nothing to mask
        ("rtsp://camera.local/a@b", "rtsp://camera.local/a@b"),                // '@' in the path only
        ("/dev/video0", "/dev/video0"),
        ("clips/demo.mp4", "clips/demo.mp4"),
        ("user:secret@host", "user:secret@host"),                              // not a URL
        ("", ""),
        ("://x:y@z", "://x:y@z"),                                              // no scheme
    ])
    func maskURL(_ input: String, _ expected: String) {
        #expect(Credentials.mask(input) == expected)
    }

    @Test func maskAllInsideLongerText() {
        let text = "avformat_open_input(rtsp://admin:S3cr3t!@10.0.0.5/live): Connection refused; retry http://u:S3cr3t!@h:8080"
        let masked = Credentials.maskAll(in: text, secrets: [])
        #expect(masked == "avformat_open_input(rtsp://admin:***@10.0.0.5/live): Connection refused; retry http://u:***@h:8080")
        #expect(!masked.contains("S3cr3t"))
    }

    @Test func maskAllReplacesListedSecretsEverywhere() {
        let secret = "p a/ss@x"          // would defeat URL parsing: '/' and ' ' end the user info early
        let text = "open rtsp://admin:\(secret)@cam/live failed; password '\(secret)' also p%20a%2Fss%40x"
        let masked = Credentials.maskAll(in: text, secrets: [secret, ""])
        #expect(!masked.contains(secret))
        #expect(!masked.contains("p%20a%2Fss%40x"))       // the percent-encoded form too
        #expect(!masked.contains("ss@x"))
        #expect(masked.contains("password '***'"))
        #expect(masked.hasPrefix("open rtsp://admin:***"))
        // Without secrets, non-URL text is left alone.
        #expect(Credentials.maskAll(in: "no urls here: a@b", secrets: []) == "no urls here: a@b")
    }

    @Test func expandsPlaceholders() throws {
        let env = ["CAM1_PASSWORD": "hunter2", "CAM_USER": "admin", "EMPTY": ""]
        let e = try Credentials.expand("rtsp://${CAM_USER}:${CAM1_PASSWORD}@cam/${EMPTY}live$1", environment: env)
        #expect(e.text == "rtsp://admin:hunter2@cam/live$1")
        #expect(e.secrets == ["admin", "hunter2"])
        #expect(try Credentials.expand("plain $HOME text", environment: [:]).text == "plain $HOME text")
    }

    @Test func expansionErrorsNameTheVariableNeverAValue() {
        #expect(throws: Credentials.ExpansionError.missingVariable("CAM1_PASSWORD")) {
            try Credentials.expand("rtsp://a:${CAM1_PASSWORD}@h/", environment: ["OTHER": "x"])
        }
        #expect(throws: Credentials.ExpansionError.malformedPlaceholder("${1BAD}")) {
            try Credentials.expand("rtsp://a:${1BAD}@h/", environment: [:])
        }
        #expect(throws: Credentials.ExpansionError.malformedPlaceholder("${OPEN@h/")) {
            try Credentials.expand("rtsp://a:${OPEN@h/", environment: [:])
        }
        #expect(Credentials.ExpansionError.missingVariable("CAM1_PASSWORD").description
            == "environment variable 'CAM1_PASSWORD' is not set")
    }
}
