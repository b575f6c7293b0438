// Test-only secp256k1 keys and signatures made directly with libsecp256k1
// (secp256k1_ecdsa_sign_recoverable: RFC 6979 nonces, low S), independent of
// the verification code under test.
#ifndef NITRO_TSS_TESTS_TOOLS_TSSCTL_TEST_KEYS_H_
#define NITRO_TSS_TESTS_TOOLS_TSSCTL_TEST_KEYS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace nitro_tss::testing {

struct TestKey {
  std::array<uint8_t, 32> secret{};
  std::vector<uint8_t> compressed;    // 33 bytes
  std::vector<uint8_t> uncompressed;  // 65 bytes
  std::vector<uint8_t> spki_der;      // SubjectPublicKeyInfo
  std::string spki_pem;
};

// A key derived from `seed` (deterministic).
TestKey MakeTestKey(uint32_t seed);

struct TestSignature {
  std::vector<uint8_t> der;
  std::vector<uint8_t> compact;  // r || s, 64 bytes
  int recovery_id = 0;
  // r || s || v with v = recovery_id + v_offset (0 or 27).
  std::vector<uint8_t> Recoverable(int v_offset) const;
};

// Signs the 32-byte `digest` (low S).
TestSignature SignDigest(const TestKey& key,
                         const std::array<uint8_t, 32>& digest);

// (r, n - s) of a 64-byte r || s.
std::vector<uint8_t> HighSTwin(const std::vector<uint8_t>& compact);
// Strict DER of a 64-byte r || s (libsecp256k1's serializer).
std::vector<uint8_t> CompactToDer(const std::vector<uint8_t>& compact);

std::array<uint8_t, 32> Sha256Of(const std::vector<uint8_t>& message);

}  // namespace nitro_tss::testing

#endif  // NITRO_TSS_TESTS_TOOLS_TSSCTL_TEST_KEYS_H_
