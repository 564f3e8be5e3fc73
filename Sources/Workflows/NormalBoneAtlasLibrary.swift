import Analysis
import Foundation
import Simulation

/// The normal-bone atlases of the bone scan (``NormalBoneAtlas``), projected from the ICRP-110 adult male and female
/// phantom files (``ICRPPhantom``, folder `$SCINTI_ICRP110` or `../shared/phantoms/icrp110`) once per process.
public enum NormalBoneAtlasLibrary {
    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var atlases: [String: [NormalBoneAtlas]] = [:]
    }
    private static let cache = Cache()

    /// Both atlases (adult male, adult female) from `folder`; the error names the missing file.
    public static func atlases(folder: String = ICRPPhantom.defaultFolder) throws(VirtualPatientError) -> [NormalBoneAtlas] {
        cache.lock.lock(); defer { cache.lock.unlock() }
        if let a = cache.atlases[folder] { return a }
        var out: [NormalBoneAtlas] = []
        for (kind, sex) in [(ICRPPhantomKind.adultMale, "M"), (ICRPPhantomKind.adultFemale, "F")] {
            let p = try ICRPPhantom.load(kind, folder: folder)
            out.append(NormalBoneAtlas.project(sex: sex, labels: p.labels, size: (p.size.x, p.size.y, p.size.z),
                                               spacingMM: (p.spacingMM.x, p.spacingMM.y, p.spacingMM.z),
                                               density: p.media.map { $0?.densityGPerCm3 ?? 0 }))
        }
        cache.atlases[folder] = out
        return out
    }

    /// The atlases, or none with the reason (the bone scan then runs without its atlas pass and says so).
    public static func atlasesIfAvailable(folder: String = ICRPPhantom.defaultFolder) -> (atlases: [NormalBoneAtlas], note: String?) {
        do { return (try atlases(folder: folder), nil) } catch { return ([], "normal-bone atlas not loaded: \(error)") }
    }
}
