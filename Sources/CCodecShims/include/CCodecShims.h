// C shims for PixelCodecs: libjpeg(-turbo) with a longjmp error manager, OpenJPEG in-memory decoding,
// and CharLS decode/encode. Every function reports failure through its return value and a message buffer;
// nothing here calls exit() or longjmps across a Swift frame.
#ifndef SCINTI_CCODECSHIMS_H
#define SCINTI_CCODECSHIMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCINTI_MSG_CAP 256

/// Result of an 8-bit libjpeg decode. `pixels` is malloc'ed (free with scinti_free).
typedef struct scinti_jpeg8_result {
    int width;
    int height;
    int components;
    int jpeg_color_space;   // libjpeg J_COLOR_SPACE as read from the stream
    int out_color_space;    // libjpeg J_COLOR_SPACE of the output
    uint8_t *pixels;
    size_t size;
    char message[SCINTI_MSG_CAP];
} scinti_jpeg8_result;

/// Decodes an 8-bit JPEG (SOF0/1/2) with libjpeg. Returns 0 on success, nonzero on error (message set).
/// Refuses output larger than max_bytes. When convert_color is 0, YCbCr is output unconverted.
int scinti_jpeg8_decode(const uint8_t *data, size_t size, size_t max_bytes, int convert_color,
                        scinti_jpeg8_result *result);

/// Encodes 8-bit interleaved pixels (1 = grey, 3 = RGB stored as YCbCr 4:2:0) as baseline JPEG with libjpeg.
/// restart_interval is in MCUs (0 = none). *out is malloc'ed (free with scinti_free). Returns 0 on success.
int scinti_jpeg8_encode(const uint8_t *pixels, int width, int height, int components, int quality,
                        int restart_interval, uint8_t **out, size_t *out_size, char *message);

/// One decoded JPEG 2000 image. Component data pointers stay valid until scinti_j2k_free(handle).
typedef struct scinti_j2k_result {
    void *handle;
    int numcomps;
    int width[4];
    int height[4];
    int prec[4];
    int sgnd[4];
    int dx[4];
    int dy[4];
    const int32_t *data[4];
    char message[SCINTI_MSG_CAP];
} scinti_j2k_result;

/// Decodes a J2K codestream (format 0) or JP2 file (format 2) from memory with OpenJPEG.
/// Refuses images whose width*height*numcomps*4 exceeds max_bytes before decoding tiles.
int scinti_j2k_decode(const uint8_t *data, size_t size, int format, size_t max_bytes, scinti_j2k_result *result);
void scinti_j2k_free(void *handle);

/// JPEG-LS frame description (CharLS).
typedef struct scinti_jls_info {
    int width;
    int height;
    int bits_per_sample;
    int components;
    int near_lossless;
    int interleave_mode;    // 0 none (planar output), 1 line, 2 sample
    size_t destination_size;
    char message[SCINTI_MSG_CAP];
} scinti_jls_info;

/// Reads a JPEG-LS header. Returns 0 on success.
int scinti_jls_read_header(const uint8_t *data, size_t size, scinti_jls_info *info);
/// Decodes into dest (size info->destination_size). Output layout follows the interleave mode
/// (planar for mode 0, interleaved otherwise); samples > 8 bits are 16-bit native endian.
int scinti_jls_decode(const uint8_t *data, size_t size, uint8_t *dest, size_t dest_size, scinti_jls_info *info);
/// Encodes interleaved pixels (16-bit native endian when bits > 8) with CharLS. *out is malloc'ed.
int scinti_jls_encode(const uint8_t *pixels, size_t pixels_size, int width, int height, int bits, int components,
                      int near_lossless, uint8_t **out, size_t *out_size, char *message);

void scinti_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
