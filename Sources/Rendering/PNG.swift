import CPNG
import Foundation

/// An 8-bit image ready to encode: grey (1 channel), RGB (3) or RGBA (4), rows top to bottom.
public struct Raster: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Channels per pixel: 1, 3 or 4.
    public var channels: Int
    /// Interleaved samples, `width*height*channels`.
    public var pixels: [UInt8]
    /// Creates a raster.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels)
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }
}

/// Errors of the rendering module.
public struct RenderingError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var message: String
    public var description: String { message }
}

/// PNG encoding through libpng's simplified API (errors reported by return value, no setjmp across Swift).
public enum PNG {
    /// Encodes a raster as PNG bytes.
    public static func encode(_ r: Raster) throws(RenderingError) -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(r.width)
        image.height = UInt32(r.height)
        switch r.channels {
        case 1: image.format = 0 // PNG_FORMAT_GRAY
        case 3: image.format = 2 // PNG_FORMAT_RGB (FLAG_COLOR)
        case 4: image.format = 3 // PNG_FORMAT_RGBA (FLAG_COLOR | FLAG_ALPHA): a macro Swift does not import
        default: throw RenderingError(message: "PNG: \(r.channels) channels not supported")
        }
        var size: Int = 0
        let stride = Int32(r.width * r.channels)
        let ok1 = r.pixels.withUnsafeBytes { px in png_image_write_to_memory(&image, nil, &size, 0, px.baseAddress, stride, nil) }
        guard ok1 != 0, size > 0 else { throw RenderingError(message: "PNG: size query failed") }
        var out = [UInt8](repeating: 0, count: size)
        let ok2 = out.withUnsafeMutableBytes { o in
            r.pixels.withUnsafeBytes { px in png_image_write_to_memory(&image, o.baseAddress, &size, 0, px.baseAddress, stride, nil) }
        }
        png_image_free(&image)
        guard ok2 != 0 else { throw RenderingError(message: "PNG: encoding failed") }
        return Array(out.prefix(size))
    }

    /// Decodes PNG bytes (used by tests and to read figures back).
    public static func decode(_ bytes: [UInt8]) throws(RenderingError) -> Raster {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let ok = bytes.withUnsafeBytes { b in png_image_begin_read_from_memory(&image, b.baseAddress, b.count) }
        guard ok != 0 else { throw RenderingError(message: "PNG: not a PNG") }
        image.format = 3 // PNG_FORMAT_RGBA (FLAG_COLOR | FLAG_ALPHA): a macro Swift does not import
        let w = Int(image.width), h = Int(image.height)
        guard w > 0, h > 0, w * h <= 1 << 26 else { png_image_free(&image); throw RenderingError(message: "PNG: bad size") }
        var px = [UInt8](repeating: 0, count: w * h * 4)
        let ok2 = px.withUnsafeMutableBytes { p in png_image_finish_read(&image, nil, p.baseAddress, Int32(w * 4), nil) }
        png_image_free(&image)
        guard ok2 != 0 else { throw RenderingError(message: "PNG: decode failed") }
        return Raster(width: w, height: h, channels: 4, pixels: px)
    }
}
