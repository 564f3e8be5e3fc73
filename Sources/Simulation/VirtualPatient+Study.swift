import Foundation
import Imaging
import Physics

extension PatientTruth {
    /// A copy with every lesion's and physiology site's pixel (0-based column, row) in every planar view of `acquisition` (static and
    /// whole-body images: one detector per view, named by its view), from each detector's Image Position
    /// (centre of pixel (0, 0)) and orientation.
    public func withPixels(_ acquisition: NMAcquisition) -> PatientTruth {
        guard acquisition.imageType != .tomo else { return self }
        var t = self
        for k in t.lesions.indices { t.lesions[k].pixel = Self.pixels(of: t.lesions[k].centerLPS, in: acquisition) }
        for k in t.physiology.indices { t.physiology[k].pixel = Self.pixels(of: t.physiology[k].centerLPS, in: acquisition) }
        return t
    }

    /// The pixel (0-based column, row) of an LPS point in every view of a planar acquisition.
    static func pixels(of c: [Double], in acquisition: NMAcquisition) -> [String: [Int]] {
        guard c.count == 3 else { return [:] }
        let dx = acquisition.pixelSpacing.count == 2 ? acquisition.pixelSpacing : [1, 1]
        let p = Vector3(c[0], c[1], c[2])
        var out: [String: [Int]] = [:]
        for d in acquisition.detectors {
            guard let ipp = d.imagePosition, let row = d.rowDirection, let col = d.columnDirection else { continue }
            let v = p - ipp
            out[d.view ?? "detector \(d.number)"] = [Int((v.dot(row) / dx[1]).rounded()), Int((v.dot(col) / dx[0]).rounded())]
        }
        return out
    }
}

extension VirtualPatient {
    /// z (LPS, mm) in the patient of the centroid of an organ group: where to centre a SPECT or planar field of view.
    public func centreZ(of groupName: String) throws(VirtualPatientError) -> Double {
        let vs = voxels(of: try OrganGroup.named(groupName))
        guard !vs.isEmpty else { throw VirtualPatientError("organ \(groupName) has no voxels in \(phantom.kind.rawValue)") }
        return variability.toPatient(Self.centroid(vs)).z
    }

    /// The organ a study of this tracer is centred on (field of view of SPECT and static planar images).
    public var focusOrgan: String {
        switch tracer.name {
        case "tc99m-rbc", "i123-mibg": return "heart-contents"
        case "tc99m-sestamibi", "tc99m-pertechnetate", "i123-iodide": return "thyroid"
        case "tc99m-nanocolloid": return "breast-left"
        case "tc99m-mdp": return "lumbar-spine"
        default: return "liver"
        }
    }
}
