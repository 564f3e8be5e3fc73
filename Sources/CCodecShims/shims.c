// C shims for PixelCodecs. See include/CCodecShims.h.
#include "CCodecShims.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <openjpeg.h>
#include <charls/charls.h>

void scinti_free(void *p) { free(p); }

static void copy_message(char *dst, const char *src) {
    if (!dst) return;
    snprintf(dst, SCINTI_MSG_CAP, "%s", src ? src : "");
    // strip trailing newline from library messages
    size_t n = strlen(dst);
    while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == '\r')) dst[--n] = 0;
}

// MARK: - libjpeg

typedef struct scinti_jpeg_error {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[SCINTI_MSG_CAP];
    int warnings;
} scinti_jpeg_error;

static void scinti_jpeg_error_exit(j_common_ptr cinfo) {
    scinti_jpeg_error *err = (scinti_jpeg_error *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    copy_message(err->message, buffer);
    longjmp(err->jump, 1);
}

static void scinti_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; /* silent */ }

static void scinti_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    scinti_jpeg_error *err = (scinti_jpeg_error *)cinfo->err;
    if (msg_level < 0) {
        // Corrupt-data warning. Keep the first one; abort on a flood (hostile input).
        if (err->warnings == 0) {
            char buffer[JMSG_LENGTH_MAX];
            (*cinfo->err->format_message)(cinfo, buffer);
            copy_message(err->message, buffer);
        }
        err->warnings++;
        if (err->warnings > 10000) {
            copy_message(err->message, "too many corrupt-data warnings");
            longjmp(err->jump, 1);
        }
    }
}

typedef struct scinti_jpeg_progress {
    struct jpeg_progress_mgr pub;
    scinti_jpeg_error *err;
} scinti_jpeg_progress;

static void scinti_jpeg_progress_monitor(j_common_ptr cinfo) {
    if (cinfo->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        // libjpeg-turbo's advice against hostile progressive streams: cap the number of scans.
        if (d->input_scan_number > 1000) {
            scinti_jpeg_progress *p = (scinti_jpeg_progress *)cinfo->progress;
            copy_message(p->err->message, "too many progressive scans (> 1000)");
            longjmp(p->err->jump, 1);
        }
    }
}

int scinti_jpeg8_decode(const uint8_t *data, size_t size, size_t max_bytes, int convert_color,
                        scinti_jpeg8_result *result) {
    memset(result, 0, sizeof(*result));
    if (!data || size < 4 || size > (size_t)0xFFFFFFFFu) {
        copy_message(result->message, "input too short or too long");
        return 1;
    }
    struct jpeg_decompress_struct cinfo;
    scinti_jpeg_error jerr;
    scinti_jpeg_progress progress;
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&jerr, 0, sizeof(jerr));
    memset(&progress, 0, sizeof(progress));
    uint8_t *volatile pixels = NULL;

    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = scinti_jpeg_error_exit;
    jerr.pub.output_message = scinti_jpeg_output_message;
    jerr.pub.emit_message = scinti_jpeg_emit_message;
    if (setjmp(jerr.jump)) {
        copy_message(result->message, jerr.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        result->pixels = NULL;
        return 2;
    }
    jpeg_create_decompress(&cinfo);
    progress.pub.progress_monitor = scinti_jpeg_progress_monitor;
    progress.err = &jerr;
    cinfo.progress = &progress.pub;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
        copy_message(result->message, "no image in JPEG stream");
        jpeg_destroy_decompress(&cinfo);
        return 3;
    }
    if (!convert_color) cinfo.out_color_space = cinfo.jpeg_color_space;
    jpeg_calc_output_dimensions(&cinfo);
    size_t w = cinfo.output_width, h = cinfo.output_height, c = (size_t)cinfo.output_components;
    if (w == 0 || h == 0 || c == 0 || c > 4 || w * h > max_bytes / c) {
        copy_message(result->message, "image dimensions exceed the output limit");
        jpeg_destroy_decompress(&cinfo);
        return 4;
    }
    pixels = (uint8_t *)malloc(w * h * c);
    if (!pixels) {
        copy_message(result->message, "out of memory");
        jpeg_destroy_decompress(&cinfo);
        return 5;
    }
    jpeg_start_decompress(&cinfo);
    size_t stride = w * c;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * stride;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) break;
    }
    jpeg_finish_decompress(&cinfo);
    result->width = (int)w;
    result->height = (int)h;
    result->components = (int)c;
    result->jpeg_color_space = (int)cinfo.jpeg_color_space;
    result->out_color_space = (int)cinfo.out_color_space;
    result->pixels = pixels;
    result->size = w * h * c;
    if (jerr.warnings > 0) copy_message(result->message, jerr.message);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int scinti_jpeg8_encode(const uint8_t *pixels, int width, int height, int components, int quality,
                        int restart_interval, uint8_t **out, size_t *out_size, char *message) {
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || width > 65500 || height > 65500 || (components != 1 && components != 3)) {
        copy_message(message, "unsupported geometry for baseline JPEG encoding");
        return 1;
    }
    struct jpeg_compress_struct cinfo;
    scinti_jpeg_error jerr;
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&jerr, 0, sizeof(jerr));
    unsigned char *volatile buffer = NULL;
    unsigned long volatile size = 0;
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = scinti_jpeg_error_exit;
    jerr.pub.output_message = scinti_jpeg_output_message;
    if (setjmp(jerr.jump)) {
        copy_message(message, jerr.message);
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return 2;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, (unsigned long *)&size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.restart_interval = (unsigned int)restart_interval;
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = size;
    return 0;
}

