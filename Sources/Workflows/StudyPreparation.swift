import Foundation
import Imaging
import Physics

/// A problem that stops a job, with the reason a user can act on.
public struct WorkflowError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The energy windows used for one reconstruction: the photopeak and, for scatter correction, its neighbours.
public struct WindowChoice: Sendable, Equatable {
    /// The photopeak window.
    public var peak: EnergyWindow
    /// The adjacent lower scatter window (its upper limit meets the peak's lower limit), if any.
    public var lower: EnergyWindow?
    /// The adjacent upper scatter window, if any.
    public var upper: EnergyWindow?
    /// How the choice was made (shown to the user).
    public var reason: String
}

/// Decisions taken from what a study says (and stated when it does not say).
public enum StudyPreparation {
    static let elements: [String: String] = [
        "TECHNETIUM": "Tc", "IODINE": "I", "INDIUM": "In", "LUTETIUM": "Lu", "GALLIUM": "Ga", "FLUORINE": "F",
        "YTTRIUM": "Y", "RADIUM": "Ra", "SAMARIUM": "Sm", "THALLIUM": "Tl",
    ]

    /// The radionuclide named in a Radionuclide Code Sequence meaning (`^99m^Technetium`, `Tc-99m`, `Lutetium-177`,
    /// `177Lu`…), or nil.
    public static func radionuclide(named text: String?, dataSet: DecayDataSet = .ensdf) -> Radionuclide? {
        guard let text, !text.isEmpty else { return nil }
        if let direct = Radionuclide.named(text, dataSet: dataSet) { return direct }
        let up = text.uppercased()
        let digits = up.filter(\.isNumber)
        let metastable = up.contains(digits + "M") || up.contains("^" + digits + "M")
        for (name, symbol) in elements where up.contains(name) {
            return Radionuclide.named("\(symbol)-\(digits)\(metastable ? "m" : "")", dataSet: dataSet)
        }
        return nil
    }

    /// Chooses the photopeak window: the one asked for (1-based DICOM number), else the window containing the study
    /// radionuclide's photopeak. Adjacent windows within 2 % of the peak energy of its limits serve for TEW/DEW.
    public static func chooseWindows(_ acq: NMAcquisition, requested: Int?, radionuclide: Radionuclide?) throws(WorkflowError) -> WindowChoice {
        let windows = acq.energyWindows
        guard !windows.isEmpty else { throw WorkflowError("the study has no Energy Window Information Sequence") }
        let listing = windows.map { w in "\(w.number) \(w.name ?? "") \(w.lowerKeV.map { String(format: "%.1f", $0) } ?? "?")–\(w.upperKeV.map { String(format: "%.1f", $0) } ?? "?") keV" }.joined(separator: "; ")
        var peak: EnergyWindow
        var reason: String
        if let n = requested {
            guard let w = windows.first(where: { $0.number == n }) else {
                throw WorkflowError("energy window \(n) does not exist; the study has: \(listing)")
            }
            peak = w; reason = "window \(n) as requested"
        } else if let nuclide = radionuclide, let e = nuclide.photopeakKeV,
                  let w = windows.first(where: { ($0.lowerKeV ?? .infinity) <= e && e <= ($0.upperKeV ?? -.infinity) }) {
            peak = w; reason = "window \(w.number) contains the \(nuclide.name) photopeak \(e) keV"
        } else {
            throw WorkflowError("the radionuclide is \(radionuclide == nil ? "not recorded in the study" : "known but no window contains its photopeak"); choose the photopeak window with --window N (\(listing))")
        }
        let e = ((peak.lowerKeV ?? 0) + (peak.upperKeV ?? 0)) / 2
        let tol = 0.02 * e
        let lower = windows.first { w in w.number != peak.number && abs((w.upperKeV ?? -1e9) - (peak.lowerKeV ?? 0)) <= tol }
        let upper = windows.first { w in w.number != peak.number && abs((w.lowerKeV ?? -1e9) - (peak.upperKeV ?? 0)) <= tol }
        return WindowChoice(peak: peak, lower: lower, upper: upper, reason: reason)
    }

