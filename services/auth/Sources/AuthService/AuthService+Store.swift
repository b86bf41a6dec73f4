import Foundation
import Logging
import RPC

extension AuthService {
    /// Runs a store call, turning its failures into statuses: conflicts become ALREADY_EXISTS, an unreachable
    /// database UNAVAILABLE, anything else INTERNAL with the cause kept for the log only.
    func withStore<T: Sendable>(_ body: (any AuthStore) async throws -> T) async throws -> T {
        do {
            return try await body(self.store)
        } catch let error as AuthStoreError {
            switch error {
            case .taken(let field): throw Self.alreadyExists(field)
            }
        } catch let error as RPCError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let status = Self.databaseStatus(for: error)
            self.logger.error("database call failed", metadata: ["error": "\(String(reflecting: error))"])
            throw status
        }
    }

    /// The status for a database error. TODO(ServiceSupport): classify with DatabaseErrors.
    static func databaseStatus(for error: any Error) -> RPCError {
        RPCError(code: .unavailable, message: "the account database is unavailable", cause: error)
    }

    /// A new time-ordered id. TODO(ServiceSupport): UUIDv7.
    func makeID(now: Date) -> UUID {
        UUID()
    }

    /// The caller, from the identity metadata the gateway sets. TODO(ServiceSupport): Identity(metadata:).
    func callerID(_ context: ServerContext) throws(RPCError) -> UUID {
        guard let text = context.metadata["x-halo-user-id"], let id = UUID(uuidString: text) else {
            throw RPCError(code: .unauthenticated, message: "the call carries no user identity")
        }
        return id
    }
}
