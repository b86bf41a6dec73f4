// libFuzzer target: arbitrary bytes as protobuf wire bytes of Halo's messages, as a broken or hostile
// backend could send (`make fuzz`, built with -sanitize=fuzzer,address -DFUZZING). The transcoder must
// answer or throw, never crash; and the JSON it writes must read back. Without FUZZING the executable
// replays the files named on its command line.
import Foundation
import Protos
import Transcoding

/// Halo's messages, and the test set's AllKinds (every field kind and well-known type), read from the source tree.
let halo = try! DescriptorRegistry(descriptorSet: HaloDescriptors.load())
let testing = try! DescriptorRegistry(
    serializedDescriptorSet: Array(
        try! Data(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Sources/TestProtos/testing.protoset"))))
let targets: [(transcoders: [Transcoder], message: Int)] =
    [
        "halo.video.v1.Video", "halo.video.v1.CreateVideoRequest", "halo.video.v1.UpdateVideoRequest",
        "halo.video.v1.ListVideosResponse", "halo.engagement.v1.BatchGetCountsResponse",
        "halo.engagement.v1.IncrementRequest", "google.protobuf.Struct", "google.protobuf.Value",
    ].map { ([Transcoder(registry: halo), Transcoder(registry: halo, options: .halo)], halo.messageIndex(named: $0)!) }
    + [
        "halo.testing.v1.AllKinds", "google.protobuf.Any", "google.protobuf.Duration", "google.protobuf.FieldMask",
        "google.protobuf.Timestamp",
    ].map {
        (
            [Transcoder(registry: testing), Transcoder(registry: testing, options: .halo)],
            testing.messageIndex(named: $0)!
        )
    }

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    guard let selector = data.first else { return }
    let target = targets[Int(selector >> 1) % targets.count]
    let transcoder = target.transcoders[Int(selector & 1)]
    let message = target.message
    let wire = UnsafeRawBufferPointer(rebasing: data.dropFirst())
    var json: [UInt8] = []
    do {
        try transcoder.wireToJSON(wire, messageIndex: message, into: &json)
    } catch {
        return
    }
    do {
        _ = try transcoder.jsonToWire(json, messageIndex: message)
    } catch {
        preconditionFailure("wrote JSON that does not read back: \(error)")
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
        fuzzOne(UnsafeRawBufferPointer(start: bytes, count: count))
        return 0
    })
#else
for path in CommandLine.arguments.dropFirst() {
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    bytes.withUnsafeBytes { fuzzOne($0) }
}
#endif
