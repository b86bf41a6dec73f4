import ArgumentParser
import Foundation
import HealthProtos
import RPC
import SwiftProtobuf
import TestProtos

/// `halo-rpc-interop call`: one client case against a server of halo.testing.v1.TestService.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call", abstract: "Run one client interop case; exit 0 when it passes.")

    enum Case: String, ExpressibleByArgument, CaseIterable {
        case unary, server_stream, client_stream, bidi, metadata, deadline_exceeded, cancellation, large_message,
            error_status, health
    }

    @Option(help: "Server address, host:port.") var target: String
    @Option(name: .customLong("case"), help: "One of: \(Case.allCases.map(\.rawValue).joined(separator: ", "))")
    var testCase: Case

    func run() async throws {
        let parts = self.target.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("target must be host:port") }
        let client = ClientConnection(host: String(parts[0]), port: port)
        defer { Task { await client.close() } }
        do {
            try await InteropCases(client: client).run(self.testCase)
        } catch {
            FileHandle.standardError.write(Data("case \(self.testCase.rawValue) failed: \(error)\n".utf8))
            throw ExitCode.failure
        }
        await client.close()
        print("case \(self.testCase.rawValue) passed")
    }
}

/// A failed expectation in an interop case.
struct CaseFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw CaseFailure(message()) }
}
