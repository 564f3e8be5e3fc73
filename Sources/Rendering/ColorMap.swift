/// Colour maps for nuclear-medicine and CT display.
public enum ColorMap: String, Sendable, CaseIterable, Codable {
    /// Black to white.
    case gray
    /// White to black (the usual planar NM display: hot = dark).
    case inverseGray
    /// Black–red–yellow–white ("hot metal"), the usual SPECT/PET overlay.
    case hot
    /// Blue–cyan–green–yellow–red.
    case rainbow

    /// RGB for a value in [0, 1] (clamped).
    public func rgb(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let x = t.isNaN ? 0 : min(max(t, 0), 1)
        func b(_ v: Float) -> UInt8 { UInt8(min(max(v * 255 + 0.5, 0), 255)) }
        switch self {
        case .gray: return (b(x), b(x), b(x))
        case .inverseGray: return (b(1 - x), b(1 - x), b(1 - x))
        case .hot: return (b(x * 3), b(x * 3 - 1), b(x * 3 - 2))
        case .rainbow:
            let r = min(max(1.5 - abs(4 * x - 3), 0), 1), g = min(max(1.5 - abs(4 * x - 2), 0), 1), bl = min(max(1.5 - abs(4 * x - 1), 0), 1)
            return (b(r), b(g), b(bl))
        }
    }

    /// A 256-entry lookup table.
    public var table: [(UInt8, UInt8, UInt8)] { (0..<256).map { rgb(Float($0) / 255) } }
}