    /// The collimator named in the study, resolved against the Physics catalogue (vendor from the manufacturer).
    public static func collimator(_ acq: NMAcquisition) -> (Collimator?, String) {
        let name = acq.detectors.first?.collimatorName?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !name.isEmpty else { return (nil, "the study does not name its collimator") }
        let vendor = vendorName(acq.manufacturer)
        let code = name.uppercased().replacingOccurrences(of: " ", with: "")
        for candidate in [code, String(code.prefix(4))] {
            if let c = Collimator.named(candidate, vendor: vendor) ?? Collimator.named(candidate) {
                return (c, "collimator \(name) → \(c.name) (\(c.source))")
            }
        }
        return (nil, "collimator \(name) is not in the catalogue")
    }

    /// Refuses acquisitions whose collimator the parallel-hole projector cannot model: Collimator Type other than
    /// PARA (ASTG — Siemens IQ-SPECT/SMARTZOOM cardiofocal —, FANB, CONE, PINH, DIVG, SLNT), or a Siemens
    /// SMARTZOOM/IQ-SPECT named in the collimator or series description.
    public static func checkCollimatorGeometry(_ acq: NMAcquisition, seriesDescription: String?) throws(WorkflowError) {
        let names: [String: String] = ["ASTG": "astigmatic (cardiofocal, e.g. Siemens IQ-SPECT SMARTZOOM)", "FANB": "fan-beam",
                                       "CONE": "cone-beam", "PINH": "pinhole", "DIVG": "diverging", "SLNT": "slant-hole"]
        for d in acq.detectors {
            let type = (d.collimatorType ?? "").trimmingCharacters(in: .whitespaces).uppercased()
            if let what = names[type] {
                let focal = d.focalDistance.isEmpty ? "" : ", focal distance \(d.focalDistance.map { String(format: "%.0f", $0) }.joined(separator: "/")) mm"
                throw WorkflowError("detector \(d.number): Collimator Type \(type) — \(what) collimator\(focal) — is not modelled (Scinti's projector is parallel-hole); reconstruct this study on the vendor's workstation")
            }
            let name = (d.collimatorName ?? "").uppercased()
            if name.contains("SMARTZOOM") || name.contains("IQ-SPECT") || name.contains("IQSPECT") {
                throw WorkflowError("detector \(d.number): collimator \(d.collimatorName ?? "") is a cardiofocal (IQ-SPECT/SMARTZOOM) collimator, not modelled by Scinti's parallel-hole projector")
            }
        }
        let desc = (seriesDescription ?? "").uppercased()
        if vendorName(acq.manufacturer) == "Siemens", desc.contains("IQ-SPECT") || desc.contains("IQSPECT") || desc.contains("SMARTZOOM") {
            throw WorkflowError("series description '\(seriesDescription ?? "")' names Siemens IQ-SPECT (cardiofocal SMARTZOOM collimators), not modelled by Scinti's parallel-hole projector")
        }
    }

    /// The manufacturer family (`GE`, `Siemens`, `Philips`, `Mediso`, `Spectrum Dynamics`, `Scinti`) or nil, as
    /// ``NMVendorGeometry`` recognises it.
    public static func vendorName(_ manufacturer: String?) -> String? {
        NMVendorGeometry.identify(manufacturer: manufacturer, model: nil).vendor
    }

    /// The geometry rule for a study's manufacturer and model (docs/vendor-geometry.md), with a warning when the
    /// manufacturer is not known.
    public static func vendorGeometry(_ acq: NMAcquisition) -> NMVendorGeometry {
        NMVendorGeometry.identify(manufacturer: acq.manufacturer, model: acq.manufacturerModelName,
                                  imagePosition: acq.detectors.first?.imagePosition)
    }

