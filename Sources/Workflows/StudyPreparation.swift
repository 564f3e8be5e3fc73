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

    /// `GE`, `Siemens`, `Philips` or nil from a Manufacturer string.
    public static func vendorName(_ manufacturer: String?) -> String? {
        let m = (manufacturer ?? "").uppercased()
        if m.contains("GE ") || m.hasPrefix("GE") { return "GE" }
        if m.contains("SIEMENS") { return "Siemens" }
        if m.contains("PHILIPS") || m.contains("ADAC") { return "Philips" }
        return nil
    }

    /// The reconstruction grid for projections of `columns`×`rows` pixels of `pixel` mm: `columns`² × `rows`
    /// voxels of `pixel` mm, axis aligned (+x, +y, +z, slice 0 the most inferior). Its placement comes from the first
    /// Detector Information item: Image Position (Patient) gives x and y of the first voxel's centre and z of the first
    /// projection row (GE's convention, which Scinti's writer follows; PyTomography reads it the same way), and the
    /// column direction of Image Orientation (Patient) tells whether rows run head to feet. Without them the grid is
    /// centred on the isocentre (0, 0, 0) and that is said.
    public static func reconGrid(_ acq: NMAcquisition) -> (size: GridSize, geometry: ImageGeometry, note: String) {
        let n = acq.columns, nz = acq.rows
        let d = acq.pixelSpacing.first ?? 1
        let size = GridSize(x: n, y: n, z: nz)
        if let det = acq.detectors.first, let ipp = det.imagePosition {
            let down = (det.columnDirection?.z ?? -1) < 0
            let zBottom = down ? ipp.z - Double(nz - 1) * d : ipp.z
            return (size, .axisAligned(origin: Vector3(ipp.x, ipp.y, zBottom), spacing: Vector3(d, d, d)),
                    "grid placed by Detector Information Image Position (Patient) \(ipp): first voxel x, y and the z of projection row 0 (rows run \(down ? "head to feet" : "feet to head"))")
        }
        let half = Vector3(Double(n - 1) / 2 * d, Double(n - 1) / 2 * d, Double(nz - 1) / 2 * d)
        return (size, .axisAligned(origin: .zero - half, spacing: Vector3(d, d, d)),
                "no Image Position (Patient) in the Detector Information Sequence: grid centred on the isocentre (0, 0, 0)")
    }

    /// Gantry angles in Scinti's convention (docs/spect-geometry.md) for every frame of a projection set. The start
    /// view's angle is taken from the detector's Image Orientation (Patient): its row direction is the column axis
    /// t(θ) = (cos θ, sin θ, 0), which fixes θ whatever the vendor's zero of Start Angle (GE's 0° is our 180°).
    /// Later views follow the Rotation Direction (CW: θ increases). Without Image Orientation, Start Angle is used
    /// as it stands and a note says so.
    public static func gantryAngles(_ acq: NMAcquisition, frames: [FrameIndex]) throws(WorkflowError) -> (angles: [Double], note: String) {
        var offsets: [Int: Double] = [:]
        var notes: [String] = []
        for (k, det) in acq.detectors.enumerated() {
            let number = k + 1
            let start = det.startAngle ?? acq.rotations.first?.startAngle ?? 0
            if let t = det.rowDirection, abs(t.z) < 0.1, t.x * t.x + t.y * t.y > 0.5 {
                let theta = atan2(t.y, t.x) * 180 / .pi
                offsets[number] = theta - start
                notes.append(String(format: "detector %d: start %.2f° (Image Orientation) for Start Angle %.2f°", number, Rotation.normalize(theta), start))
            } else {
                offsets[number] = 0
                notes.append("detector \(number): no usable Image Orientation (Patient); Start Angle \(start)° used as the gantry angle (0° anterior, clockwise from the feet)")
            }
        }
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
