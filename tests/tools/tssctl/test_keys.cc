#include "tests/tools/tssctl/test_keys.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::testing {
namespace {

// The group order n, big-endian.
constexpr uint8_t kOrder[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                                0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
                                0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

// DER prefix of a SubjectPublicKeyInfo { id-ecPublicKey, secp256k1 } with a
// 65-byte uncompressed point (RFC 5480).
constexpr char kSpkiPrefixHex[] =
    "3056301006072a8648ce3d020106052b8104000a034200";

secp256k1_context* Ctx() {
  static secp256k1_context* ctx = secp256k1_context_create(
      SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
  return ctx;
}

}  // namespace

TestKey MakeTestKey(uint32_t seed) {
  TestKey key;
  uint32_t counter = 0;
  do {
    const std::string input =
        absl::StrCat("tssctl test key ", seed, "/", counter++);
    SHA256(reinterpret_cast<const uint8_t*>(input.data()), input.size(),
           key.secret.data());
  } while (secp256k1_ec_seckey_verify(Ctx(), key.secret.data()) != 1);
  secp256k1_pubkey pub;
  EXPECT_EQ(secp256k1_ec_pubkey_create(Ctx(), &pub, key.secret.data()), 1);
  key.compressed.resize(33);
  size_t len = 33;
  secp256k1_ec_pubkey_serialize(Ctx(), key.compressed.data(), &len, &pub,
                                SECP256K1_EC_COMPRESSED);
  key.uncompressed.resize(65);
  len = 65;
  secp256k1_ec_pubkey_serialize(Ctx(), key.uncompressed.data(), &len, &pub,
                                SECP256K1_EC_UNCOMPRESSED);
  const std::string prefix = absl::HexStringToBytes(kSpkiPrefixHex);
  key.spki_der.assign(prefix.begin(), prefix.end());
  key.spki_der.insert(key.spki_der.end(), key.uncompressed.begin(),
                      key.uncompressed.end());
  const std::string b64 = absl::Base64Escape(absl::string_view(
      reinterpret_cast<const char*>(key.spki_der.data()), key.spki_der.size()));
  key.spki_pem = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) {
    absl::StrAppend(&key.spki_pem, b64.substr(i, 64), "\n");
  }
  absl::StrAppend(&key.spki_pem, "-----END PUBLIC KEY-----\n");
  return key;
}

std::vector<uint8_t> TestSignature::Recoverable(int v_offset) const {
  std::vector<uint8_t> out = compact;
  out.push_back(static_cast<uint8_t>(recovery_id + v_offset));
  return out;
}

TestSignature SignDigest(const TestKey& key,
                         const std::array<uint8_t, 32>& digest) {
  secp256k1_ecdsa_recoverable_signature rsig;
  EXPECT_EQ(
      secp256k1_ecdsa_sign_recoverable(Ctx(), &rsig, digest.data(),
                                       key.secret.data(), nullptr, nullptr),
      1);
  TestSignature out;
  out.compact.resize(64);
  secp256k1_ecdsa_recoverable_signature_serialize_compact(
      Ctx(), out.compact.data(), &out.recovery_id, &rsig);
  out.der = CompactToDer(out.compact);
  return out;
}

std::vector<uint8_t> HighSTwin(const std::vector<uint8_t>& compact) {
  std::vector<uint8_t> out = compact;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = kOrder[i] - compact[32 + i] - borrow;
    borrow = d < 0 ? 1 : 0;
    out[32 + i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  return out;
}

std::vector<uint8_t> CompactToDer(const std::vector<uint8_t>& compact) {
  secp256k1_ecdsa_signature sig;
  EXPECT_EQ(
      secp256k1_ecdsa_signature_parse_compact(Ctx(), &sig, compact.data()), 1);
  std::vector<uint8_t> der(72);
  size_t len = der.size();
  EXPECT_EQ(
      secp256k1_ecdsa_signature_serialize_der(Ctx(), der.data(), &len, &sig),
      1);
  der.resize(len);
  return der;
}

std::array<uint8_t, 32> Sha256Of(const std::vector<uint8_t>& message) {
  std::array<uint8_t, 32> d{};
  SHA256(message.data(), message.size(), d.data());
  return d;
}

}  // namespace nitro_tss::testing
