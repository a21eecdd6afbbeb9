import Foundation

/// `std/crypto`: hashes and HMACs as lowercase hex, random tokens. The SHA-2 family (FIPS 180-4)
/// and HMAC (RFC 2104) are written here rather than taken from swift-crypto, which builds
/// BoringSSL on Linux: an embedder of KeelKit without the stores builds no TLS library. The tests
/// check every hash and HMAC against swift-crypto on random inputs and against NIST's vectors.
/// Random bytes come from the system's generator, never from `KEEL_SEED` (a token must not be
/// reproducible).
package enum CryptoModule {
    package static let hashes: [(name: String, hash: ([UInt8]) -> [UInt8], block: Int)] = [
        ("sha224", { SHA2.sha256Family($0, iv: SHA2.iv224, bytes: 28) }, 64),
        ("sha256", { SHA2.sha256Family($0, iv: SHA2.iv256, bytes: 32) }, 64),
        ("sha384", { SHA2.sha512Family($0, iv: SHA2.iv384, bytes: 48) }, 128),
        ("sha512", { SHA2.sha512Family($0, iv: SHA2.iv512, bytes: 64) }, 128),
        ("sha512_224", { SHA2.sha512Family($0, iv: SHA2.iv512_224, bytes: 28) }, 128),
        ("sha512_256", { SHA2.sha512Family($0, iv: SHA2.iv512_256, bytes: 32) }, 128),
    ]

    static func members(_ interpreter: Interpreter) -> [String: Value] {
        var m = ModuleMembers("crypto")
        for h in hashes {
            m.fn(h.name, args: 1) { call in .str(hex(h.hash(try bytes(call, 0)))) }
            m.fn("hmac_" + h.name, args: 1, labels: ["key"]) { call in
                guard let key = call.named["key"] else { throw KeelError(ErrorKind.call, "crypto.hmac_\(h.name): missing key: (the secret)") }
                let k = try bytes(of: key, "crypto.hmac_\(h.name): key")
                return .str(hex(hmac(h.hash, block: h.block, key: k, data: try bytes(call, 0))))
            }
        }
        m.fn("token", args: 1, labels: ["bytes"]) { call in
            var n = 32
            if let v = call.named["bytes"] ?? call.args.first {
                guard case .int(let i) = v, i > 0, i <= 1_048_576 else {
                    throw KeelError(ErrorKind.value, "crypto.token: bytes must be an int from 1 to 1048576, got \(v.brief)")
                }
                n = i
            }
            return .str(hex(randomBytes(n)))
        }
        m.fn("random_bytes", args: 1) { call in
            guard case .int(let n)? = call.args.first, n >= 0, n <= 1_048_576 else {
                throw KeelError(ErrorKind.value, "crypto.random_bytes: expected a count from 0 to 1048576")
            }
            return .list(randomBytes(n).map { .int(Int($0)) })
        }
        return m.values
    }

    /// A string's UTF-8 bytes, or a list of ints 0...255 (what `random_bytes` gives).
    static func bytes(_ call: NativeCall, _ i: Int) throws -> [UInt8] {
        guard i < call.args.count else { throw KeelError(ErrorKind.call, "\(call.name): missing the data to hash") }
        return try bytes(of: call.args[i], call.name)
    }

    static func bytes(of v: Value, _ what: String) throws -> [UInt8] {
        switch v {
        case .str(let s): return Array(s.utf8)
        case .list(let items):
            return try items.map { item in
                guard case .int(let b) = item, (0...255).contains(b) else {
                    throw KeelError(ErrorKind.type, "\(what): a list of bytes holds ints from 0 to 255, found \(item.brief)")
                }
                return UInt8(b)
            }
        default: throw KeelError(ErrorKind.type, "\(what): expected a str or a list of bytes, got \(v.typeName)")
        }
    }

    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func randomBytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    /// HMAC (RFC 2104) over `hash`, whose block is `block` bytes.
    package static func hmac(_ hash: ([UInt8]) -> [UInt8], block: Int, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var k = key.count > block ? hash(key) : key
        k += [UInt8](repeating: 0, count: block - k.count)
        let inner = hash(k.map { $0 ^ 0x36 } + data)
        return hash(k.map { $0 ^ 0x5c } + inner)
    }
}

