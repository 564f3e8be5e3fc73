import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Server

/// Drives a Hummingbird router in-process (no sockets): builds the request, runs the responder, collects the body.
/// A small stand-in for HummingbirdTesting's router framework, which would bring AsyncHTTPClient and BoringSSL into
/// the package's build.
struct RouterClient {
    struct Response {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
    }

    let responder: RouterResponder<ScintiRequestContext>

    init(_ router: Router<ScintiRequestContext>) { responder = router.buildResponder() }

    @discardableResult
    func execute<T>(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
                    _ check: (Response) async throws -> T) async throws -> T {
        var headers = headers
        if let body { headers[.contentLength] = String(body.readableBytes) }
        let request = Request(head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: uri, headerFields: headers),
                              body: RequestBody(buffer: body ?? ByteBuffer()))
        let context = ScintiRequestContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        let response: Hummingbird.Response
        do { response = try await responder.respond(to: request, context: context) } catch let e as HTTPError {
            response = Hummingbird.Response(status: e.status)
        }
        let collector = Collector()
        try await response.body.write(collector)
        return try await check(Response(status: response.status, headers: response.headers, body: collector.box.buffer))
    }

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> Response {
        try await execute(uri: uri, method: method, headers: headers, body: body) { $0 }
    }
}

final class BufferBox: @unchecked Sendable { var buffer = ByteBuffer() }

struct Collector: ResponseBodyWriter {
    let box = BufferBox()
    mutating func write(_ buffer: ByteBuffer) async throws { var b = buffer; box.buffer.writeBuffer(&b) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
