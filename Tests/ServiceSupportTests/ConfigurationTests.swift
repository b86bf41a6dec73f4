import Foundation
import Logging
import ServiceSupport
import Testing

@Suite struct ConfigurationTests {
    @Test func defaults() throws {
        let configuration = try ServiceConfiguration.fromEnvironment(service: "video", environment: [:])
        #expect(configuration.listen.host == "127.0.0.1")
        #expect(configuration.dataDirectory == ".halo/data")
        #expect(configuration.databaseURL == nil)
        #expect(configuration.logLevel == .info)
    }

    @Test func readsTheServicesVariables() throws {
        var defaults = ServiceConfiguration.defaults
        defaults.listen.port = 50052
        let configuration = try ServiceConfiguration.fromEnvironment(
            service: "video", defaults: defaults,
            environment: [
                "HALO_VIDEO_HOST": "0.0.0.0", "HALO_VIDEO_PORT": "7000", "HALO_DATA_DIR": "/var/lib/halo",
                "HALO_VIDEO_DATABASE_URL": "postgres://halo@db:5432/halo", "HALO_LOG_LEVEL": "DEBUG",
                "HALO_AUTH_PORT": "1",
            ])
        #expect(configuration.listen.host == "0.0.0.0")
        #expect(configuration.listen.port == 7000)
        #expect(configuration.dataDirectory == "/var/lib/halo")
        #expect(configuration.databaseURL == "postgres://halo@db:5432/halo")
        #expect(configuration.logLevel == .debug)
    }

    @Test func emptyVariablesCountAsUnset() throws {
        var defaults = ServiceConfiguration.defaults
        defaults.listen.port = 50052
        let configuration = try ServiceConfiguration.fromEnvironment(
            service: "video", defaults: defaults,
            environment: ["HALO_VIDEO_PORT": "", "HALO_VIDEO_DATABASE_URL": "", "HALO_LOG_LEVEL": ""])
        #expect(configuration.listen.port == 50052)
        #expect(configuration.databaseURL == nil)
    }

    @Test(arguments: [
        ("HALO_VIDEO_PORT", "abc"),
        ("HALO_VIDEO_PORT", "70000"),
        ("HALO_VIDEO_PORT", "-1"),
        ("HALO_VIDEO_PORT", "80 "),
        ("HALO_VIDEO_HOST", "bad host"),
        ("HALO_LOG_LEVEL", "verbose"),
        ("HALO_VIDEO_DATABASE_URL", "mysql://root@db/halo"),
        ("HALO_VIDEO_DATABASE_URL", "postgres://db:5432/halo"),
        ("HALO_VIDEO_DATABASE_URL", "just-a-name"),
        ("HALO_VIDEO_DATABASE_URL", "sqlite://"),
    ])
    func badValuesNameTheirVariable(_ variable: String, _ value: String) {
        #expect {
            try ServiceConfiguration.fromEnvironment(service: "video", environment: [variable: value])
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == variable && "\(error)".hasPrefix(variable)
        }
    }

    @Test func databaseLocations() throws {
        #expect(
            try DatabaseLocation(url: nil, dataDirectory: "/data", service: "video")
                == .sqlite(path: "/data/video.sqlite"))
        #expect(
            try DatabaseLocation(url: "sqlite:///tmp/v.sqlite", dataDirectory: "/data", service: "video")
                == .sqlite(path: "/tmp/v.sqlite"))
        #expect(
            try DatabaseLocation(url: "postgresql://u:p@h:5/d", dataDirectory: "/data", service: "video")
                == .postgres(url: "postgresql://u:p@h:5/d"))
    }
}
