import Foundation

/// How one manufacturer's NM TOMO projections sit in patient coordinates: where the rotation axis is, the z of
/// projection row 0, and the gantry angle (Scinti's convention, docs/spect-geometry.md) of each detector's first view.
///
/// The rules, their evidence and the other software that reads files the same way are in `docs/vendor-geometry.md`.
/// Reconstructed slices (NM RECON TOMO) need no rule: every vendor seen writes their Image Position and Orientation
/// in the ordinary way.
public enum NMGeometryRule: String, Sendable, Hashable, Codable, CaseIterable {
    /// GE (and Scinti's simulator by default): the Detector Information Image Position (Patient) holds x and y of the
    /// centre of the first voxel of a columns² reconstruction grid of one projection pixel centred on the rotation
    /// axis, and the z of projection row 0; the first view's angle follows from the row direction of the detector's
    /// Image Orientation (Patient), t(θ) = (cos θ, sin θ, 0).
    case gridCorner = "grid-corner"
    /// Siemens Symbia/Intevo: Image Position (Patient) is (0, 0, z): x and y are not a position. The rotation axis lies
    /// at x = 0, y = −Table Height in the CT's frame, z is that of projection row 0; the first view's angle is the
    /// detector's Start Angle + 180° (as for GE's Start Angle), views following the Rotation Direction.
    case rotationAxisTableHeight = "rotation-axis-table-height"
    /// PS3.3 C.8.4.11 read literally (Philips, Mediso, and any manufacturer without a rule of its own): Image Position
    /// (Patient) is the centre of the first pixel of the detector's first projection, in the plane through the
    /// rotation axis; the row direction of Image Orientation (Patient) is the column axis t(θ) of that view.
    case detectorPlane = "detector-plane"
}

/// The geometry rule chosen for a file, why, and how sure.
public struct NMVendorGeometry: Sendable, Hashable, Codable {
    /// The rule applied.
    public var rule: NMGeometryRule
    /// The manufacturer family the rule was chosen for (`GE`, `Siemens`, `Philips`, `Mediso`, `Spectrum Dynamics`,
    /// `Scinti`), or nil when the manufacturer is not known.
    public var vendor: String?
    /// Whether the manufacturer was recognised (false: the PS3.3 reading was assumed, with a warning).
    public var known: Bool
    /// One line for the user: manufacturer, model and rule.
    public var description: String

    /// The rule for a Manufacturer / Manufacturer's Model Name pair, and, for Siemens, the Detector Information Image
    /// Position (a Siemens file whose x or y is not 0 is read with the PS3.3 rule, and said so).
    public static func identify(manufacturer: String?, model: String?, imagePosition: Vector3? = nil) -> NMVendorGeometry {
        let m = (manufacturer ?? "").uppercased()
        let label = [manufacturer, model].compactMap { $0?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        func make(_ rule: NMGeometryRule, _ vendor: String?, _ known: Bool, _ why: String) -> NMVendorGeometry {
            NMVendorGeometry(rule: rule, vendor: vendor, known: known,
                             description: "\(label.isEmpty ? "manufacturer not recorded" : label): \(rule.rawValue) rule (\(why))")
        }
        if m.hasPrefix("GE") || m.contains("GE MEDICAL") || m.contains("GE HEALTHCARE") {
            return make(.gridCorner, "GE", true, "GE Discovery/Infinia/Optima write the reconstruction grid's first voxel")
        }
        if m.contains("SCINTI") {
            return make(.gridCorner, "Scinti", true, "Scinti's simulator writes the GE convention unless told otherwise")
        }
        if m.contains("SIEMENS") {
            if let p = imagePosition, abs(p.x) > 0.01 || abs(p.y) > 0.01 {
                return make(.detectorPlane, "Siemens", true, "Siemens file whose Image Position x, y are not 0: read as PS3.3 says")
            }
            return make(.rotationAxisTableHeight, "Siemens", true, "Symbia/Intevo: Image Position (0, 0, z), axis at y = −Table Height")
        }
        if m.contains("PHILIPS") || m.contains("ADAC") {
            return make(.detectorPlane, "Philips", true, "Philips BrightView/Precedence/Forte/Skylight: PS3.3 reading")
        }
        if m.contains("MEDISO") {
            return make(.detectorPlane, "Mediso", true, "Mediso AnyScan/InterView: PS3.3 reading")
        }
        if m.contains("SPECTRUM DYNAMICS") {
            return make(.detectorPlane, "Spectrum Dynamics", true, "Spectrum Dynamics: PS3.3 reading")
        }
        return make(.detectorPlane, nil, false, "manufacturer not known: PS3.3 reading assumed")
    }
}

/// Where a TOMO acquisition's rotation axis and field of view sit in patient coordinates, decoded with a rule.
public struct NMTomoPlacement: Sendable, Hashable {
    /// x, y (mm, LPS) of the rotation axis; z is ``zRow0``.
    public var axis: Vector3
    /// z (mm) of the centre of projection row 0.
    public var zRow0: Double
    /// True when rows run head to feet (row 0 most superior), as every vendor seen writes.
    public var rowsHeadToFeet: Bool
    /// What was decided, for the user.
    public var note: String
}

extension NMVendorGeometry {
    /// Gantry angle (Scinti's convention) minus the angle from Start Angle and Rotation, per detector number, with a
    /// note per detector. Needs no Image Position: the rule's angle source is Image Orientation (GE, PS3.3 reading)
    /// or Start Angle + 180° (Siemens).
    public func angleOffsets(_ acq: NMAcquisition) -> (offsets: [Int: Double], notes: [String]) {
        var offsets: [Int: Double] = [:]
        var notes: [String] = []
        for (k, dt) in acq.detectors.enumerated() {
            let number = k + 1
            let start = dt.startAngle ?? acq.rotations.first?.startAngle ?? 0
            switch rule {
            case .rotationAxisTableHeight:
                offsets[number] = 180
                notes.append(String(format: "detector %d: start %.2f° = Start Angle %.2f° + 180°", number, Rotation.normalize(start + 180), start))
            case .gridCorner, .detectorPlane:
                if let t = dt.rowDirection, abs(t.z) < 0.1, t.x * t.x + t.y * t.y > 0.5 {
                    let theta = atan2(t.y, t.x) * 180 / .pi
                    offsets[number] = theta - start
                    notes.append(String(format: "detector %d: start %.2f° (Image Orientation) for Start Angle %.2f°", number, Rotation.normalize(theta), start))
                } else {
                    offsets[number] = 0
                    notes.append("detector \(number): no usable Image Orientation (Patient); Start Angle \(start)° used as the gantry angle (0° anterior, clockwise from the feet)")
                }
            }
        }
        return (offsets, notes)
    }

