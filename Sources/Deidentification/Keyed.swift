import CLibCrypto

/// Keyed hashing and authenticated encryption through OpenSSL's libcrypto (no cryptography of our own).
enum Keyed {
    /// HMAC-SHA-256 of `message` under `key`.
    static func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        let ok = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                out.withUnsafeMutableBytes { o in
                    HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress?.assumingMemoryBound(to: UInt8.self),
                         m.count, o.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
                }
            }
        }
        precondition(ok != nil && length == 32, "HMAC-SHA-256 failed in libcrypto")
        return out
    }

    /// HMAC-SHA-256 of a labelled string (`label` NUL `text`), so that hashes made for different purposes never coincide.
    static func hmac(key: [UInt8], label: String, _ text: String) -> [UInt8] {
        hmacSHA256(key: key, Array(label.utf8) + [0] + Array(text.utf8))
    }

    /// PBKDF2-HMAC-SHA-256 (RFC 8018).
    static func pbkdf2(secret: [UInt8], salt: [UInt8], iterations: Int, length: Int = 32) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        let ok = secret.withUnsafeBytes { s in
            salt.withUnsafeBytes { sa in
                out.withUnsafeMutableBytes { o in
                    PKCS5_PBKDF2_HMAC(s.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(s.count),
                                      sa.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(sa.count), Int32(iterations),
                                      EVP_sha256(), Int32(length), o.baseAddress?.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        precondition(ok == 1, "PBKDF2 failed in libcrypto")
        return out
    }

    /// Cryptographically random bytes.
    static func random(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBytes { RAND_bytes($0.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(count)) }
        precondition(ok == 1, "RAND_bytes failed in libcrypto")
        return out
    }

    /// AES-256-GCM: ciphertext followed by the 16-byte tag.
    static func sealAESGCM(key: [UInt8], nonce: [UInt8], plaintext: [UInt8], aad: [UInt8]) -> [UInt8] {
        precondition(key.count == 32 && nonce.count == 12)
        guard let ctx = EVP_CIPHER_CTX_new() else { preconditionFailure("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var n: Int32 = 0, total = 0
        var ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1
        ok = ok && aad.withUnsafeBufferPointer { EVP_EncryptUpdate(ctx, nil, &n, $0.baseAddress, Int32($0.count)) } == 1
        ok = ok && out.withUnsafeMutableBufferPointer { o in
            plaintext.withUnsafeBufferPointer { EVP_EncryptUpdate(ctx, o.baseAddress, &n, $0.baseAddress, Int32($0.count)) }
        } == 1
        total = Int(n)
        ok = ok && out.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(ctx, $0.baseAddress! + total, &n) } == 1
        total += Int(n)
        ok = ok && out.withUnsafeMutableBufferPointer {
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, $0.baseAddress! + total)
        } == 1
        precondition(ok && total == plaintext.count, "AES-256-GCM encryption failed in libcrypto")
        return out
    }

    /// AES-256-GCM open; nil when the tag does not verify (wrong secret or altered file).
    static func openAESGCM(key: [UInt8], nonce: [UInt8], sealed: [UInt8], aad: [UInt8]) -> [UInt8]? {
        guard key.count == 32, nonce.count == 12, sealed.count >= 16, let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let body = Array(sealed.dropLast(16))
        var tag = Array(sealed.suffix(16))
        var out = [UInt8](repeating: 0, count: body.count + 16)
        var n: Int32 = 0, total = 0
        var ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1
        ok = ok && aad.withUnsafeBufferPointer { EVP_DecryptUpdate(ctx, nil, &n, $0.baseAddress, Int32($0.count)) } == 1
        ok = ok && out.withUnsafeMutableBufferPointer { o in
            body.withUnsafeBufferPointer { EVP_DecryptUpdate(ctx, o.baseAddress, &n, $0.baseAddress, Int32($0.count)) }
        } == 1
        total = Int(n)
        ok = ok && tag.withUnsafeMutableBytes { EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, $0.baseAddress) } == 1
        ok = ok && out.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(ctx, $0.baseAddress! + total, &n) } == 1
        guard ok else { return nil }
        total += Int(n)
        return Array(out.prefix(total))
    }
}