// MARK: - OpenJPEG

typedef struct scinti_mem_stream {
    const uint8_t *data;
    OPJ_SIZE_T size;
    OPJ_SIZE_T pos;
} scinti_mem_stream;

static OPJ_SIZE_T scinti_opj_read(void *buffer, OPJ_SIZE_T nbytes, void *user) {
    scinti_mem_stream *s = (scinti_mem_stream *)user;
    if (s->pos >= s->size) return (OPJ_SIZE_T)-1;
    OPJ_SIZE_T n = s->size - s->pos;
    if (n > nbytes) n = nbytes;
    memcpy(buffer, s->data + s->pos, n);
    s->pos += n;
    return n;
}

static OPJ_OFF_T scinti_opj_skip(OPJ_OFF_T nbytes, void *user) {
    scinti_mem_stream *s = (scinti_mem_stream *)user;
    if (nbytes < 0) {
        if ((OPJ_SIZE_T)(-nbytes) > s->pos) { OPJ_OFF_T back = (OPJ_OFF_T)s->pos; s->pos = 0; return -back; }
        s->pos -= (OPJ_SIZE_T)(-nbytes);
        return nbytes;
    }
    OPJ_SIZE_T left = s->size - s->pos;
    if ((OPJ_SIZE_T)nbytes > left) { s->pos = s->size; return (OPJ_OFF_T)left; }
    s->pos += (OPJ_SIZE_T)nbytes;
    return nbytes;
}

static OPJ_BOOL scinti_opj_seek(OPJ_OFF_T offset, void *user) {
    scinti_mem_stream *s = (scinti_mem_stream *)user;
    if (offset < 0 || (OPJ_SIZE_T)offset > s->size) return OPJ_FALSE;
    s->pos = (OPJ_SIZE_T)offset;
    return OPJ_TRUE;
}

typedef struct scinti_opj_messages {
    char error[SCINTI_MSG_CAP];
    int has_error;
} scinti_opj_messages;

static void scinti_opj_error(const char *msg, void *user) {
    scinti_opj_messages *m = (scinti_opj_messages *)user;
    if (!m->has_error) { copy_message(m->error, msg); m->has_error = 1; }
}
static void scinti_opj_quiet(const char *msg, void *user) { (void)msg; (void)user; }

void scinti_j2k_free(void *handle) {
    if (handle) opj_image_destroy((opj_image_t *)handle);
}

