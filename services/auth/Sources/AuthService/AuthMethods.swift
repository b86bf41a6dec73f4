package import RPC

/// `halo.auth.v1.AuthService` methods; idempotency as the proto declares it.
package enum AuthMethods {
    package static let service = "halo.auth.v1.AuthService"
    package static let register = MethodDescriptor(service: service, method: "Register")
    package static let login = MethodDescriptor(service: service, method: "Login")
    package static let refresh = MethodDescriptor(service: service, method: "Refresh")
    package static let logout = MethodDescriptor(service: service, method: "Logout", isIdempotent: true)
    package static let getUser = MethodDescriptor(service: service, method: "GetUser", isIdempotent: true)
    package static let updateProfile = MethodDescriptor(service: service, method: "UpdateProfile")
    package static let getJWKS = MethodDescriptor(service: service, method: "GetJWKS", isIdempotent: true)
}
