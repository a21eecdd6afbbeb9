import Crypto
import Foundation
import KeelRuntime
import XCTest

/// std/crypto's hashes are written in this package (so KeelKit builds no BoringSSL); here each
/// is checked against swift-crypto on random inputs of every length around the block sizes, and
/// SHA-224 and the SHA-512/t variants, which swift-crypto lacks, against NIST's vectors.
final class CryptoTests: XCTestCase {
    func hash(_ name: String) -> ([UInt8]) -> [UInt8] { CryptoModule.hashes.first { $0.name == name }!.hash }

    func testHashesAndHMACsAgreeWithSwiftCrypto() {
        var g = SystemRandomNumberGenerator()
        let lengths = Array(0...300) + [1000, 4096, 65_537]
        for n in lengths {
            let data = (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
            let key = (0..<Int.random(in: 0...200, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            XCTAssertEqual(hash("sha256")(data), Array(SHA256.hash(data: data)), "sha256, \(n) bytes")
            XCTAssertEqual(hash("sha384")(data), Array(SHA384.hash(data: data)), "sha384, \(n) bytes")
            XCTAssertEqual(hash("sha512")(data), Array(SHA512.hash(data: data)), "sha512, \(n) bytes")
            XCTAssertEqual(SHA1.hash(data), Array(Insecure.SHA1.hash(data: data)), "sha1, \(n) bytes")
            let k = SymmetricKey(data: key)
            XCTAssertEqual(CryptoModule.hmac(hash("sha256"), block: 64, key: key, data: data),
                           Array(HMAC<SHA256>.authenticationCode(for: data, using: k)), "hmac_sha256, \(n) bytes")
            XCTAssertEqual(CryptoModule.hmac(hash("sha384"), block: 128, key: key, data: data),
                           Array(HMAC<SHA384>.authenticationCode(for: data, using: k)), "hmac_sha384, \(n) bytes")
            XCTAssertEqual(CryptoModule.hmac(hash("sha512"), block: 128, key: key, data: data),
                           Array(HMAC<SHA512>.authenticationCode(for: data, using: k)), "hmac_sha512, \(n) bytes")
        }
    }

    /// FIPS 180-4 examples ("abc" and the two-block message) for the variants swift-crypto lacks.
    func testTheVariantsSwiftCryptoLacksMatchNIST() {
        let abc = Array("abc".utf8)
        XCTAssertEqual(CryptoModule.hex(hash("sha224")(abc)), "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")
        XCTAssertEqual(CryptoModule.hex(hash("sha512_224")(abc)), "4634270f707b6a54daae7530460842e20e37ed265ceee9a43e8924aa")
        XCTAssertEqual(CryptoModule.hex(hash("sha512_256")(abc)), "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23")
        let two = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        XCTAssertEqual(CryptoModule.hex(hash("sha224")(two)), "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525")
    }
}
