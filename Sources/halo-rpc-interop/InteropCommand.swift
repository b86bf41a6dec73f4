import ArgumentParser

/// Test peer for interop tests and benchmarks: `serve` runs halo.testing.v1.TestService,
/// `call` runs one client case against a server.
@main
struct InteropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "halo-rpc-interop", abstract: "Halo's gRPC runtime as an interop peer.",
        subcommands: [ServeCommand.self, CallCommand.self])
}
