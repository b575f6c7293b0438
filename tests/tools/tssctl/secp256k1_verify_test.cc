// tools/tssctl/secp256k1_verify.h called directly: every accepted and
// refused form of public keys and signatures, and each verdict of
// VerifySignature (signatures made with libsecp256k1 in test_keys.cc).
#include "tools/tssctl/secp256k1_verify.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "common/ethereum.h"
#include "common/keccak.h"
#include "tests/tools/tssctl/test_keys.h"
#include "tests/tools/tssctl/tssctl_runner.h"

namespace nitro_tss::tssctl {
namespace {

using testing::FromHex;
using testing::MakeTestKey;
using testing::SignDigest;
using testing::TestKey;

constexpr char kGCompressed[] =
    "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
constexpr char kGUncompressed[] =
    "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
constexpr char kOrderHex[] =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

Digest DigestOf(const std::string& text) {
  return testing::Sha256Of(std::vector<uint8_t>(text.begin(), text.end()));
}

// a || b (push_back: GCC 12's -Warray-bounds misfires on vector::insert
// after a short initializer list).
std::vector<uint8_t> Concat(std::vector<uint8_t> a,
                            absl::Span<const uint8_t> b) {
  a.reserve(a.size() + b.size());
  for (uint8_t x : b) a.push_back(x);
  return a;
}

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// An OpenSSL-generated key on `curve` as DER SPKI (compressed point if
// asked).
std::vector<uint8_t> OpensslSpki(const char* curve, bool compressed) {
  EVP_PKEY* key = EVP_EC_gen(curve);
  EXPECT_NE(key, nullptr);
  if (compressed) {
    EXPECT_EQ(
        EVP_PKEY_set_utf8_string_param(
            key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"),
        1);
  }
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  return out;
}

TEST(PublicKeyTest, Sec1Forms) {
  auto c = ParsePublicKey(FromHex(kGCompressed));
  ASSERT_TRUE(c.ok()) << c.status();
  auto u = ParsePublicKey(FromHex(kGUncompressed));
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_TRUE(c->point == u->point);
  EXPECT_EQ(testing::Hex(std::vector<uint8_t>(c->uncompressed.begin(),
                                              c->uncompressed.end())),
            kGUncompressed);
  EXPECT_EQ(testing::Hex(std::vector<uint8_t>(u->compressed.begin(),
                                              u->compressed.end())),
            kGCompressed);
  EXPECT_EQ(ethereum::ChecksumAddress(AddressOf(*c)),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
}

TEST(PublicKeyTest, Sec1Refusals) {
  const std::vector<uint8_t> c = FromHex(kGCompressed);
  const std::vector<uint8_t> u = FromHex(kGUncompressed);
  std::vector<std::vector<uint8_t>> bad = {
      {},
      {0x00},                                        // infinity
      std::vector<uint8_t>(c.begin(), c.end() - 1),  // 32 bytes
      std::vector<uint8_t>(u.begin() + 1, u.end()),  // 64 bytes, no prefix
  };
  std::vector<uint8_t> longer = c;
  longer.push_back(0);
  bad.push_back(longer);
  std::vector<uint8_t> v = c;
  v[0] = 0x04;  // uncompressed prefix on 33 bytes
  bad.push_back(v);
  v = u;
  v[0] = 0x06;  // hybrid (libsecp256k1 would accept it)
  bad.push_back(v);
  v[0] = 0x07;
  bad.push_back(v);
  v = u;
  v[0] = 0x02;
  bad.push_back(v);
  v = u;
  v[64] ^= 0x01;  // off the curve
  bad.push_back(v);
  // x = 0 is not on secp256k1 (7 is not a square mod p); x >= p.
  bad.push_back(FromHex(std::string("02") + std::string(64, '0')));
  bad.push_back(FromHex(std::string("03") + std::string(64, 'f')));
  for (const auto& b : bad) {
    auto k = ParsePublicKey(b);
    EXPECT_FALSE(k.ok()) << testing::Hex(b);
    if (!k.ok()) {
      EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(PublicKeyTest, SpkiForms) {
  const TestKey key = MakeTestKey(1);
  auto pem = ParsePublicKeySpki(Bytes(key.spki_pem));
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(
      std::vector<uint8_t>(pem->compressed.begin(), pem->compressed.end()),
      key.compressed);
  auto der = ParsePublicKeySpki(key.spki_der);
  ASSERT_TRUE(der.ok()) << der.status();
  EXPECT_TRUE(der->point == pem->point);
  // Trailing whitespace after the PEM block is fine.
  EXPECT_TRUE(ParsePublicKeySpki(Bytes(key.spki_pem + "\n \t\r\n")).ok());
  // OpenSSL's own secp256k1 SPKI, uncompressed and compressed point.
  EXPECT_TRUE(ParsePublicKeySpki(OpensslSpki("secp256k1", false)).ok());
  EXPECT_TRUE(ParsePublicKeySpki(OpensslSpki("secp256k1", true)).ok());
}

TEST(PublicKeyTest, SpkiRefusals) {
  const TestKey key = MakeTestKey(1);
  std::vector<std::vector<uint8_t>> bad = {
      {},
      Bytes(key.spki_pem + "x"),           // after the block
      Bytes(key.spki_pem + key.spki_pem),  // two blocks
      OpensslSpki("prime256v1", false),    // another curve
      Bytes("-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC "
            "KEY-----\n"),
      std::vector<uint8_t>(kMaxSpkiBytes + 1, 'a'),  // size
  };
  std::string private_label = key.spki_pem;
  absl::StrReplaceAll({{"PUBLIC KEY", "PRIVATE KEY"}}, &private_label);
  bad.push_back(Bytes(private_label));
  std::vector<uint8_t> trailing = key.spki_der;
  trailing.push_back(0);
  bad.push_back(trailing);
  std::vector<uint8_t> truncated(key.spki_der.begin(), key.spki_der.end() - 1);
  bad.push_back(truncated);
  std::vector<uint8_t> off_curve = key.spki_der;
  off_curve.back() ^= 0x01;
  bad.push_back(off_curve);
  // Ed25519 SPKI.
  EVP_PKEY* ed = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(ed, &der);
  bad.push_back(std::vector<uint8_t>(der, der + len));
  OPENSSL_free(der);
  EVP_PKEY_free(ed);
  for (size_t i = 0; i < bad.size(); ++i) {
    auto k = ParsePublicKeySpki(bad[i]);
    EXPECT_FALSE(k.ok()) << "case " << i;
    if (!k.ok()) {
      EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(SignatureParseTest, Forms) {
  const TestKey key = MakeTestKey(2);
  const auto sig = SignDigest(key, DigestOf("m"));
  auto der = ParseSignature(sig.der, SignatureEncoding::kAuto);
  ASSERT_TRUE(der.ok()) << der.status();
  EXPECT_EQ(der->format, SignatureFormat::kDer);
  EXPECT_FALSE(der->recovery_id.has_value());
  auto compact = ParseSignature(sig.compact, SignatureEncoding::kAuto);
  ASSERT_TRUE(compact.ok()) << compact.status();
  EXPECT_EQ(compact->format, SignatureFormat::kCompact);
  EXPECT_TRUE(compact->r == der->r && compact->s == der->s);
  EXPECT_EQ(SignatureDer(compact->r, compact->s), sig.der);
  for (int offset : {0, 27}) {
    auto rec =
        ParseSignature(sig.Recoverable(offset), SignatureEncoding::kCompact);
    ASSERT_TRUE(rec.ok()) << rec.status();
    EXPECT_EQ(rec->format, SignatureFormat::kCompactRecoverable);
    EXPECT_EQ(rec->recovery_id, sig.recovery_id);
    EXPECT_EQ(rec->v, sig.recovery_id + offset);
  }
  for (int v : {0, 1, 2, 3, 27, 28, 29, 30}) {
    auto id = RecoveryIdFromV(static_cast<uint8_t>(v));
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(*id, v >= 27 ? v - 27 : v);
  }
  for (int v : {4, 26, 31, 35, 36, 255}) {
    EXPECT_FALSE(RecoveryIdFromV(static_cast<uint8_t>(v)).ok()) << v;
  }
}

TEST(SignatureParseTest, Refusals) {
  const TestKey key = MakeTestKey(2);
  const auto sig = SignDigest(key, DigestOf("m"));
  const std::vector<uint8_t> n = FromHex(kOrderHex);
  std::vector<std::pair<std::vector<uint8_t>, SignatureEncoding>> bad;
  auto add = [&](std::vector<uint8_t> b,
                 SignatureEncoding e = SignatureEncoding::kAuto) {
    bad.emplace_back(std::move(b), e);
  };
  add({});
  add(std::vector<uint8_t>(7, 0x30));
  add(std::vector<uint8_t>(63, 1));
  add(std::vector<uint8_t>(66, 1));
  add(std::vector<uint8_t>(73, 0x30));
  add(sig.der, SignatureEncoding::kCompact);  // DER is not compact
  add(sig.compact, SignatureEncoding::kDer);  // nor compact DER
  std::vector<uint8_t> t = sig.der;
  t.push_back(0);  // trailing byte
  add(t);
  t = sig.der;
  t[1] ^= 0x01;  // wrong SEQUENCE length
  add(t);
  // Non-minimal: r with an extra leading 00 (lengths patched).
  {
    std::vector<uint8_t> d =
        Concat({0x30, 0, 0x02, static_cast<uint8_t>(sig.der[3] + 1), 0x00},
               absl::MakeConstSpan(sig.der).subspan(4));
    d[1] = static_cast<uint8_t>(d.size() - 2);
    add(d);
  }
  // Long-form length of the SEQUENCE (BER, not DER).
  {
    add(Concat({0x30, 0x81, sig.der[1]},
               absl::MakeConstSpan(sig.der).subspan(2)));
  }
  // Compact with r or s zero, or >= n.
  std::vector<uint8_t> c = sig.compact;
  std::fill(c.begin(), c.begin() + 32, 0);
  add(c);
  c = sig.compact;
  std::fill(c.begin() + 32, c.end(), 0);
  add(c);
  c = sig.compact;
  std::copy(n.begin(), n.end(), c.begin());
  add(c);
  c = sig.compact;
  std::copy(n.begin(), n.end(), c.begin() + 32);
  add(c);
  c = sig.compact;
  std::fill(c.begin() + 32, c.end(), 0xff);
  add(c);
  // DER with r = 0, and with s = n.
  add(FromHex("3006020100020101"));
  { add(Concat({0x30, 0x26, 0x02, 0x01, 0x01, 0x02, 0x21, 0x00}, n)); }
  // Negative r.
  add(FromHex("30060201ff020101"));
  // 65 bytes with a bad v.
  c = sig.Recoverable(0);
  c[64] = 4;
  add(c);
  c[64] = 31;
  add(c);
  for (size_t i = 0; i < bad.size(); ++i) {
    auto p = ParseSignature(bad[i].first, bad[i].second);
    EXPECT_FALSE(p.ok()) << "case " << i << ": " << testing::Hex(bad[i].first);
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

class VerifyTest : public ::testing::Test {
 protected:
  VerifyRequest Request(const std::vector<uint8_t>& signature,
                        const Digest& digest) {
    VerifyRequest r;
    r.public_key = *ParsePublicKey(key_.compressed);
    r.digest = digest;
    auto parsed = ParseSignature(signature, SignatureEncoding::kAuto);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (parsed.ok()) r.signature = std::move(*parsed);
    return r;
  }
  VerifyCode Code(const VerifyRequest& r) {
    auto v = VerifySignature(r);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? v->code : VerifyCode::kOk;
  }

  TestKey key_ = MakeTestKey(3);
  TestKey other_ = MakeTestKey(4);
  Digest digest_ = DigestOf("pay 1 BTC to bob");
  testing::TestSignature sig_ = SignDigest(key_, digest_);
};

TEST_F(VerifyTest, Valid) {
  for (const auto& s :
       {sig_.der, sig_.compact, sig_.Recoverable(0), sig_.Recoverable(27)}) {
    auto v = VerifySignature(Request(s, digest_));
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->code, VerifyCode::kOk) << v->message;
    EXPECT_TRUE(v->low_s);
  }
  // DER with the recovery id given separately.
  VerifyRequest r = Request(sig_.der, digest_);
  r.recovery_id = sig_.recovery_id;
  auto v = VerifySignature(r);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->code, VerifyCode::kOk);
  ASSERT_TRUE(v->recovered_key.has_value());
  EXPECT_TRUE(v->recovered_key->point == r.public_key->point);
}

TEST_F(VerifyTest, WrongKeyDigestOrTamperedSignature) {
  VerifyRequest r = Request(sig_.der, digest_);
  r.public_key = *ParsePublicKey(other_.compressed);
  EXPECT_EQ(Code(r), VerifyCode::kBadSignature);
  Digest d = digest_;
  d[31] ^= 1;
  EXPECT_EQ(Code(Request(sig_.der, d)), VerifyCode::kBadSignature);
  // The same message under the other hash function.
  EXPECT_EQ(
      Code(Request(sig_.der, keccak::Keccak256(Bytes("pay 1 BTC to bob")))),
      VerifyCode::kBadSignature);
  for (size_t byte : {0, 31, 32, 63}) {
    std::vector<uint8_t> c = sig_.compact;
    c[byte] ^= 0x01;
    auto parsed = ParseSignature(c, SignatureEncoding::kAuto);
    if (!parsed.ok()) continue;  // (not below n: refused by the parser)
    VerifyRequest t = Request(sig_.compact, digest_);
    t.signature = std::move(*parsed);
    EXPECT_EQ(Code(t), VerifyCode::kBadSignature) << byte;
  }
}

TEST_F(VerifyTest, HighS) {
  const std::vector<uint8_t> high = testing::HighSTwin(sig_.compact);
  VerifyRequest r = Request(high, digest_);
  auto v = VerifySignature(r);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->code, VerifyCode::kHighS);
  EXPECT_FALSE(v->low_s);
  EXPECT_TRUE(absl::StrContains(v->message, "high-S"));
  r.allow_high_s = true;
  EXPECT_EQ(Code(r), VerifyCode::kOk);
  // DER form too.
  VerifyRequest d = Request(testing::CompactToDer(high), digest_);
  EXPECT_EQ(Code(d), VerifyCode::kHighS);
  d.allow_high_s = true;
  EXPECT_EQ(Code(d), VerifyCode::kOk);
  // Allowing high S does not accept a wrong key.
  d.public_key = *ParsePublicKey(other_.compressed);
  EXPECT_EQ(Code(d), VerifyCode::kBadSignature);
  // Negating s negates R: the recovery id of (r, n - s) is id ^ 1.
  std::vector<uint8_t> high_rec = high;
  high_rec.push_back(static_cast<uint8_t>(sig_.recovery_id ^ 1));
  VerifyRequest hr = Request(high_rec, digest_);
  hr.allow_high_s = true;
  EXPECT_EQ(Code(hr), VerifyCode::kOk);
  high_rec.back() = static_cast<uint8_t>(sig_.recovery_id);
  hr = Request(high_rec, digest_);
  hr.allow_high_s = true;
  EXPECT_EQ(Code(hr), VerifyCode::kRecoveryMismatch);
}

TEST_F(VerifyTest, WrongRecoveryId) {
  VerifyRequest r = Request(sig_.Recoverable(27), digest_);
  r.signature.recovery_id = sig_.recovery_id ^ 1;
  auto v = VerifySignature(r);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->code, VerifyCode::kRecoveryMismatch);
  EXPECT_TRUE(absl::StrContains(v->message, "recovery id")) << v->message;
  // Ids 2 and 3 mean R.x = r + n, which is >= p for this r: no key.
  r.signature.recovery_id = sig_.recovery_id | 2;
  EXPECT_EQ(Code(r), VerifyCode::kRecoveryFailed);
  r.signature.recovery_id = std::nullopt;
  r.recovery_id = 4;
  EXPECT_FALSE(VerifySignature(r).ok());
  r.recovery_id = -1;
  EXPECT_FALSE(VerifySignature(r).ok());
}

TEST_F(VerifyTest, Address) {
  VerifyRequest r = Request(sig_.Recoverable(27), digest_);
  const ethereum::Address address = AddressOf(*r.public_key);
  r.public_key.reset();
  r.address = address;
  auto v = VerifySignature(r);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->code, VerifyCode::kOk) << v->message;
  ASSERT_TRUE(v->key.has_value());
  EXPECT_EQ(std::vector<uint8_t>(v->key->compressed.begin(),
                                 v->key->compressed.end()),
            key_.compressed);
  // Another address, another digest, a wrong recovery id.
  r.address = AddressOf(*ParsePublicKey(other_.compressed));
  EXPECT_EQ(Code(r), VerifyCode::kAddressMismatch);
  r.address = address;
  r.digest[0] ^= 1;
  EXPECT_EQ(Code(r), VerifyCode::kAddressMismatch);
  r.digest = digest_;
  r.signature.recovery_id = sig_.recovery_id ^ 1;
  EXPECT_EQ(Code(r), VerifyCode::kAddressMismatch);
  // Without a recovery id, or with both a key and an address: malformed.
  VerifyRequest no_id = Request(sig_.der, digest_);
  no_id.public_key.reset();
  no_id.address = address;
  EXPECT_EQ(VerifySignature(no_id).status().code(),
            absl::StatusCode::kInvalidArgument);
  VerifyRequest both = Request(sig_.Recoverable(0), digest_);
  both.address = address;
  EXPECT_EQ(VerifySignature(both).status().code(),
            absl::StatusCode::kInvalidArgument);
  VerifyRequest neither = Request(sig_.der, digest_);
  neither.public_key.reset();
  EXPECT_EQ(VerifySignature(neither).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nitro_tss::tssctl
