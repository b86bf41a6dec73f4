package import Protos
package import RPC
import SwiftProtobuf

/// Collects what is wrong with a request's fields, then fails with one INVALID_ARGUMENT that
/// names each field twice over: in the message (`title: must be 1 to 200 characters; tags[3]: is
/// required`) for plain gRPC clients, and as a `google.rpc.BadRequest` inside the
/// `grpc-status-details-bin` trailer, which the gateway turns into a problem body's `errors`
/// array with JSON pointers.
///
/// Field paths use proto field names, `.` into nested messages and `[i]` into repeated fields,
/// as the published `BadRequest.FieldViolation.field` says.
package struct FieldViolations: Sendable {
    package private(set) var violations: [(field: String, reason: String)] = []

    package init() {}

    /// A request with exactly one bad field.
    package init(_ field: String, _ reason: String) {
        self.add(field, reason)
    }

    package var isEmpty: Bool { self.violations.isEmpty }

    package mutating func add(_ field: String, _ reason: String) {
        self.violations.append((field, reason))
    }

    /// Throws INVALID_ARGUMENT if anything was added.
    package func check() throws(RPCError) {
        guard !self.violations.isEmpty else { return }
        throw self.error()
    }

    /// The INVALID_ARGUMENT naming every violation (there must be at least one); its message is
    /// `message`, or the violations as `field: reason` joined by `; `.
    package func error(message: String? = nil) -> RPCError {
        precondition(!self.violations.isEmpty, "an error needs a violation")
        let message = message ?? self.violations.map { "\($0.field): \($0.reason)" }.joined(separator: "; ")
        var metadata = Metadata()
        metadata.add(Self.detailsKey, bytes: self.statusDetails(message: message))
        return RPCError(code: .invalidArgument, message: message, metadata: metadata)
    }

    /// The trailer gRPC's rich error model reads: a serialized `google.rpc.Status`.
    package static let detailsKey = "grpc-status-details-bin"

    /// A `google.rpc.Status` with this code and message and one `BadRequest` detail.
    func statusDetails(message: String) -> [UInt8] {
        let badRequest = Google_Rpc_BadRequest.with { request in
            request.fieldViolations = self.violations.map { violation in
                Google_Rpc_BadRequest.FieldViolation.with {
                    $0.field = violation.field
                    $0.description_p = violation.reason
                }
            }
        }
        let status = Google_Rpc_Status.with {
            $0.code = Int32(RPCError.Code.invalidArgument.rawValue)
            $0.message = message
            // Serializing messages built here from strings cannot fail.
            $0.details = [try! Google_Protobuf_Any(message: badRequest)]
        }
        return try! status.serializedBytes()
    }
}
