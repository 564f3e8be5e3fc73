// Decay data tables: filled by the Physics work (each value with its source in a comment).
extension RadionuclideTable {
    static let ensdf: [Radionuclide] = []
    static let icrp107: [Radionuclide] = []
}
