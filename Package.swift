// swift-tools-version:6.1
import PackageDescription

/// Optimisation for the compute-heavy modules even in debug builds: the domain modules whose loops run over voxels and
/// pixels (Imaging, Physics, Simulation, Reconstruction, Analysis, QC, Dosimetry). Unoptimised, their kernels run
/// ~10× slower, and the debug-build tests and CI sections (whole simulated studies reconstructed, registered and
/// analysed) spent most of CI's time in them.
let optimisedAlways: [SwiftSetting] = [.unsafeFlags(["-O"])]

// Scinti: open nuclear-medicine imaging in Swift. One package, library modules with one job each.
let package = Package(
    name: "Scinti",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "scinti", targets: ["scinti"]),
        .executable(name: "scinti-fuzz-dicom", targets: ["DICOMFuzz"]),
        .library(name: "DICOM", targets: ["DICOM"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "DICOMImaging", targets: ["DICOMImaging"]),
        .library(name: "PixelCodecs", targets: ["PixelCodecs"]),
        .library(name: "Physics", targets: ["Physics"]),
        .library(name: "Rendering", targets: ["Rendering"]),
        .library(name: "Workflows", targets: ["Workflows"]),
        .library(name: "Simulation", targets: ["Simulation"]),
        .library(name: "Reconstruction", targets: ["Reconstruction"]),
        .library(name: "DICOMNetwork", targets: ["DICOMNetwork"]),
        .library(name: "Archive", targets: ["Archive"]),
        .library(name: "Analysis", targets: ["Analysis"]),
        .library(name: "Dosimetry", targets: ["Dosimetry"]),
        .library(name: "Server", targets: ["Server"]),
        .library(name: "Deidentification", targets: ["Deidentification"]),
        .library(name: "QC", targets: ["QC"]),
        .executable(name: "scinti-fuzz-pdu", targets: ["PDUFuzz"]),
    ],
    // TLS for the DICOM network roles (PS3.15 B.1 secure transport) through swift-nio-ssl (BoringSSL). On by
    // default; `swift build --disable-default-traits` builds without it (and without BoringSSL's compile time).
    traits: [
        .trait(name: "TLS", description: "DICOM over TLS (swift-nio-ssl) for the SCU and SCP roles."),
        // PostgreSQL archive index and job queue (postgres-nio, ~6 min of a first debug build on 2 cores): for several
        // receivers, web servers and `scinti worker` processes sharing one archive (docs/scale.md).
        // `swift build --traits PostgreSQL` (TLS stays on: default traits are kept only without --traits, so name both:
        // `--traits TLS,PostgreSQL`).
        .trait(name: "PostgreSQL", description: "Archive index and job queue in PostgreSQL (postgres-nio): scinti worker, --database postgres://."),
        .default(enabledTraits: ["TLS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // Debian C libraries, through system-library targets (apt packages named as providers).
        .systemLibrary(name: "CZlib", path: "Sources/CSystem/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CSystem/CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CCharLS", path: "Sources/CSystem/CCharLS", pkgConfig: "charls",
                       providers: [.apt(["libcharls-dev"])]),
        .systemLibrary(name: "COpenJPEG", path: "Sources/CSystem/COpenJPEG", pkgConfig: "libopenjp2",
                       providers: [.apt(["libopenjp2-7-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CSystem/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CFFTW", path: "Sources/CSystem/CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CLibCrypto", path: "Sources/CSystem/CLibCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // Small C shims where a C library's error handling or I/O model does not fit Swift
        // (libjpeg's error_exit longjmp, OpenJPEG's stream callbacks).
        .target(name: "CCodecShims", dependencies: ["CJPEG", "COpenJPEG", "CCharLS", "CZlib"],
                cSettings: [.unsafeFlags(["-I/usr/include/openjpeg-2.5", "-O2"])]),
        // Image codecs on plain bytes (no DICOM types): RLE, JPEG (baseline, extended, lossless), JPEG-LS, JPEG 2000, deflate.
        .target(name: "PixelCodecs", dependencies: ["CCodecShims", "CZlib"]),
        // DICOM Part 10 / Part 5: dictionary, parsing, writing, transfer syntaxes, pixel data, JSON model.
        .target(name: "DICOM", dependencies: ["PixelCodecs"]),
        // PS3.15 Annex E de-identification (Basic Profile and options) of DICOM data sets; keyed hashes and the
        // encrypted pseudonym map through OpenSSL's libcrypto (HMAC-SHA-256, PBKDF2, AES-256-GCM).
        .target(name: "Deidentification", dependencies: ["DICOM", "CLibCrypto", "CZlib"]),
        // Domain image types with patient geometry (LPS). Never imports DICOM.
        .target(name: "Imaging", swiftSettings: optimisedAlways),
        // The edge adapter: IOD readers and writers between DICOM data sets and Imaging domain types.
        .target(name: "DICOMImaging", dependencies: ["DICOM", "Imaging"]),
        // Colour maps, PNG, slices, MIP, fusion, SVG plots, PDF reports (Flate through zlib). No DICOM.
        .target(name: "Rendering", dependencies: ["Imaging", "CPNG", "CZlib"]),
        // Radionuclide decay data, attenuation, CT HU → μ, collimators, energy windows. No DICOM.
        .target(name: "Physics", swiftSettings: optimisedAlways),
        // Phantoms and camera/CT acquisition simulation with known truth. No DICOM (written by DICOMImaging).
        // Compiled optimised in every configuration, as are the other domain modules with voxel loops (optimisedAlways).
        .target(name: "Simulation", dependencies: ["Physics", "Imaging", "CZlib"], swiftSettings: optimisedAlways),
        // SPECT system model (projector, attenuation, collimator-detector response, scatter) and algorithms.
        .target(name: "Reconstruction", dependencies: ["Physics", "Imaging"], swiftSettings: optimisedAlways),
        // Clinical analyses (LVEF, thyroid uptake, parathyroid, sentinel node, bone scan, Krenning/MIBG, PET SUV):
        // one small type per analysis with its inputs, conventions and result. No DICOM.
        .target(name: "Analysis", dependencies: ["Physics", "Imaging"], swiftSettings: optimisedAlways),
        // Gamma-camera and SPECT quality control (NEMA NU 1 / IAEA NMQC): uniformity, COR, resolution, sensitivity,
        // MWSR, tomographic phantom, whole-body; action limits. One small type per test. No DICOM.
        .target(name: "QC", dependencies: ["Physics", "Imaging"], swiftSettings: optimisedAlways),
        // Radionuclide-therapy dosimetry: TAC fits, time-integrated activity, S-values, voxel dose, registration.
        // No DICOM.
        .target(name: "Dosimetry", dependencies: ["Physics", "Imaging", "CFFTW"], swiftSettings: optimisedAlways),
        // End-to-end jobs the CLI and the server run (reconstruct a study from DICOM, the demo): glue over the
        // domain modules and the DICOM adapters.
        .target(name: "Workflows", dependencies: ["DICOM", "DICOMImaging", "Imaging", "Physics", "Simulation", "Reconstruction", "Rendering", "Analysis", "Dosimetry", "QC"]),
        // DICOM upper layer and DIMSE services, SCU and SCP, on swift-nio.
        .target(name: "DICOMNetwork", dependencies: [
            "DICOM",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["TLS"])),
        ]),
        // Durable storage and the patient/study/series/instance index (SQLite through GRDB).
        // Users, sessions and the audit trail live here too; passwords are hashed with bcrypt (hummingbird-auth).
        .target(name: "Archive", dependencies: ["DICOM", "DICOMNetwork", .product(name: "GRDB", package: "GRDB.swift"),
                                                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth")]),
        // The archive index and the job queue in PostgreSQL (behind the PostgreSQL trait; an empty module without it).
        .target(name: "ArchivePostgres", dependencies: [
            "Archive",
            .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
            .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["PostgreSQL"])),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // HTTP: DICOMweb (QIDO/WADO/STOW) over the archive, the job API and the browser viewer (Hummingbird 2).
        .target(name: "Server", dependencies: [
            "DICOM", "Imaging", "DICOMImaging", "Rendering", "Archive", "Workflows", "Dosimetry", "Physics", "Deidentification", "QC", "Analysis", "DICOMNetwork",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "HummingbirdTLS", package: "hummingbird", condition: .when(traits: ["TLS"])),
            .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["TLS"])),
            .product(name: "GRDB", package: "GRDB.swift"),
        ], exclude: ["Viewer"]),
        .executableTarget(name: "scinti", dependencies: [
            "DICOM", "Imaging", "DICOMImaging", "Physics", "Simulation", "Reconstruction", "DICOMNetwork", "Archive", "Rendering", "Workflows", "Analysis", "Dosimetry", "Server", "Deidentification", "QC",
            .target(name: "ArchivePostgres", condition: .when(traits: ["PostgreSQL"])),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // libFuzzer target for the DICOM parser (see scripts/fuzz.sh).
        .executableTarget(name: "DICOMFuzz", dependencies: ["DICOM"]),
        // libFuzzer target for the upper-layer PDU decoder.
        .executableTarget(name: "PDUFuzz", dependencies: ["DICOMNetwork"]),
        // Tests find their fixtures through #filePath (no resource bundles to copy).
        .testTarget(name: "PixelCodecsTests", dependencies: ["PixelCodecs"], exclude: ["Fixtures"]),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM"], exclude: ["Fixtures"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(name: "DICOMImagingTests", dependencies: ["DICOMImaging", "DICOM", "Imaging"]),
        .testTarget(name: "PhysicsTests", dependencies: ["Physics"]),
        .testTarget(name: "RenderingTests", dependencies: ["Rendering", "Imaging"]),
        .testTarget(name: "WorkflowsTests", dependencies: ["Workflows", "DICOM", "DICOMImaging", "Imaging", "Physics", "Simulation", "Reconstruction", "Rendering"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Physics", "Imaging", "DICOMImaging", "DICOM"]),
        .testTarget(name: "ReconstructionTests", dependencies: ["Reconstruction", "Physics", "Imaging", "Simulation"]),
        .testTarget(name: "DICOMNetworkTests", dependencies: ["DICOMNetwork", "DICOM", "Archive"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "DICOM", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Simulation", "Physics", "Imaging", "Workflows", "DICOM", "DICOMImaging"]),
        // Router-level tests without HummingbirdTesting (which would pull AsyncHTTPClient and BoringSSL into every build).
        .testTarget(name: "ServerTests", dependencies: ["Server", "Archive", "DICOM", "DICOMNetwork", "Rendering", "Dosimetry",
                                                      .product(name: "Hummingbird", package: "hummingbird"),
                                                      .product(name: "NIOEmbedded", package: "swift-nio"),
                                                      .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "DeidentificationTests", dependencies: ["Deidentification", "DICOM"]),
        .testTarget(name: "QCTests", dependencies: ["QC", "Imaging", "Physics", "Archive"]),
        .testTarget(name: "DosimetryTests", dependencies: ["Dosimetry", "Simulation", "Physics", "Imaging", "Workflows", "DICOM", "DICOMImaging"]),
    ],
    swiftLanguageModes: [.v6]
)
