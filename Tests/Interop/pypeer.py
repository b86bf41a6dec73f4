"""halo.testing.v1.TestService written with Python's grpcio: the server our client is tested against.

Same semantics as `halo-rpc-interop serve` (see protos/halo/testing/v1/testing.proto), and Unary
echoes request metadata named `x-trailer-*` as trailing metadata. It also
records what each call looked like on the server side (metadata, deadline, how it ended) so the
tests can check what our client put on the wire, not only what it reports.
"""

import base64
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

SERVICE = "halo.testing.v1.TestService"


@dataclass
class CallRecord:
    method: str
    metadata: dict
    time_remaining: float | None
    requests: list = field(default_factory=list)
    ended: str = "running"  # "ok", "half-closed", "cancelled"; final once `terminated` is set
    terminated: threading.Event = field(default_factory=threading.Event)


class Recorder:
    def __init__(self):
        self._lock = threading.Lock()
        self._calls: list[CallRecord] = []

    def start(self, method, context):
        record = CallRecord(method, request_metadata(context), context.time_remaining())
        with self._lock:
            self._calls.append(record)

        # Runs when the call has terminated, after grpcio learned how the client closed it.
        # grpcio ends a request iterator quietly on RST_STREAM and may drop a streaming
        # handler's generator without resuming it, so the handler alone cannot tell a cancel
        # from a half-close; grpcio's call state can (private, hence the getattr).
        def on_termination():
            state = getattr(context, "_state", None)
            if record.ended == "running" or getattr(state, "client", None) == "cancelled":
                record.ended = "cancelled"
            record.terminated.set()

        context.add_callback(on_termination)
        return record

    def calls(self, method=None):
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def clear(self):
        with self._lock:
            self._calls.clear()


def request_metadata(context):
    """Request metadata as the Swift server reports it: no grpc-* keys, -bin values in base64."""
    seen = {}
    for key, value in context.invocation_metadata():
        if key.startswith("grpc-") or key.startswith(":"):
            continue
        if key.endswith("-bin"):
            value = base64.b64encode(value).decode("ascii")
        seen[key] = value
    return seen


def make_servicer(pb2, pb2_grpc, recorder):
    class TestService(pb2_grpc.TestServiceServicer):
        def _sleep(self, context, delay_ms):
            # Cancellable: returns early when the call is cancelled or its deadline passes.
            end = time.monotonic() + delay_ms / 1000
            while context.is_active() and time.monotonic() < end:
                time.sleep(min(0.01, max(0.0, end - time.monotonic())))

        def _fail_if_asked(self, request, context):
            if request.fail_code:
                context.abort(status_code(request.fail_code), request.fail_message)

        def Unary(self, request, context):
            record = recorder.start("Unary", context)
            record.requests.append(request)
            if request.delay_ms:
                self._sleep(context, request.delay_ms)
                if not context.is_active():
                    record.ended = "cancelled"
                    return pb2.EchoResponse()
            self._fail_if_asked(request, context)
            record.ended = "ok"
            # Request metadata named x-trailer-* comes back as trailing metadata (-bin values as
            # the bytes they decode to): what a proxy does with trailers is seen end to end.
            context.set_trailing_metadata(
                [(key, value) for key, value in context.invocation_metadata() if key.startswith("x-trailer-")]
            )
            return pb2.EchoResponse(
                message=request.message,
                payload=request.payload,
                metadata=request_metadata(context),
            )

        def ServerStream(self, request, context):
            record = recorder.start("ServerStream", context)
            record.requests.append(request)
            self._fail_if_asked(request, context)
            for i in range(request.response_count):
                if request.delay_ms:
                    self._sleep(context, request.delay_ms)
                if not context.is_active():
                    record.ended = "cancelled"
                    return
                yield pb2.EchoResponse(message=request.message, payload=request.payload, index=i)
            record.ended = "ok"

        def ClientStream(self, request_iterator, context):
            record = recorder.start("ClientStream", context)
            messages, payloads = [], []
            try:
                for request in request_iterator:
                    record.requests.append(request)
                    messages.append(request.message)
                    payloads.append(request.payload)
            except grpc.RpcError:
                record.ended = "cancelled"
                raise
            record.ended = "ok"
            return pb2.EchoResponse(
                message="".join(messages), payload=b"".join(payloads), index=len(messages)
            )

        def Bidi(self, request_iterator, context):
            record = recorder.start("Bidi", context)
            try:
                for i, request in enumerate(request_iterator):
                    record.requests.append(request)
                    self._fail_if_asked(request, context)
                    yield pb2.EchoResponse(message=request.message, payload=request.payload, index=i)
            except grpc.RpcError:
                record.ended = "cancelled"
                raise
            record.ended = "half-closed"  # unless on_termination learns it was a cancel

        def GetVideo(self, request, context):
            if not 1 <= request.id <= 1000:
                context.abort(grpc.StatusCode.NOT_FOUND, f"no video {request.id}")
            return pb2.Video(
                id=request.id,
                title=f"Video number {request.id}",
                views=request.id * 1000,
                live=request.id % 2 == 0,
            )

    return TestService()


def status_code(number):
    """grpc.StatusCode for a numeric code (UNKNOWN for numbers gRPC does not define)."""
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


def start_server(pb2, pb2_grpc, recorder):
    """Starts the grpcio server on 127.0.0.1:0; returns (server, "127.0.0.1:PORT")."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64))
    pb2_grpc.add_TestServiceServicer_to_server(make_servicer(pb2, pb2_grpc, recorder), server)
    health_servicer = health.HealthServicer()
    for name in ("", SERVICE):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"