/// The SHA-2 compression functions (FIPS 180-4). The constants were computed from their
/// definitions (cube and square roots of primes; the SHA-512/t initial values by the standard's
/// generation function) and are checked by the NIST vectors and against swift-crypto in the tests.
package enum SHA2 {
    package static func sha256(_ data: [UInt8]) -> [UInt8] { sha256Family(data, iv: iv256, bytes: 32) }

    static let iv256: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    static let iv384: [UInt64] = [
        0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
        0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4
    ]
    static let iv512: [UInt64] = [
        0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
        0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179
    ]
    static let k256: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
    ]
    static let k512: [UInt64] = [
        0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
        0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
        0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
        0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
        0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
        0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
        0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
        0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
        0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
        0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
        0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
        0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
        0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
        0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
        0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
        0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
        0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
        0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
        0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
        0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817
    ]
    static let iv224: [UInt32] = [0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939, 0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4]
    static let iv512_224: [UInt64] = [
        0x8c3d37c819544da2, 0x73e1996689dcd4d6, 0x1dfab7ae32ff9c82, 0x679dd514582f9fcf,
        0x0f6d2b697bd44da8, 0x77e36f7304c48942, 0x3f9d85a86a1d36c8, 0x1112e6ad91d692a1
    ]
    static let iv512_256: [UInt64] = [
        0x22312194fc2bf72c, 0x9f555fa3c84c64c2, 0x2393b86b6f53b151, 0x963877195940eabd,
        0x96283ee2a88effe3, 0xbe5e1e2553863992, 0x2b0199fc2c85b8aa, 0x0eb72ddc81c52ca2
    ]

    /// Pads to whole blocks: a 1 bit, zeros, and the length in bits (`lengthBytes` wide).
    static func padded(_ data: [UInt8], block: Int, lengthBytes: Int) -> [UInt8] {
        var m = data
        m.append(0x80)
        while m.count % block != block - lengthBytes { m.append(0) }
        let bits = UInt64(data.count) &* 8
        m += [UInt8](repeating: 0, count: lengthBytes - 8)
        for i in (0..<8).reversed() { m.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
        return m
    }

    static func sha256Family(_ data: [UInt8], iv: [UInt32], bytes: Int) -> [UInt8] {
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        var h = iv
        let m = padded(data, block: 64, lengthBytes: 8)
        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: m.count, by: 64) {
            for j in 0..<16 {
                w[j] = (0..<4).reduce(0) { $0 << 8 | UInt32(m[chunk + 4 * j + $1]) }
            }
            for j in 16..<64 {
                let s0 = rotr(w[j - 15], 7) ^ rotr(w[j - 15], 18) ^ (w[j - 15] >> 3)
                let s1 = rotr(w[j - 2], 17) ^ rotr(w[j - 2], 19) ^ (w[j - 2] >> 10)
                w[j] = w[j - 16] &+ s0 &+ w[j - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for j in 0..<64 {
                let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k256[j] &+ w[j]
                let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
        }
        return Array(h.flatMap { x in (0..<4).map { UInt8(truncatingIfNeeded: x >> (24 - 8 * UInt32($0))) } }.prefix(bytes))
    }

    static func sha512Family(_ data: [UInt8], iv: [UInt64], bytes: Int) -> [UInt8] {
        func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 { (x >> n) | (x << (64 - n)) }
        var h = iv
        let m = padded(data, block: 128, lengthBytes: 16)
        var w = [UInt64](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: m.count, by: 128) {
            for j in 0..<16 {
                w[j] = (0..<8).reduce(0) { $0 << 8 | UInt64(m[chunk + 8 * j + $1]) }
            }
            for j in 16..<80 {
                let s0 = rotr(w[j - 15], 1) ^ rotr(w[j - 15], 8) ^ (w[j - 15] >> 7)
                let s1 = rotr(w[j - 2], 19) ^ rotr(w[j - 2], 61) ^ (w[j - 2] >> 6)
                w[j] = w[j - 16] &+ s0 &+ w[j - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for j in 0..<80 {
                let t1 = hh &+ (rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)) &+ ((e & f) ^ (~e & g)) &+ k512[j] &+ w[j]
                let t2 = (rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)) &+ ((a & b) ^ (a & c) ^ (b & c))
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
        }
        return Array(h.flatMap { x in (0..<8).map { UInt8(truncatingIfNeeded: x >> (56 - 8 * UInt64($0))) } }.prefix(bytes))
    }
}

/// SHA-1 (FIPS 180-4), for name-based UUIDs (RFC 9562 version 5) only: not offered as a hash.
package enum SHA1 {
    package static func hash(_ data: [UInt8]) -> [UInt8] {
        func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
        var h: [UInt32] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]
        let m = SHA2.padded(data, block: 64, lengthBytes: 8)
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: m.count, by: 64) {
            for j in 0..<16 {
                w[j] = (0..<4).reduce(0) { $0 << 8 | UInt32(m[chunk + 4 * j + $1]) }
            }
            for j in 16..<80 { w[j] = rotl(w[j - 3] ^ w[j - 8] ^ w[j - 14] ^ w[j - 16], 1) }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for j in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch j {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5a827999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ed9eba1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8f1bbcdc)
                default: (f, k) = (b ^ c ^ d, 0xca62c1d6)
                }
                let t = rotl(a, 5) &+ f &+ e &+ k &+ w[j]
                (e, d, c, b, a) = (d, c, rotl(b, 30), a, t)
            }
            for (i, v) in [a, b, c, d, e].enumerated() { h[i] = h[i] &+ v }
        }
        return h.flatMap { x in (0..<4).map { UInt8(truncatingIfNeeded: x >> (24 - 8 * UInt32($0))) } }
    }
}
