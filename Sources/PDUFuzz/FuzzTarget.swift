import DICOM
import DICOMNetwork
import Foundation

/// Exercises the upper-layer PDU decoder, the DIMSE command decoder and the round trip decode → encode → decode on
/// arbitrary bytes. Any crash, hang or unbounded allocation is a bug; thrown errors are the expected outcome.
func exercise(_ bytes: UnsafeRawBufferPointer) {
    let input = Array(bytes)
    if let pdu = try? PDU.decode(bytes: input) {
        // Whatever decodes must re-encode to something that decodes to the same PDU.
        let again = try? PDU.decode(bytes: pdu.bytes)
        if case .associateRQ = pdu { precondition(again != nil, "re-encoded A-ASSOCIATE-RQ does not decode") }
        if case .data(let pdvs) = pdu {
            for p in pdvs where p.isCommand {
                _ = try? DIMSECommand.decode(Array(p.data.readableBytesView)).encode()
            }
        }
    }
    // The command decoder on its own (command sets arrive reassembled from fragments).
    if let c = try? DIMSECommand.decode(input) { _ = try? DIMSECommand.decode(c.encode()) }
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    exercise(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if !FUZZING
/// Without libFuzzer: replays the files and folders given (regression inputs, crash reproducers).
@main
struct PDUFuzzReplay {
    static func main() {
        var count = 0
        for arg in CommandLine.arguments.dropFirst() {
            var isDir: ObjCBool = false
            var paths = [arg]
            if FileManager.default.fileExists(atPath: arg, isDirectory: &isDir), isDir.boolValue {
                paths = ((try? FileManager.default.contentsOfDirectory(atPath: arg)) ?? []).map { arg + "/" + $0 }
            }
            for p in paths {
                guard let d = FileManager.default.contents(atPath: p) else { continue }
                d.withUnsafeBytes { exercise($0) }
                count += 1
            }
        }
        print("replayed \(count) input(s) without a crash")
    }
}
#endif
