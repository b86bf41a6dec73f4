import CallerIdentity
import Foundation
import Logging
import RPC
import ServiceSupport

extension AuthService {
    /// Runs a store call, turning its failures into statuses: a taken email or username becomes ALREADY_EXISTS,
    /// an unreachable database UNAVAILABLE, anything else INTERNAL, with the cause kept for the log only.
    func withStore<T: Sendable>(_ body: (any AuthStore) async throws -> T) async throws -> T {
        do {
            return try await body(self.store)
        } catch let error as AuthStoreError {
            switch error {
            case .taken(let field): throw Self.alreadyExists(field)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let status = DatabaseErrors.rpcError(for: error)
            if status.code == .unavailable {
                self.logger.warning("database unavailable", metadata: ["error": "\(String(reflecting: error))"])
            } else {
                self.logger.error("database call failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            throw status
        }
    }

    /// A new time-ordered id.
    func makeID(now: Date) -> UUID {
        UUIDv7.make(now: now)
    }

    /// The caller, from the identity metadata the gateway sets (UNAUTHENTICATED without one).
    func callerID(_ context: ServerContext) throws(RPCError) -> UUID {
        try Identity(metadata: context.metadata).requireUser()
    }
}
