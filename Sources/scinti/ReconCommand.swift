import ArgumentParser
import Foundation
import Workflows

/// `scinti recon`: quantitative SPECT reconstruction of a DICOM projection file.
struct ReconCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recon",
        abstract: "Reconstruct SPECT projections (OSEM/MLEM/BSREM/FBP with CT attenuation, scatter and collimator response).")

    @Argument(help: "NM TOMO projections (DICOM); several files are the beds of one acquisition, reconstructed alike and stitched along z.") var projections: [String]
    @Option(help: "CT series folder for attenuation correction and fusion.") var ct: String?
    @Option(help: "osem | mlem | bsrem | fbp") var algorithm: ReconAlgorithmName = .osem
    @Option(help: "Iterations.") var iterations: Int = 4
    @Option(help: "Subsets (OSEM, BSREM).") var subsets: Int = 8
    @Option(help: "ct | chang | none (chang: uniform water body from the projections' outline).") var attenuation: AttenuationChoice = .ct
    @Option(help: "auto (from the collimator named in the file) | none") var psf: PSFChoice = .auto
    @Option(help: "tew | dew | none (from the windows adjacent to the photopeak).") var scatter: ScatterChoice = .tew
    @Option(help: "Photopeak window: the DICOM energy window number (1-based, as in the Energy Window Vector). Default: the window holding the study radionuclide's photopeak.") var window: Int?
    @Option(help: "Camera calibration factor in cps/MBq (planar sensitivity); gives Bq/mL. Without it the result is in counts.") var calibration: Double?
    @Option(help: "Gaussian post-filter FWHM in mm.") var postFilter: Double?
    @Option(help: "BSREM relative-difference prior strength β.") var beta: Double = 0.1
    @Option(help: "Radionuclide when the file does not say (e.g. Lu-177).") var radionuclide: String?
    @Option(help: "Output NM RECON TOMO DICOM file.") var out: String
    @Option(help: "Also write NIfTI-1 (.nii).") var nifti: String?
    @Option(help: "Also write Interfile (.hv header + .v data).") var interfile: String?
    @Option(help: "Folder for PNG figures (anterior MIP, slices through the hottest voxel, fused with the CT).") var figures: String?
    @Option(help: "Also write the attenuation map (1/mm, on the reconstruction grid) as NIfTI.") var muMap: String?
    @Flag(help: "Print a JSON summary instead of text.") var json = false
    @Flag(help: "No progress bar.") var quiet = false

    func run() throws {
        var options = ReconJob.Options(projections: projections[0], out: out)
        options.moreBeds = Array(projections.dropFirst())
        options.ct = ct; options.algorithm = algorithm; options.iterations = iterations; options.subsets = subsets
        options.attenuation = attenuation; options.psf = psf; options.scatter = scatter; options.window = window
        options.calibrationCpsPerMBq = calibration; options.postFilterFWHMmm = postFilter; options.beta = beta
        options.radionuclide = radionuclide; options.nifti = nifti; options.interfile = interfile
        options.figures = figures; options.muMapOut = muMap
        let progress: (@Sendable (Int, Int) -> Void)? = quiet || json ? nil : progressBar
        do {
            let result = try ReconJob.run(options, progress: progress)
            for w in result.warnings { warn(w) }
            emit(json ? try jsonText(result) : result.text)
        } catch { throw failure(error) }
    }
}

extension ReconAlgorithmName: ExpressibleByArgument {}
extension AttenuationChoice: ExpressibleByArgument {}
extension PSFChoice: ExpressibleByArgument {}
extension ScatterChoice: ExpressibleByArgument {}

/// Draws a progress bar on standard error.
@Sendable func progressBar(_ done: Int, _ total: Int) {
    let width = 30
    let filled = total > 0 ? min(width, done * width / total) : width
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
    if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
}
