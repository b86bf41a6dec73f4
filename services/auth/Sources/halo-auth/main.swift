import AuthService
import Foundation
import Logging
import ServiceSupport

// halo-auth: the auth service (halo.auth.v1.AuthService + grpc.health.v1.Health).
// Configuration comes from the environment only: ServiceConfiguration.fromEnvironment (HALO_AUTH_HOST, _PORT,
// _DATABASE_URL, HALO_DATA_DIR, HALO_LOG_LEVEL), AuthService.Configuration.fromEnvironment and
// PasswordHasher.Configuration.fromEnvironment.
//
// `halo-auth rotate-signing-key` makes a new signing key in the data directory and keeps the old one as the
// previous key; running instances pick it up when they restart.
let environment = ProcessInfo.processInfo.environment
let configuration: ServiceConfiguration
let auth: AuthService.Configuration
let passwords: PasswordHasher.Configuration
do {
    configuration = try ServiceConfiguration.fromEnvironment(
        service: AuthServiceApp.service, defaults: AuthServiceApp.defaults)
    auth = try AuthService.Configuration.fromEnvironment(environment)
    passwords = try PasswordHasher.Configuration.fromEnvironment(environment)
} catch {
    FileHandle.standardError.write(Data("halo-auth: invalid configuration: \(error)\n".utf8))
    exit(2)
}
var logger = Logger(label: "halo.auth")
logger.logLevel = configuration.logLevel

switch CommandLine.arguments.dropFirst().first {
case nil:
    do {
        try await AuthServiceApp.run(configuration: configuration, auth: auth, passwords: passwords, logger: logger)
    } catch {
        logger.critical("halo-auth stopped", metadata: ["error": "\(error)"])
        exit(1)
    }
case "rotate-signing-key":
    do {
        print(try AuthServiceApp.rotateSigningKey(configuration: configuration))
    } catch {
        FileHandle.standardError.write(Data("halo-auth: \(error)\n".utf8))
        exit(1)
    }
default:
    FileHandle.standardError.write(Data("usage: halo-auth [rotate-signing-key]\n".utf8))
    exit(2)
}
