import CNGHTTP2

/// Owns one `nghttp2_session`: the only place in Halo that holds its pointer.
///
/// Every method must be called on the owning connection's event loop.
final class Session {
    enum Role { case server, client }

    private let pointer: OpaquePointer

    init(role: Role, configuration: Configuration, userData: UnsafeMutableRawPointer) {
        var option: OpaquePointer?
        precondition(nghttp2_option_new(&option) == 0, "nghttp2_option_new failed")
        defer { nghttp2_option_del(option) }
        // The application acknowledges received data itself: that is the inbound backpressure.
        nghttp2_option_set_no_auto_window_update(option, 1)
        // nghttp2's own rapid-reset limit counts every reset, even of answered streams: it stays a
        // loose backstop behind ours (which counts requests in progress, and answers
        // ENHANCE_YOUR_CALM where nghttp2 answers INTERNAL_ERROR).
        nghttp2_option_set_stream_reset_rate_limit(
            option, UInt64(max(10_000, configuration.maxResetBurst * 10)),
            UInt64(max(1_000, configuration.resetsPerSecond * 10)))
        nghttp2_option_set_max_settings(option, 32)
        nghttp2_option_set_max_outbound_ack(option, 1000)

        var session: OpaquePointer?
        let rv =
            switch role {
            case .server: nghttp2_session_server_new2(&session, Callbacks.table, userData, option)
            case .client: nghttp2_session_client_new2(&session, Callbacks.table, userData, option)
            }
        precondition(rv == 0 && session != nil, "nghttp2 session creation failed: \(rv)")
        self.pointer = session!
    }

    deinit {
        nghttp2_session_del(self.pointer)
    }

    // MARK: Settings

    func submitSettings(_ configuration: Configuration, role: Role) {
        var entries: [nghttp2_settings_entry] = [
            .init(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(configuration.initialStreamWindowSize)),
            .init(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(configuration.maxHeaderListSize)),
            .init(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue),
                value: UInt32(configuration.maxFrameSize)),
        ]
        switch role {
        case .server:
            entries.append(
                .init(
                    settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                    value: UInt32(configuration.maxConcurrentStreams)))
        case .client:
            // A client accepts no pushed streams.
            entries.append(.init(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0))
        }
        _ = nghttp2_submit_settings(self.pointer, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries, entries.count)
        // The connection window is not a setting: raise it with a WINDOW_UPDATE.
        _ = nghttp2_session_set_local_window_size(
            self.pointer, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(configuration.connectionWindowSize))
    }

    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS (2^31-1 until it says otherwise).
    var remoteMaxConcurrentStreams: Int {
        Int(nghttp2_session_get_remote_settings(self.pointer, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
    }

    /// Bytes in the HPACK dynamic tables (RFC 7541 sizes): what the encoder holds for the peer,
    /// and what the decoder holds of what the peer sent.
    var headerTableSizes: (encoder: Int, decoder: Int) {
        (
            Int(nghttp2_session_get_hd_deflate_dynamic_table_size(self.pointer)),
            Int(nghttp2_session_get_hd_inflate_dynamic_table_size(self.pointer))
        )
    }

    // MARK: I/O

    /// Feeds received bytes; returns the count consumed or a negative nghttp2 error.
    func receive(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        return nghttp2_session_mem_recv(self.pointer, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// The next serialized bytes to send (empty when nothing is pending), or a negative error.
    func nextOutput() -> (UnsafeRawBufferPointer?, Int) {
        var data: UnsafePointer<UInt8>?
        let count = nghttp2_session_mem_send(self.pointer, &data)
        guard count > 0 else { return (nil, count) }
        return (UnsafeRawBufferPointer(start: data, count: count), count)
    }

    var wantsRead: Bool { nghttp2_session_want_read(self.pointer) != 0 }
    var wantsWrite: Bool { nghttp2_session_want_write(self.pointer) != 0 }

    // MARK: Streams

    /// Submits response headers; with `body`, DATA follows from the stream's data source.
    func submitResponse(streamID: Int32, headers: [Header], body: UnsafeMutableRawPointer?) -> Int32 {
        headers.withNV { nva, count in
            guard let body else { return nghttp2_submit_response(self.pointer, streamID, nva, count, nil) }
            var provider = nghttp2_data_provider(
                source: nghttp2_data_source(ptr: body), read_callback: Callbacks.readData)
            return nghttp2_submit_response(self.pointer, streamID, nva, count, &provider)
        }
    }

    /// Submits a request; returns the new stream's id, or a negative nghttp2 error.
    func submitRequest(
        headers: [Header], body: UnsafeMutableRawPointer?, streamData: UnsafeMutableRawPointer
    )
        -> Int32
    {
        headers.withNV { nva, count in
            guard let body else {
                return nghttp2_submit_request(self.pointer, nil, nva, count, nil, streamData)
            }
            var provider = nghttp2_data_provider(
                source: nghttp2_data_source(ptr: body), read_callback: Callbacks.readData)
            return nghttp2_submit_request(self.pointer, nil, nva, count, &provider, streamData)
        }
    }

    func submitTrailers(streamID: Int32, headers: [Header]) -> Int32 {
        headers.withNV { nva, count in nghttp2_submit_trailer(self.pointer, streamID, nva, count) }
    }

    func submitReset(streamID: Int32, code: ErrorCode) {
        _ = nghttp2_submit_rst_stream(self.pointer, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, code.rawValue)
    }

    func resumeData(streamID: Int32) {
        _ = nghttp2_session_resume_data(self.pointer, streamID)
    }

    /// Gives back receive window for bytes the application has processed.
    func consume(streamID: Int32, bytes: Int) {
        if nghttp2_session_consume(self.pointer, streamID, bytes) != 0 {
            _ = nghttp2_session_consume_connection(self.pointer, bytes)
        }
    }

    func consumeConnection(bytes: Int) {
        _ = nghttp2_session_consume_connection(self.pointer, bytes)
    }

    func setStreamUserData(streamID: Int32, _ data: UnsafeMutableRawPointer?) {
        _ = nghttp2_session_set_stream_user_data(self.pointer, streamID, data)
    }

    // MARK: Connection control

    func submitPing(_ payload: UInt64) {
        var bytes = payload.bigEndian
        withUnsafeBytes(of: &bytes) {
            _ = nghttp2_submit_ping(
                self.pointer, UInt8(NGHTTP2_FLAG_NONE.rawValue), $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The first step of a graceful shutdown: GOAWAY with the maximum stream id.
    func submitShutdownNotice() {
        _ = nghttp2_submit_shutdown_notice(self.pointer)
    }

    func submitGoAway(code: ErrorCode) {
        self.submitGoAway(code: code, lastStreamID: nghttp2_session_get_last_proc_stream_id(self.pointer))
    }

    /// GOAWAY naming `lastStreamID` (never above one sent before); once it is sent, nghttp2 closes
    /// the peer's streams above it as REFUSED_STREAM.
    func submitGoAway(code: ErrorCode, lastStreamID: Int32) {
        _ = nghttp2_submit_goaway(
            self.pointer, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, code.rawValue, nil, 0)
    }

    /// Ends the session with GOAWAY `code`; nothing more is read once it is sent.
    func terminate(code: ErrorCode) {
        _ = nghttp2_session_terminate_session(self.pointer, code.rawValue)
    }
}
