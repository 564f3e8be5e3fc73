import Analysis
import ArgumentParser
import Foundation
import Physics
import Workflows

/// `scinti analyze lvef`: LVEF from a gated blood-pool study.
struct AnalyzeLVEF: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lvef",
        abstract: "LVEF from an ECG-gated planar blood-pool study (LAO): LV ROI, background, ED/ES, peak rates.")
    @Argument(help: "The GATED NM DICOM file.") var file: String
    @Flag(name: .customLong("fixed-roi"), help: "Use the end-diastolic LV region on every frame (default: a region per frame).") var fixedROI = false
    @Option(name: .customLong("edge"), help: "LV edge: second-derivative (where the Laplacian changes sign, default) or threshold (see --edge-fraction).") var edge: String = GatedBloodPoolLVEF.EdgeMethod.secondDerivative.rawValue
    @Option(name: .customLong("search-margin"), help: "Margin (pixels) around the LV's beating region in which its edge is searched.") var searchMargin: Int = GatedBloodPoolLVEF.Options().searchMarginPixels
    @Option(name: .customLong("edge-grow"), help: "With --edge second-derivative: pixels added around the region (the sign change lies inside the chamber's edge).") var edgeGrow: Int = GatedBloodPoolLVEF.Options().edgeGrowPixels
    @Option(name: .customLong("background-hot"), help: "Leave out background pixels hotter than this × the region's lower quartile (spleen).") var backgroundHot: Double = GatedBloodPoolLVEF.Options().backgroundHotFactor
    @Option(name: .customLong("edge-fraction"), help: "With --edge threshold: background + this fraction of (maximum − background).") var edgeFraction: Double = GatedBloodPoolLVEF.Options().edgeFraction
    @Option(name: .customLong("background-gap"), help: "Gap (pixels) between the end-diastolic LV region and the background region.") var backgroundGap: Int = GatedBloodPoolLVEF.Options().backgroundGapPixels
    @Option(name: .customLong("background-width"), help: "Width (pixels) of the background region.") var backgroundWidth: Int = GatedBloodPoolLVEF.Options().backgroundWidthPixels
    @Option(name: .customLong("background"), help: "Background region: coldest-sector (the coldest sector of a ring around the ED LV region, default) or inferolateral (the 3–6 o'clock crescent).") var background: String = GatedBloodPoolLVEF.Options().backgroundRule.rawValue
    @Option(name: .customLong("background-sector"), help: "With --background coldest-sector: sector width in degrees (45 = eight sectors).") var backgroundSector: Double = GatedBloodPoolLVEF.Options().backgroundSectorDeg
    @Flag(name: .customLong("background-all-frames"), help: "Background per pixel as the mean over all frames (default: the end-systolic frame).") var backgroundAllFrames = false
    @Flag(help: "Print the result as JSON.") var json = false
    @Option(help: "Write a figure (summed image with the ED/ES LV regions and background, and the curve).") var png: String?

    func run() throws {
        do {
            let input = try PlanarInputs.gatedFrames(path: file)
            for w in input.warnings { warn(w) }
            let edges = GatedBloodPoolLVEF.EdgeMethod.allCases.map(\.rawValue)
            guard let edgeMethod = GatedBloodPoolLVEF.EdgeMethod(rawValue: edge) else { throw fail("--edge \(edge): allowed \(edges.joined(separator: ", "))") }
            let rules = GatedBloodPoolLVEF.BackgroundRule.allCases.map(\.rawValue)
            guard let backgroundRule = GatedBloodPoolLVEF.BackgroundRule(rawValue: background) else { throw fail("--background \(background): allowed \(rules.joined(separator: ", "))") }
            guard (10...180).contains(backgroundSector) else { throw fail("--background-sector \(backgroundSector): allowed 10–180 degrees") }
            guard (0...10).contains(searchMargin), (0...5).contains(edgeGrow), backgroundHot > 1, (0..<1).contains(edgeFraction) else {
                throw fail("--search-margin \(searchMargin) (allowed 0–10), --edge-grow \(edgeGrow) (allowed 0–5), --background-hot \(backgroundHot) (allowed > 1), --edge-fraction \(edgeFraction) (allowed 0 ≤ f < 1)")
            }
            var options = GatedBloodPoolLVEF.Options(roiMethod: fixedROI ? .fixed : .variable, edgeFraction: edgeFraction, backgroundGapPixels: backgroundGap,
                                                     backgroundWidthPixels: backgroundWidth, backgroundFromEndSystole: !backgroundAllFrames, edgeMethod: edgeMethod)
            options.searchMarginPixels = searchMargin; options.edgeGrowPixels = edgeGrow; options.backgroundHotFactor = backgroundHot
            options.backgroundRule = backgroundRule; options.backgroundSectorDeg = backgroundSector
            let a = try GatedBloodPoolLVEF(options: options)
                .analyze(frames: input.frames, frameDurationMs: input.frameDurationMs)
            for w in a.result.warnings { warn(w) }
            if let png { try AnalysisFigures.lvef(a, frames: input.frames, to: png) }
            if json { emit(try analysisJSON(a.result)); return }
            let r = a.result
            var t = r.lvef.map { String(format: "LVEF %.1f %% (%@ ROI)\n", $0, r.roiMethod) }
                ?? "\(r.quality.first ?? "LVEF not given")\n"
            t += "  ED frame \(r.edFrame), ES frame \(r.esFrame) (0-based) of \(r.curve.count); \(input.view ?? "view not written")\n"
            t += String(format: "  background %.2f counts/pixel/frame over %d pixels", r.backgroundCountsPerPixel, r.backgroundPixels)
                + (r.backgroundSector.map { " (\(r.backgroundRule ?? "") \($0))" } ?? "") + "\n"
            if let sens = r.backgroundSensitivity, let range = r.lvefBackgroundRange, let ratio = r.backgroundRatioRange, range.count == 2, ratio.count == 2 {
                t += String(format: "  background sensitivity %+.1f LVEF points per +10 %%; LVEF %.0f–%.0f %% with the background under the LV %.2f–%.2f × the background region\n",
                            sens, range.min()!, range.max()!, ratio[0], ratio[1])
            }
            if let p = r.peakEjectionRateEDVPerS, let f = r.peakFillingRateEDVPerS {
                t += String(format: "  peak ejection rate %.2f EDV/s, peak filling rate %.2f EDV/s", p, f)
                if let tt = r.timeToPeakFillingMs { t += String(format: ", time to peak filling %.0f ms", tt) }
                t += "\n"
            }
            t += "  curve (background-corrected counts): " + r.curve.map { String(format: "%.0f", $0) }.joined(separator: " ") + "\n"
            t += "  method: \(r.method)\n"
            if !input.notes.isEmpty { t += "  input: " + input.notes.joined(separator: "; ") + "\n" }
            if let png { t += "figure → \(png)\n" }
            emit(t)
        } catch let e as PlanarAnalysisError { throw failure(e, file) }
        catch { throw failure(error) }
    }
}
