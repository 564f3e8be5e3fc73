import DICOM
import Foundation

/// Exercises the parser and everything that consumes a parsed data set on arbitrary bytes. Any crash, hang or
/// unbounded allocation is a bug; thrown ``DICOMError``s are the expected outcome for garbage.
func exercise(_ bytes: UnsafeRawBufferPointer) {
    let input = DICOMBytes(Array(bytes))
    guard let file = try? DICOMFile(parsing: input, source: "fuzz") else { return }
    _ = DICOMJSON.encode(file.dataset)
    _ = DICOMDump.text(file)
    _ = Validator.validate(file.dataset)
    // Decode at most a few frames of bounded size.
    if let f = try? PixelFormat(file.dataset), f.samplesPerFrame <= 1 << 22 {
        _ = try? PixelData.decode(file, frames: [0])
    }
    _ = try? DICOMWriter.encode(file)
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
struct FuzzReplay {
    static func main() {
        var count = 0
        for arg in CommandLine.arguments.dropFirst() {
            var paths: [String] = [arg]
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: arg, isDirectory: &isDir), isDir.boolValue {
                let e = FileManager.default.enumerator(atPath: arg)
                paths = (e?.allObjects as? [String] ?? []).map { arg + "/" + $0 }.filter {
                    var d: ObjCBool = false
                    return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue
                }
            }
            for p in paths {
                guard let d = FileManager.default.contents(atPath: p) else { continue }
                d.withUnsafeBytes { exercise($0) }
                count += 1
            }
        }
        print("replayed \(count) inputs without a crash")
    }
}
#endif
