import CallerIdentity
import Foundation
package import Protos
import ServiceSupport
import SwiftProtobuf

extension VideoRecord {
    /// The wire form.
    package var proto: Halo_Video_V1_Video {
        .with {
            $0.id = self.id.lowercasedString
            $0.ownerID = self.ownerID.lowercasedString
            $0.title = self.title
            $0.description_p = self.description
            $0.thumbnailURL = self.thumbnailURL
            $0.streamURL = self.streamURL
            $0.durationSeconds = self.durationSeconds
            $0.isLive = self.isLive
            $0.isAdult = self.isAdult
            $0.tags = self.tags
            $0.createdAt = Self.timestamp(self.createdAt)
            $0.updatedAt = Self.timestamp(self.updatedAt)
        }
    }

    private static func timestamp(_ microseconds: Int64) -> Google_Protobuf_Timestamp {
        let (seconds, remainder) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        // Floor division, so times before 1970 still have non-negative nanos.
        return remainder >= 0
            ? Google_Protobuf_Timestamp(seconds: seconds, nanos: Int32(remainder * 1000))
            : Google_Protobuf_Timestamp(seconds: seconds - 1, nanos: Int32((remainder + 1_000_000) * 1000))
    }
}