    /// Decodes where `acq`'s projections sit: the rotation axis and row 0's z. Returns nil when the file has no
    /// Detector Information Image Position (Patient).
    public func placement(_ acq: NMAcquisition) -> NMTomoPlacement? {
        guard let det = acq.detectors.first, let ipp = det.imagePosition else { return nil }
        let d = acq.pixelSpacing.first ?? 1
        let down = (det.columnDirection?.z ?? -1) < 0
        let half = Double(acq.columns - 1) / 2 * d
        let axis: Vector3, note: String
        switch rule {
        case .gridCorner:
            axis = Vector3(ipp.x + half, ipp.y + half, 0)
            note = "rotation axis at x, y = Image Position + (columns − 1)/2 · pixel = (\(fmt(axis.x)), \(fmt(axis.y))) mm"
        case .rotationAxisTableHeight:
            let h = acq.rotations.first?.tableHeight ?? 0
            axis = Vector3(0, -h, 0)
            note = "rotation axis at x = 0, y = −Table Height = \(fmt(-h)) mm\(acq.rotations.first?.tableHeight == nil ? " (no Table Height: 0 assumed)" : "")"
        case .detectorPlane:
            let t = det.rowDirection.map { Vector3($0.x, $0.y, 0) } ?? Vector3(1, 0, 0)
            axis = Vector3(ipp.x + half * t.x, ipp.y + half * t.y, 0)
            note = "rotation axis at the centre of the first view's detector row: (\(fmt(axis.x)), \(fmt(axis.y))) mm"
        }
        return NMTomoPlacement(axis: axis, zRow0: ipp.z, rowsHeadToFeet: down, note: note)
    }

    /// The Detector Information attributes a camera following this rule writes for a TOMO acquisition whose rotation
    /// axis is at `axis` (x, y), whose projection row 0 is at `zRow0`, with `columns` pixels of `pixelMM` and the
    /// detector's first view at gantry angle `thetaDeg` (Scinti's convention). Returns Image Position, row direction
    /// and the vendor's Start Angle. Used by the simulator to write studies as each vendor would.
    public func encode(axis: Vector3, zRow0: Double, columns: Int, pixelMM: Double, thetaDeg: Double) -> (imagePosition: Vector3, rowDirection: Vector3, startAngle: Double) {
        let r = thetaDeg * .pi / 180
        let t = Vector3(cos(r), sin(r), 0)
        let half = Double(columns - 1) / 2 * pixelMM
        switch rule {
        case .gridCorner:
            return (Vector3(axis.x - half, axis.y - half, zRow0), t, Rotation.normalize(thetaDeg - 180))
        case .rotationAxisTableHeight:
            // Siemens: row direction (−cos S, sin S, 0) for Start Angle S (the real Intevo header).
            let s = Rotation.normalize(thetaDeg - 180)
            let sr = s * .pi / 180
            return (Vector3(0, 0, zRow0), Vector3(-cos(sr), sin(sr), 0), s)
        case .detectorPlane:
            return (Vector3(axis.x - half * t.x, axis.y - half * t.y, zRow0), t, Rotation.normalize(thetaDeg - 180))
        }
    }

    private func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}
