import Protos
import Sodium
import SwiftProtobuf
import Tokens

extension AuthService {
    /// The public keys: the current one first, then the previous one.
    func jwks() -> Halo_Auth_V1_GetJWKSResponse {
        .with { response in
            response.keys = self.keys.all.map { key in
                .with {
                    $0.kty = "OKP"
                    $0.crv = "Ed25519"
                    $0.x = Base64URL.encode(key.keyPair.publicKey.bytes)
                    $0.kid = key.keyID
                    $0.alg = "EdDSA"
                    $0.use = "sig"
                }
            }
        }
    }
}