    /// The reconstruction grid for projections of `columns`×`rows` pixels of `pixel` mm: `columns`² × `rows`
    /// voxels of `pixel` mm, axis aligned (+x, +y, +z, slice 0 the most inferior), centred on the rotation axis.
    /// Where the rotation axis and projection row 0 lie in patient coordinates is decided per manufacturer
    /// (``NMVendorGeometry``, docs/vendor-geometry.md). Without a Detector Information Image Position the grid is
    /// centred on the isocentre (0, 0, 0) and that is said.
    public static func reconGrid(_ acq: NMAcquisition) -> (size: GridSize, geometry: ImageGeometry, note: String) {
        let n = acq.columns, nz = acq.rows
        let d = acq.pixelSpacing.first ?? 1
        let size = GridSize(x: n, y: n, z: nz)
        let vendor = vendorGeometry(acq)
        if let p = vendor.placement(acq) {
            let half = Double(n - 1) / 2 * d
            let zBottom = p.rowsHeadToFeet ? p.zRow0 - Double(nz - 1) * d : p.zRow0
            return (size, .axisAligned(origin: Vector3(p.axis.x - half, p.axis.y - half, zBottom), spacing: Vector3(d, d, d)),
                    "\(vendor.description); \(p.note); z of projection row 0 = \(p.zRow0) mm (rows run \(p.rowsHeadToFeet ? "head to feet" : "feet to head"))")
        }
        let half = Vector3(Double(n - 1) / 2 * d, Double(n - 1) / 2 * d, Double(nz - 1) / 2 * d)
        return (size, .axisAligned(origin: .zero - half, spacing: Vector3(d, d, d)),
                "no Image Position (Patient) in the Detector Information Sequence: grid centred on the isocentre (0, 0, 0)")
    }

    /// Gantry angles in Scinti's convention (docs/spect-geometry.md) for every frame of a projection set. The start
    /// view's angle of each detector is decided by the manufacturer's rule (``NMVendorGeometry``): from the row
    /// direction of Image Orientation (Patient), t(θ) = (cos θ, sin θ, 0), for GE and the PS3.3 reading; Start Angle
    /// + 180° for Siemens. Later views follow the Rotation Direction (CW: θ increases).
    public static func gantryAngles(_ acq: NMAcquisition, frames: [FrameIndex]) throws(WorkflowError) -> (angles: [Double], note: String) {
        let (offsets, notes) = vendorGeometry(acq).angleOffsets(acq)
        var angles: [Double] = []
        for f in frames {
            guard let a = f.gantryAngle else { throw WorkflowError("frame \(f.frame) has no gantry angle (Rotation/Detector Information incomplete)") }
            angles.append(Rotation.normalize(a + (offsets[f.detector ?? 1] ?? 0)))
        }
        return (angles, notes.joined(separator: "; "))
    }

    /// The CT (HU) resampled onto a grid through patient coordinates (−1000 HU outside the CT).
    public static func ctOnGrid(_ ct: Volume, size: GridSize, geometry: ImageGeometry) throws(WorkflowError) -> Volume {
        do { return try ct.resampled(to: size, geometry: geometry, outside: -1000) } catch {
            throw WorkflowError("cannot resample the CT onto the SPECT grid: \(error)")
        }
    }

    /// Linear attenuation (1/mm) from CT numbers already on the reconstruction grid: the bilinear HU → μ model at the
    /// photopeak energy and the CT's kVp.
    public static func muMap(huOnGrid hu: Volume, kVp: Double, energyKeV: Double) -> Volume {
        let model = HUToMu(energyKeV: energyKeV, kVp: kVp)
        var out = hu
        out.voxels = hu.voxels.map { Float(model.mu(hu: Double($0)) / 10) }   // 1/cm → 1/mm
        out.units = "1/mm"
        return out
    }
}
