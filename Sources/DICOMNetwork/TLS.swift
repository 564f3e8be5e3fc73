import Foundation
import NIOCore
#if TLS
import NIOSSL
#endif

/// DICOM over TLS (PS3.15 B.1, the "secure transport connection profile", with BCP 195 cipher suites): the
/// certificate files each role uses. PEM files; paths are read when the association (client) or the listener
/// (server) starts, so a wrong path fails at once with the file named.
public struct TLSSettings: Sendable, Codable, Equatable {
    /// Our certificate chain (PEM). Required for a server; for a client only when the peer asks for one.
    public var certificateChain: String?
    /// Our private key (PEM), matching ``certificateChain``.
    public var privateKey: String?
    /// Trust roots (PEM): a client verifies the server against them (nil: the system's roots); a server that has
    /// them requires and verifies client certificates (mutual TLS).
    public var trustRoots: String?
    /// Client only: check that the server's certificate names the host we connect to (off by default: DICOM
    /// peers are usually configured by IP address and AE title, and their certificates rarely carry IP SANs).
    public var verifyHostname: Bool
    /// Client only: skip certificate verification altogether (test set-ups; a warning is logged).
    public var insecure: Bool

    /// Creates settings.
    public init(certificateChain: String? = nil, privateKey: String? = nil, trustRoots: String? = nil,
                verifyHostname: Bool = false, insecure: Bool = false) {
        self.certificateChain = certificateChain; self.privateKey = privateKey; self.trustRoots = trustRoots
        self.verifyHostname = verifyHostname; self.insecure = insecure
    }

    /// Whether this build has TLS (the package trait `TLS`).
    public static var isAvailable: Bool {
        #if TLS
        return true
        #else
        return false
        #endif
    }
}

/// A TLS context made once per listener or association, added first in the channel pipeline.
struct TLSContext: @unchecked Sendable {
    #if TLS
    let context: NIOSSLContext
    #endif
    let isServer: Bool
    let serverHostname: String?

    /// Loads the files and builds the context. Errors name the file.
    init(_ s: TLSSettings, server: Bool, host: String?) throws(NetworkError) {
        isServer = server
        #if TLS
        func certificates(_ path: String) throws(NetworkError) -> [NIOSSLCertificate] {
            do { return try NIOSSLCertificate.fromPEMFile(path) } catch {
                throw NetworkError.tls("\(path): cannot read PEM certificates: \(error)")
            }
        }
        var config: TLSConfiguration
        if server {
            guard let chain = s.certificateChain, let key = s.privateKey else {
                throw NetworkError.tls("a TLS server needs a certificate chain and a private key")
            }
            let certs = try certificates(chain)
            let pkey: NIOSSLPrivateKey
            do { pkey = try NIOSSLPrivateKey(file: key, format: .pem) } catch { throw NetworkError.tls("\(key): cannot read the PEM private key: \(error)") }
            config = TLSConfiguration.makeServerConfiguration(certificateChain: certs.map { .certificate($0) }, privateKey: .privateKey(pkey))
            if let roots = s.trustRoots {
                _ = try certificates(roots)
                config.trustRoots = .file(roots)
                config.certificateVerification = .noHostnameVerification
            } else {
                config.certificateVerification = .none
            }
        } else {
            config = TLSConfiguration.makeClientConfiguration()
            if let roots = s.trustRoots { _ = try certificates(roots); config.trustRoots = .file(roots) }
            config.certificateVerification = s.insecure ? .none : (s.verifyHostname ? .fullVerification : .noHostnameVerification)
            if let chain = s.certificateChain {
                let certs = try certificates(chain)
                config.certificateChain = certs.map { .certificate($0) }
                guard let key = s.privateKey else { throw NetworkError.tls("\(chain): a client certificate needs its private key") }
                do { config.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)) } catch {
                    throw NetworkError.tls("\(key): cannot read the PEM private key: \(error)")
                }
            }
        }
        config.minimumTLSVersion = .tlsv12   // BCP 195: TLS 1.2 or later
        do { context = try NIOSSLContext(configuration: config) } catch { throw NetworkError.tls("cannot set up TLS: \(error)") }
        serverHostname = s.verifyHostname ? host : nil
        #else
        serverHostname = nil
        _ = (s, host)
        throw NetworkError.tls("this build of Scinti has no TLS (built without the package trait TLS)")
        #endif
    }

    /// Adds the TLS handler as the first handler of a new channel.
    func install(on channel: Channel) throws {
        #if TLS
        let sync = channel.pipeline.syncOperations
        if isServer {
            try sync.addHandler(NIOSSLServerHandler(context: context))
        } else {
            try sync.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverHostname))
        }
        #endif
    }
}
