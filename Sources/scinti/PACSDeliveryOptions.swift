import ArgumentParser
import DICOMNetwork
import Foundation
import Server

/// `scinti serve` options of the PACS delivery of report documents (docs/reports.md, "Out to the PACS").
struct PACSDeliveryOptions: ParsableArguments {
    @Option(name: .customLong("pacs"), help: "Send every report document (SR, result screen, PDF, dose SR) to this PACS by C-STORE with Storage Commitment, AET@HOST:PORT (repeatable). The PACS reports the commitment on the same association or on a new one to --dimse-port as --aet.")
    var destinations: [String] = []
    @Flag(name: .customLong("pacs-tls"), help: "DICOM over TLS to the --pacs destinations (system trust roots unless --pacs-tls-ca).") var tls = false
    @Option(name: .customLong("pacs-tls-ca"), help: "PEM trust roots for the --pacs destinations' certificates (implies --pacs-tls).") var tlsCA: String?
    @Option(name: .customLong("pacs-retry-seconds"), help: "First retry delay after a failed delivery; each further failure doubles it.") var retryBase = 30.0
    @Option(name: .customLong("pacs-retry-max-seconds"), help: "Longest retry delay.") var retryMax = 3600.0
    @Option(name: .customLong("pacs-commit-timeout"), help: "Seconds a stored document waits for its storage commitment before it is sent again.") var commitTimeout = 600.0
    @Option(name: .customLong("pacs-poll-seconds"), help: "Seconds between outbox scans (new documents go out within this time).") var poll = 2.0

    /// The delivery settings, or nil without --pacs; `callingAE` is the server's --aet.
    func configuration(callingAE: String) throws -> ReportDelivery.Configuration? {
        guard !destinations.isEmpty else { return nil }
        var tlsSettings: TLSSettings? = nil
        if tls || tlsCA != nil {
            guard TLSSettings.isAvailable else { throw ValidationError("--pacs-tls needs a build with the TLS trait (the default)") }
            if let ca = tlsCA, !FileManager.default.isReadableFile(atPath: ca) { throw ValidationError("cannot read --pacs-tls-ca \(ca)") }
            tlsSettings = TLSSettings(trustRoots: tlsCA)
        }
        var ds: [PACSDestination] = []
        for s in destinations {
            do { var d = try PACSDestination(parsing: s); d.tls = tlsSettings; ds.append(d) } catch { throw ValidationError("--pacs: \(error)") }
        }
        guard retryBase > 0, retryMax >= retryBase, commitTimeout > 0, poll > 0, poll <= 3600 else {
            throw ValidationError("--pacs-retry-seconds must be > 0, --pacs-retry-max-seconds ≥ it, --pacs-commit-timeout > 0 and --pacs-poll-seconds in (0, 3600]")
        }
        var c = ReportDelivery.Configuration(destinations: ds, callingAE: callingAE)
        c.retryBase = retryBase; c.retryMax = retryMax; c.commitTimeout = commitTimeout; c.pollInterval = poll
        return c
    }
}
