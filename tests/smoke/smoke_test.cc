// Links and exercises every third-party dependency once, so a missing or
// broken package fails loudly and early.
#include <cbor.h>
#include <curl/curl.h>
#include <gmp.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sodium.h>
#include <sqlite3.h>

#include <array>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "nitro_tss/common/v1/version.pb.h"

namespace {

std::string Hex(const unsigned char* p, size_t n) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(p), n));
}

TEST(Smoke, Secp256k1KnownKeySignVerifyRecover) {
  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  std::array<unsigned char, 32> sk{};
  sk[31] = 1;  // secret key 1: public key is the generator G.
  secp256k1_pubkey pk;
  ASSERT_TRUE(secp256k1_ec_pubkey_create(ctx, &pk, sk.data()));
  unsigned char ser[33];
  size_t len = sizeof(ser);
  secp256k1_ec_pubkey_serialize(ctx, ser, &len, &pk, SECP256K1_EC_COMPRESSED);
  EXPECT_EQ(
      Hex(ser, len),
      "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  std::array<unsigned char, 32> msg{};
  ASSERT_EQ(crypto_hash_sha256(
                msg.data(), reinterpret_cast<const unsigned char*>("abc"), 3),
            0);
  secp256k1_ecdsa_recoverable_signature rsig;
  ASSERT_TRUE(secp256k1_ecdsa_sign_recoverable(ctx, &rsig, msg.data(),
                                               sk.data(), nullptr, nullptr));
  secp256k1_ecdsa_signature sig;
  secp256k1_ecdsa_recoverable_signature_convert(ctx, &sig, &rsig);
  EXPECT_TRUE(secp256k1_ecdsa_verify(ctx, &sig, msg.data(), &pk));
  secp256k1_pubkey recovered;
  ASSERT_TRUE(secp256k1_ecdsa_recover(ctx, &recovered, &rsig, msg.data()));
  EXPECT_EQ(secp256k1_ec_pubkey_cmp(ctx, &recovered, &pk), 0);
  msg[0] ^= 1;
  EXPECT_FALSE(secp256k1_ecdsa_verify(ctx, &sig, msg.data(), &pk));
  secp256k1_context_destroy(ctx);
}

TEST(Smoke, GmpSecretPowm) {
  mpz_t b, e, m, r;
  mpz_inits(b, e, m, r, nullptr);
  mpz_set_ui(b, 4);
  mpz_set_ui(e, 13);
  mpz_set_ui(m, 497);
  mpz_powm_sec(r, b, e, m);
  EXPECT_EQ(mpz_get_ui(r), 445u);  // 4^13 mod 497 (textbook example)
  mpz_clears(b, e, m, r, nullptr);
}

TEST(Smoke, SodiumAeadRoundTrip) {
  ASSERT_GE(sodium_init(), 0);
  std::array<unsigned char, crypto_aead_xchacha20poly1305_ietf_KEYBYTES> key;
  std::array<unsigned char, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES> nonce;
  randombytes_buf(key.data(), key.size());
  randombytes_buf(nonce.data(), nonce.size());
  const std::string pt = "share";
  std::string ct(pt.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(ct.data()), &ct_len,
      reinterpret_cast<const unsigned char*>(pt.data()), pt.size(), nullptr, 0,
      nullptr, nonce.data(), key.data());
  std::string out(pt.size(), '\0');
  unsigned long long out_len = 0;
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(
                reinterpret_cast<unsigned char*>(out.data()), &out_len, nullptr,
                reinterpret_cast<const unsigned char*>(ct.data()), ct_len,
                nullptr, 0, nonce.data(), key.data()),
            0);
  EXPECT_EQ(out, pt);
  ct[0] ^= 1;
  EXPECT_NE(crypto_aead_xchacha20poly1305_ietf_decrypt(
                reinterpret_cast<unsigned char*>(out.data()), &out_len, nullptr,
                reinterpret_cast<const unsigned char*>(ct.data()), ct_len,
                nullptr, 0, nonce.data(), key.data()),
            0);
}

TEST(Smoke, OpenSslSha384KnownVector) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  ASSERT_EQ(EVP_Digest("abc", 3, md, &md_len, EVP_sha384(), nullptr), 1);
  EXPECT_EQ(Hex(md, md_len),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
}

TEST(Smoke, CborRoundTrip) {
  cbor_item_t* item = cbor_build_uint32(1725719859);
  unsigned char* buf = nullptr;
  size_t buf_size = 0;
  size_t n = cbor_serialize_alloc(item, &buf, &buf_size);
  cbor_decref(&item);
  ASSERT_GT(n, 0u);
  struct cbor_load_result res;
  cbor_item_t* back = cbor_load(buf, n, &res);
  free(buf);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(cbor_get_int(back), 1725719859u);
  cbor_decref(&back);
}

TEST(Smoke, CurlAndSqliteAndProtobufAndGrpc) {
  EXPECT_NE(curl_version_info(CURLVERSION_NOW)->version, nullptr);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT 6*7", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 42);
  sqlite3_finalize(st);
  sqlite3_close(db);

  nitro_tss::common::v1::BuildInfo info;
  info.set_version("0.1.0");
  info.set_wire_version(1);
  std::string wire = info.SerializeAsString();
  nitro_tss::common::v1::BuildInfo back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.version(), "0.1.0");

  auto channel = grpc::CreateChannel("unix:/nonexistent/nitro-tss.sock",
                                     grpc::InsecureChannelCredentials());
  ASSERT_NE(channel, nullptr);
  absl::StatusOr<int> s = absl::NotFoundError("smoke");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
