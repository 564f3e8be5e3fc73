import ArgumentParser
import DICOM
import DICOMImaging
import Foundation

struct DicomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dicom",
        abstract: "Read, inspect, decode and convert DICOM files.",
        subcommands: [Dump.self, Pixels.self, Convert.self, Info.self]
    )

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print files like dcmdump, or as the DICOM JSON Model (PS3.18 F).")
        @Argument(help: "DICOM files (Part 10 or bare data sets).") var files: [String]
        @Flag(help: "Print the DICOM JSON Model: one object per file (a JSON array when several files are given). Binary values over 1 KiB are BulkDataURIs.")
        var json = false

        func run() throws {
            var objects: [String] = []
            for path in files {
                do {
                    let file = try DICOMFile.read(path: path)
                    if json {
                        let url = URL(fileURLWithPath: path).standardizedFileURL.absoluteString
                        let bulkBase = file.transferSyntax.isDeflated ? url + "#inflated" : url
                        objects.append(DICOMJSON.encode(file.dataset, options: .init(bulkDataBase: bulkBase)))
                        for w in file.warnings { warn("\(path): \(w)") }
                    } else {
                        FileHandle.standardOutput.write(Data(DICOMDump.bytes(file)))
                        for w in file.warnings { warn("\(path): \(w)") }
                    }
                } catch {
                    if json && !objects.isEmpty { emit((files.count > 1 ? "[" + objects.joined(separator: ",\n") + "]" : objects[0]) + "\n") }
                    throw fail("\(error)")
                }
            }
            if json { emit((files.count > 1 ? "[" + objects.joined(separator: ",\n") + "]" : objects.first ?? "{}") + "\n") }
        }
    }

    struct Pixels: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decode pixel data to a NumPy .npy array of stored values, shape (frames, rows, columns[, samples]).")
        @Argument(help: "DICOM file.") var file: String
        @Option(name: .shortAndLong, help: "Output .npy path.") var out: String
        @Option(help: "Decode only this frame (0-based).") var frame: Int?
        @Flag(help: "Apply the Modality LUT (Rescale Slope/Intercept) and write float32.") var rescale = false

        func run() throws {
            do {
                let f = try DICOMFile.read(path: file)
                for w in f.warnings { warn("\(file): \(w)") }
                let arr = try PixelData.decode(f, frames: frame.map { [$0] })
                let bytes: [UInt8]
                if rescale {
                    let values = PixelData.applyRescale(arr, dataset: f.dataset)
                    let shape = arr.samplesPerPixel > 1 ? [arr.frames, arr.rows, arr.columns, arr.samplesPerPixel] : [arr.frames, arr.rows, arr.columns]
                    bytes = NumPy.encode(floats: values, shape: shape)
                } else {
                    bytes = arr.npy()
                }
                try AtomicFile.write(bytes, to: out)
            } catch { throw failure(error) }
        }
    }

    enum Syntax: String, ExpressibleByArgument, CaseIterable {
        case explicit, implicit, deflated, rle, big
        var transferSyntax: TransferSyntax {
            switch self {
            case .explicit: .explicitVRLittleEndian
            case .implicit: .implicitVRLittleEndian
            case .deflated: .deflatedExplicitVRLittleEndian
            case .rle: .rleLossless
            case .big: .explicitVRBigEndian
            }
        }
    }

    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rewrite a file in another transfer syntax (every element kept; pixel data decoded or RLE-encoded as needed).")
        @Argument(help: "Input file.") var input: String
        @Argument(help: "Output file.") var output: String
        @Option(name: .customLong("transfer-syntax"), help: "explicit | implicit | deflated | rle | big (retired explicit big endian).")
        var transferSyntax: Syntax = .explicit

        func run() throws {
            do {
                let f = try DICOMFile.read(path: input)
                for w in f.warnings { warn("\(input): \(w)") }
                let warnings = try DICOMWriter.write(f, to: output, options: WriteOptions(transferSyntax: transferSyntax.transferSyntax))
                for w in warnings { warn("\(input): \(w)") }
            } catch { throw failure(error) }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Summarise files or a folder per series (for NM: energy windows × detectors × views, angles, times).")
        @Argument(help: "A DICOM file or a folder.") var path: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() throws {
            do {
                let summary = try SeriesSummary.describe(path: path)
                emit(json ? try jsonText(summary) : summary.text)
            } catch { throw failure(error) }
        }
    }
}

/// Pretty JSON of an `Encodable` value.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try enc.encode(value), as: UTF8.self) + "\n"
}
