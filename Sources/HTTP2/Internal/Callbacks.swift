import CNGHTTP2
import NIOCore

/// The nghttp2 callback table: C function pointers that reach their `Connection` through
/// the session's user data (an unretained reference; the connection owns the session).
enum Callbacks {
    nonisolated(unsafe) static let table: OpaquePointer = {
        var callbacks: OpaquePointer?
        precondition(nghttp2_session_callbacks_new(&callbacks) == 0)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_send_data_callback(callbacks, sendData)
        return callbacks!
    }()

    @inline(__always)
    static func connection(_ userData: UnsafeMutableRawPointer?) -> Connection {
        Unmanaged<Connection>.fromOpaque(userData!).takeUnretainedValue()
    }

    static let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
        guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) else { return 0 }
        return connection(userData).beginHeaders(
            streamID: frame.pointee.hd.stream_id, isRequest: frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST)
    }

    static let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
        guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue), let name, let value else {
            return 0
        }
        return connection(userData).receivedHeader(
            streamID: frame.pointee.hd.stream_id,
            name: UnsafeBufferPointer(start: name, count: nameLength),
            value: UnsafeBufferPointer(start: value, count: valueLength))
    }

    static let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let frame else { return 0 }
        return connection(userData).receivedFrame(frame)
    }

    static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
        guard let data else { return 0 }
        connection(userData).receivedData(streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length))
        return 0
    }

    static let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
        connection(userData).streamClosed(streamID: streamID, errorCode: ErrorCode(errorCode))
        return 0
    }

    /// Data source: tells nghttp2 how much DATA is queued; the bytes go out in `sendData`.
    static let readData: nghttp2_data_source_read_callback = { _, streamID, _, length, flags, source, userData in
        let connection = connection(userData)
        guard let stream = connection.liveStream(streamID, source: source) else {
            // Not an open stream of this connection (any more): never touch the pointer.
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let count = min(length, stream.queuedBytes)
        if count > 0 { flags!.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue }
        guard count == stream.queuedBytes else { return count }
        switch stream.outbound {
        case .ending(let trailers):
            stream.outbound = .ended
            flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            if let trailers {
                flags!.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                guard let session = connection.session,
                    session.submitTrailers(streamID: streamID, headers: trailers) == 0
                else {
                    return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
                }
            }
            return count
        case .ended:
            flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return count
        case .idle, .open:
            if count > 0 { return count }
            stream.deferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
    }

    /// Writes one DATA frame: nghttp2's 9-byte header, then the queued payload as slices.
    static let sendData: nghttp2_send_data_callback = { _, frame, frameHeader, length, source, userData in
        let connection = connection(userData)
        guard let frame, let stream = connection.liveStream(frame.pointee.hd.stream_id, source: source) else {
            return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue)
        }
        connection.appendOutput(UnsafeRawBufferPointer(start: frameHeader, count: 9))
        stream.dequeue(length) { connection.appendPayload($0) }
        return 0
    }
}

extension Connection {
    /// The open stream `id`. Callbacks come in runs for one stream (every header of a block,
    /// then its frame), so the last one found answers most lookups without hashing.
    @inline(__always)
    func stream(_ id: Int32) -> Stream? {
        if let last = self.lastStream, last.id == id { return last }
        let stream = self.streams[id]
        if stream != nil { self.lastStream = stream }
        return stream
    }

    /// The open stream `id`, if it is the one `source` names: a data source pointer is used only
    /// as an identity, never dereferenced, so a stream freed after close cannot be read.
    @inline(__always)
    func liveStream(_ id: Int32, source: UnsafeMutablePointer<nghttp2_data_source>?) -> Stream? {
        guard let stream = self.stream(id), let pointer = source?.pointee.ptr,
            Unmanaged.passUnretained(stream).toOpaque() == pointer
        else { return nil }
        return stream
    }

    func beginHeaders(streamID: Int32, isRequest: Bool) -> Int32 {
        if isRequest, self.role == .server {
            let stream = Stream(id: streamID, connection: self)
            self.streams[streamID] = stream
            self.lastStream = stream
            self.timers.streamOpened()
        }
        self.headerBlock.removeAll(keepingCapacity: true)
        // One allocation for the block when there is no room yet, not one per doubling.
        if self.headerBlock.capacity < 12 { self.headerBlock.reserveCapacity(12) }
        self.headerBlockSize = 0
        self.headerBlockRejected = false
        return 0
    }

