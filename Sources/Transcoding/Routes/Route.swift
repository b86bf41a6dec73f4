/// One REST route: an HTTP method and path template bound to a gRPC method, from a `google.api.http` rule.
///
/// A class of constants: a lookup hands out the table's own route (one retain) rather than a copy of a
/// dozen fields.
package final class Route: Sendable {
    /// Where the request body goes.
    package enum Body: Sendable, Equatable {
        /// No body is accepted.
        case none
        /// `body: "*"`: the body is the whole request message (less the fields bound by the path).
        case whole
        /// `body: "field"`: the body is the value of this top-level field (its index in the input message).
        case field(Int)
    }

    /// The service's full name (`halo.video.v1.VideoService`).
    package let service: String
    /// The method's name (`GetVideo`).
    package let method: String
    /// The gRPC request path, `/service/method`.
    package let grpcPath: String
    package let httpMethod: String
    package let template: PathTemplate
    package let body: Body
    /// The index of the response field answered instead of the whole response (`response_body`), if any.
    package let responseBodyField: Int?
    package let inputIndex: Int
    package let outputIndex: Int
    package let serverStreaming: Bool
    /// For each template variable, the field indices from the input message down to the bound field.
    package let variableFields: [[Int]]
    /// The .proto file that declared the rule.
    package let file: String
    /// Position among all bindings as declared (the last tie-breaker).
    package let declarationOrder: Int

    init(
        service: String, method: String, grpcPath: String, httpMethod: String, template: PathTemplate, body: Body,
        responseBodyField: Int?, inputIndex: Int, outputIndex: Int, serverStreaming: Bool, variableFields: [[Int]],
        file: String, declarationOrder: Int
    ) {
        self.service = service
        self.method = method
        self.grpcPath = grpcPath
        self.httpMethod = httpMethod
        self.template = template
        self.body = body
        self.responseBodyField = responseBodyField
        self.inputIndex = inputIndex
        self.outputIndex = outputIndex
        self.serverStreaming = serverStreaming
        self.variableFields = variableFields
        self.file = file
        self.declarationOrder = declarationOrder
    }

    /// `GET /v1/...` for messages and the admin listing.
    package var summary: String { "\(httpMethod) \(template.text) -> \(service).\(method)" }
}

/// Why a request path was refused before any route was tried (400, or 414 when too long).
package struct RouteError: Error, Equatable, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        case badPath
        case uriTooLong
    }

    package let kind: Kind
    package let message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}
