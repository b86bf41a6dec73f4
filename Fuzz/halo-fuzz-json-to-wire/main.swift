// libFuzzer target: arbitrary bytes as JSON for Halo's messages (`make fuzz`, built with
// -sanitize=fuzzer,address -DFUZZING). Whatever the input, the transcoder must answer or throw, never
// crash; and what it accepts must survive the way back: its wire bytes read as JSON, and that JSON
// reads again to the same JSON. Without FUZZING the executable replays the files named on its command line.
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
    let json = UnsafeRawBufferPointer(rebasing: data.dropFirst())
    var wire: [UInt8] = []
    do {
        try transcoder.jsonToWire(json, messageIndex: message, into: &wire)
    } catch {
        return
    }
    do {
        let first = try transcoder.wireToJSON(wire, messageIndex: message)
        let again = try transcoder.wireToJSON(
            try transcoder.jsonToWire(first, messageIndex: message), messageIndex: message)
        precondition(again == first, "JSON -> wire -> JSON is not a fixed point")
    } catch {
        preconditionFailure("accepted JSON whose wire bytes do not transcode back: \(error)")
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