int scinti_j2k_decode(const uint8_t *data, size_t size, int format, size_t max_bytes, scinti_j2k_result *result) {
    memset(result, 0, sizeof(*result));
    if (!data || size < 2) { copy_message(result->message, "input too short"); return 1; }
    scinti_mem_stream mem = { data, (OPJ_SIZE_T)size, 0 };
    scinti_opj_messages msgs;
    memset(&msgs, 0, sizeof(msgs));

    opj_codec_t *codec = opj_create_decompress(format == 2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    if (!codec) { copy_message(result->message, "opj_create_decompress failed"); return 2; }
    opj_set_error_handler(codec, scinti_opj_error, &msgs);
    opj_set_warning_handler(codec, scinti_opj_quiet, &msgs);
    opj_set_info_handler(codec, scinti_opj_quiet, &msgs);

    opj_dparameters_t params;
    opj_set_default_decoder_parameters(&params);
    if (!opj_setup_decoder(codec, &params)) {
        copy_message(result->message, msgs.has_error ? msgs.error : "opj_setup_decoder failed");
        opj_destroy_codec(codec);
        return 3;
    }
    opj_stream_t *stream = opj_stream_create(64 * 1024, OPJ_TRUE);
    if (!stream) { opj_destroy_codec(codec); copy_message(result->message, "opj_stream_create failed"); return 4; }
    opj_stream_set_user_data(stream, &mem, NULL);
    opj_stream_set_user_data_length(stream, (OPJ_UINT64)size);
    opj_stream_set_read_function(stream, scinti_opj_read);
    opj_stream_set_skip_function(stream, scinti_opj_skip);
    opj_stream_set_seek_function(stream, scinti_opj_seek);

    opj_image_t *image = NULL;
    int rc = 0;
    if (!opj_read_header(stream, codec, &image) || !image) {
        copy_message(result->message, msgs.has_error ? msgs.error : "failed to read JPEG 2000 header");
        rc = 5;
        goto done;
    }
    {
        OPJ_UINT64 w = (OPJ_UINT64)(image->x1 - image->x0), h = (OPJ_UINT64)(image->y1 - image->y0);
        OPJ_UINT64 n = image->numcomps;
        if (w == 0 || h == 0 || n == 0 || n > 4) {
            copy_message(result->message, "unsupported JPEG 2000 geometry (zero size or more than 4 components)");
            rc = 6;
            goto done;
        }
        if (w * h * n > (OPJ_UINT64)max_bytes / 4) {
            copy_message(result->message, "image dimensions exceed the output limit");
            rc = 7;
            goto done;
        }
    }
    if (!opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream)) {
        copy_message(result->message, msgs.has_error ? msgs.error : "JPEG 2000 decode failed");
        rc = 8;
        goto done;
    }
    result->numcomps = (int)image->numcomps;
    for (OPJ_UINT32 i = 0; i < image->numcomps && i < 4; i++) {
        opj_image_comp_t *c = &image->comps[i];
        if (!c->data) {
            copy_message(result->message, "JPEG 2000 component has no data");
            rc = 9;
            goto done;
        }
        result->width[i] = (int)c->w;
        result->height[i] = (int)c->h;
        result->prec[i] = (int)c->prec;
        result->sgnd[i] = (int)c->sgnd;
        result->dx[i] = (int)c->dx;
        result->dy[i] = (int)c->dy;
        result->data[i] = c->data;
    }
    result->handle = image;
    image = NULL;
done:
    if (image) opj_image_destroy(image);
    opj_stream_destroy(stream);
    opj_destroy_codec(codec);
    return rc;
}

// MARK: - CharLS

static int jls_fail(char *message, const char *what, charls_jpegls_errc err) {
    char buffer[SCINTI_MSG_CAP];
    snprintf(buffer, sizeof(buffer), "%s: %s", what, charls_get_error_message(err));
    copy_message(message, buffer);
    return (int)err == 0 ? 1 : (int)err;
}