    func receivedHeader(
        streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>
    )
        -> Int32
    {
        guard !self.headerBlockRejected, self.stream(streamID) != nil else { return 0 }
        self.headerBlockSize += name.count + value.count + 32
        guard self.headerBlockSize <= self.configuration.maxHeaderListSize,
            self.headerBlock.count < self.configuration.maxHeaderCount
        else {
            // Too large (an HPACK bomb looks like this): reset the stream; repeated, end the connection.
            self.headerBlockRejected = true
            self.oversizedHeaderBlocks += 1
            if self.oversizedHeaderBlocks > self.configuration.maxOversizedHeaderBlocks {
                self.session?.terminate(code: .enhanceYourCalm)
            }
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
        let (token, nameString) = HeaderToken.classify(name)
        let valueString = token == .path ? self.configuration.knownPaths.string(for: value) : HeaderToken.value(value)
        self.headerBlock.append(Header(token: token, name: nameString, value: valueString))
        return 0
    }

    func receivedFrame(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let header = frame.pointee.hd
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            guard !self.headerBlockRejected, let stream = self.stream(header.stream_id) else { return 0 }
            var headers: [Header] = []
            swap(&headers, &self.headerBlock)
            // Emptied and given back for the next block: no allocation when no handler kept a copy.
            defer {
                headers.removeAll(keepingCapacity: true)
                self.headerBlock = headers
            }
            if self.role == .server, frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
                guard
                    let handler = self.delegate?.connection(
                        self, acceptStream: stream, headers: headers, endStream: endStream)
                else {
                    self.session?.submitReset(streamID: stream.id, code: .refusedStream)
                    return 0
                }
                stream.handler = handler
            }
            stream.handler?.streamReceivedHeaders(stream, headers: headers, endStream: endStream)
        case NGHTTP2_DATA.rawValue:
            if endStream, let stream = self.stream(header.stream_id) {
                stream.handler?.streamReceivedEnd(stream)
            }
        case NGHTTP2_RST_STREAM.rawValue:
            // Only resets of requests still in progress count (CVE-2023-44487); a reset after the
            // response was complete costs nothing.
            let inProgress = self.stream(header.stream_id).map { !$0.hasEndedOutbound } ?? false
            if inProgress, !self.resetLimiter.take(now: self.eventLoop.now) {
                // Rapid reset (CVE-2023-44487): too many streams reset by the peer too fast.
                self.session?.terminate(code: .enhanceYourCalm)
            }
        case NGHTTP2_GOAWAY.rawValue:
            if case .active = self.lifecycle { self.lifecycle = .draining(goAwaySent: true) }
            self.delegate?.connection(
                self, receivedGoAway: frame.pointee.goaway.last_stream_id,
                errorCode: ErrorCode(frame.pointee.goaway.error_code))
        case NGHTTP2_PING.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 { self.timers.pingAcknowledged() }
        case NGHTTP2_SETTINGS.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
                self.hasRemoteSettings = true
                self.delegate?.connectionReceivedSettings(self)
            }
        default:
            break
        }
        return 0
    }

    func receivedData(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        guard let stream = self.stream(streamID) else {
            self.session?.consumeConnection(bytes: bytes.count)
            return
        }
        stream.unconsumedBytes += bytes.count
        let data: ByteBuffer
        if let input = self.input, let base = self.inputBase, let start = bytes.baseAddress,
            start >= base, start + bytes.count <= base + input.readableBytes
        {
            // DATA payloads point into the buffer being fed: hand out a slice, no copy.
            data = input.getSlice(at: input.readerIndex + (start - base), length: bytes.count)!
        } else {
            data = ByteBuffer(bytes: bytes)
        }
        stream.handler?.streamReceivedData(stream, data: data)
    }

    func streamClosed(streamID: Int32, errorCode: ErrorCode) {
        guard let stream = self.streams.removeValue(forKey: streamID) else { return }
        if self.lastStream === stream { self.lastStream = nil }
        stream.isClosed = true
        if stream.unconsumedBytes > 0 {
            self.session?.consumeConnection(bytes: stream.unconsumedBytes)
            stream.unconsumedBytes = 0
        }
        stream.queued.removeAll()
        stream.queuedBytes = 0
        let reason: CloseReason = errorCode == .noError ? .normal : .reset(errorCode)
        stream.handler?.streamClosed(stream, reason: reason)
        stream.handler = nil
        if self.streams.isEmpty { self.timers.becameIdle(now: self.eventLoop.now) }
        self.delegate?.connectionStreamClosed(self)
    }
}