int scinti_jls_read_header(const uint8_t *data, size_t size, scinti_jls_info *info) {
    memset(info, 0, sizeof(*info));
    charls_jpegls_decoder *dec = charls_jpegls_decoder_create();
    if (!dec) { copy_message(info->message, "charls_jpegls_decoder_create failed"); return 1; }
    charls_jpegls_errc err = charls_jpegls_decoder_set_source_buffer(dec, data, size);
    if (err) { int r = jls_fail(info->message, "set_source_buffer", err); charls_jpegls_decoder_destroy(dec); return r; }
    err = charls_jpegls_decoder_read_header(dec);
    if (err) { int r = jls_fail(info->message, "read_header", err); charls_jpegls_decoder_destroy(dec); return r; }
    struct charls_frame_info fi;
    err = charls_jpegls_decoder_get_frame_info(dec, &fi);
    if (err) { int r = jls_fail(info->message, "get_frame_info", err); charls_jpegls_decoder_destroy(dec); return r; }
    int32_t near = 0;
    charls_interleave_mode mode = CHARLS_INTERLEAVE_MODE_NONE;
    size_t dsize = 0;
    if ((err = charls_jpegls_decoder_get_near_lossless(dec, 0, &near)) ||
        (err = charls_jpegls_decoder_get_interleave_mode(dec, &mode)) ||
        (err = charls_jpegls_decoder_get_destination_size(dec, 0, &dsize))) {
        int r = jls_fail(info->message, "header query", err);
        charls_jpegls_decoder_destroy(dec);
        return r;
    }
    info->width = (int)fi.width;
    info->height = (int)fi.height;
    info->bits_per_sample = fi.bits_per_sample;
    info->components = fi.component_count;
    info->near_lossless = near;
    info->interleave_mode = (int)mode;
    info->destination_size = dsize;
    charls_jpegls_decoder_destroy(dec);
    return 0;
}

int scinti_jls_decode(const uint8_t *data, size_t size, uint8_t *dest, size_t dest_size, scinti_jls_info *info) {
    charls_jpegls_decoder *dec = charls_jpegls_decoder_create();
    if (!dec) { copy_message(info->message, "charls_jpegls_decoder_create failed"); return 1; }
    charls_jpegls_errc err = charls_jpegls_decoder_set_source_buffer(dec, data, size);
    if (!err) err = charls_jpegls_decoder_read_header(dec);
    if (!err) err = charls_jpegls_decoder_decode_to_buffer(dec, dest, dest_size, 0);
    int r = 0;
    if (err) r = jls_fail(info->message, "decode", err);
    charls_jpegls_decoder_destroy(dec);
    return r;
}

int scinti_jls_encode(const uint8_t *pixels, size_t pixels_size, int width, int height, int bits, int components,
                      int near_lossless, uint8_t **out, size_t *out_size, char *message) {
    *out = NULL;
    *out_size = 0;
    charls_jpegls_encoder *enc = charls_jpegls_encoder_create();
    if (!enc) { copy_message(message, "charls_jpegls_encoder_create failed"); return 1; }
    struct charls_frame_info fi;
    fi.width = (uint32_t)width;
    fi.height = (uint32_t)height;
    fi.bits_per_sample = bits;
    fi.component_count = components;
    charls_jpegls_errc err = charls_jpegls_encoder_set_frame_info(enc, &fi);
    if (!err) err = charls_jpegls_encoder_set_near_lossless(enc, near_lossless);
    if (!err && components > 1)
        err = charls_jpegls_encoder_set_interleave_mode(enc, CHARLS_INTERLEAVE_MODE_SAMPLE);
    size_t cap = 0;
    if (!err) err = charls_jpegls_encoder_get_estimated_destination_size(enc, &cap);
    uint8_t *buffer = NULL;
    if (!err) {
        buffer = (uint8_t *)malloc(cap);
        if (!buffer) { copy_message(message, "out of memory"); charls_jpegls_encoder_destroy(enc); return 2; }
        err = charls_jpegls_encoder_set_destination_buffer(enc, buffer, cap);
    }
    if (!err) err = charls_jpegls_encoder_encode_from_buffer(enc, pixels, pixels_size, 0);
    size_t written = 0;
    if (!err) err = charls_jpegls_encoder_get_bytes_written(enc, &written);
    charls_jpegls_encoder_destroy(enc);
    if (err) { free(buffer); return jls_fail(message, "encode", err); }
    *out = buffer;
    *out_size = written;
    return 0;
}
