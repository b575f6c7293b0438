#include "mpc/curve/secp256k1.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <secp256k1_recovery.h>
#include <sodium.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace nitro_tss::mpc {
namespace {

using ::testing::HasSubstr;

constexpr char kOrderHex[] =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
constexpr char kPrimeHex[] =
    "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";
constexpr char kGHex[] =
    "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
constexpr char k2GHex[] =
    "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5";
constexpr char k3GHex[] =
    "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
constexpr char kMinusGHex[] =
    "0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

std::vector<uint8_t> Hex(absl::string_view h) {
  std::string b = absl::HexStringToBytes(h);
  return std::vector<uint8_t>(b.begin(), b.end());
}

std::string HexOf(absl::Span<const uint8_t> b) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

Scalar S(uint64_t v) { return Scalar::FromU64(v); }

Scalar OrderMinus(uint64_t k) {
  return Scalar::FromBigIntReduce(Scalar::Order() - BigInt::FromU64(k));
}

// ------------------------------------------------------------ Scalar

TEST(Scalar, OrderConstant) { EXPECT_EQ(Scalar::Order().ToHex(), kOrderHex); }

TEST(Scalar, FromBytesEdgeValues) {
  // 0 is accepted.
  std::vector<uint8_t> zero(32, 0);
  auto z = Scalar::FromBytes(zero);
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE(z->IsZero());
  // n - 1 is accepted.
  auto nm1 = Scalar::FromBytes(
      Hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"));
  ASSERT_TRUE(nm1.ok());
  EXPECT_EQ(*nm1, OrderMinus(1));
  EXPECT_EQ(nm1->Add(S(1)), Scalar::Zero());
  // n is rejected.
  auto n = Scalar::FromBytes(Hex(kOrderHex));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "scalar: value >= group order");
  // n + 1 and 2^256 - 1 are rejected.
  EXPECT_FALSE(Scalar::FromBytes(Hex("ffffffffffffffffffffffffffffffffebaaedce6"
                                     "af48a03bbfd25e8cd0364142"))
                   .ok());
  auto max = Scalar::FromBytes(std::vector<uint8_t>(32, 0xff));
  ASSERT_FALSE(max.ok());
  EXPECT_EQ(max.status().message(), "scalar: value >= group order");
}

TEST(Scalar, FromBytesRejectsWrongLengths) {
  for (size_t len : {0, 1, 31, 33, 64}) {
    auto s = Scalar::FromBytes(std::vector<uint8_t>(len, 1));
    ASSERT_FALSE(s.ok()) << len;
    EXPECT_THAT(std::string(s.status().message()),
                HasSubstr("scalar: expected 32 bytes"));
  }
}

TEST(Scalar, EncodingRoundTrip) {
  DeterministicRandom rng(1);
  for (int i = 0; i < 50; ++i) {
    Scalar a = Scalar::Random(rng);
    auto enc = a.ToBytes();
    auto b = Scalar::FromBytes(enc);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a, *b);
    EXPECT_EQ(Scalar::FromBigIntReduce(a.ToBigInt()), a);
  }
  EXPECT_EQ(HexOf(S(0x0102).ToBytes()), std::string(60, '0') + "0102");
}

TEST(Scalar, FromBigIntReduce) {
  EXPECT_TRUE(Scalar::FromBigIntReduce(Scalar::Order()).IsZero());
  EXPECT_EQ(Scalar::FromBigIntReduce(Scalar::Order() + BigInt(5)), S(5));
  EXPECT_EQ(Scalar::FromBigIntReduce(BigInt(-1)), OrderMinus(1));
  BigInt big = BigInt::PowerOfTwo(256) - BigInt(1);
  EXPECT_EQ(Scalar::FromBigIntReduce(big).ToBigInt(),
            BigInt::Mod(big, Scalar::Order()));
}

TEST(Scalar, ArithmeticMatchesGmp) {
  DeterministicRandom rng(2);
  const BigInt& n = Scalar::Order();
  std::vector<Scalar> values = {S(0), S(1), S(2), OrderMinus(1), OrderMinus(2)};
  for (int i = 0; i < 20; ++i) values.push_back(Scalar::Random(rng));
  for (const Scalar& a : values) {
    for (const Scalar& b : values) {
      EXPECT_EQ(a.Add(b).ToBigInt(),
                BigInt::ModAdd(a.ToBigInt(), b.ToBigInt(), n));
      EXPECT_EQ(a.Sub(b).ToBigInt(),
                BigInt::ModSub(a.ToBigInt(), b.ToBigInt(), n));
      EXPECT_EQ(a.Mul(b).ToBigInt(),
                BigInt::ModMul(a.ToBigInt(), b.ToBigInt(), n));
    }
    EXPECT_EQ(a.Negate().ToBigInt(),
              BigInt::ModSub(BigInt(0), a.ToBigInt(), n));
  }
}

TEST(Scalar, AddToZeroAndNegateZero) {
  Scalar a = OrderMinus(7);
  EXPECT_TRUE(a.Add(S(7)).IsZero());
  EXPECT_TRUE(Scalar::Zero().Negate().IsZero());
  EXPECT_TRUE(a.Sub(a).IsZero());
  EXPECT_TRUE(a.Mul(S(0)).IsZero());
}

TEST(Scalar, Inverse) {
  auto zero_inv = Scalar::Zero().Inverse();
  ASSERT_FALSE(zero_inv.ok());
  EXPECT_EQ(zero_inv.status().message(), "scalar: inverse of zero");
  EXPECT_EQ(*S(1).Inverse(), S(1));
  EXPECT_EQ(*OrderMinus(1).Inverse(), OrderMinus(1));
  DeterministicRandom rng(3);
  for (int i = 0; i < 20; ++i) {
    Scalar a = Scalar::RandomNonZero(rng);
    auto inv = a.Inverse();
    ASSERT_TRUE(inv.ok());
    EXPECT_EQ(a.Mul(*inv), S(1));
  }
}

TEST(Scalar, RandomIsInRangeAndVaries) {
  DeterministicRandom rng(4);
  Scalar prev = Scalar::Random(rng);
  for (int i = 0; i < 100; ++i) {
    Scalar a = Scalar::RandomNonZero(rng);
    EXPECT_FALSE(a.IsZero());
    EXPECT_LT(a.ToBigInt(), Scalar::Order());
    EXPECT_NE(a, prev);
    prev = a;
  }
}

TEST(Scalar, MoveLeavesZeroAndWipe) {
  Scalar a = S(42);
  Scalar b = std::move(a);
  EXPECT_EQ(b, S(42));
  EXPECT_TRUE(a.IsZero());  // NOLINT(bugprone-use-after-move)
  b.Wipe();
  EXPECT_TRUE(b.IsZero());
}

// ------------------------------------------------------------ Point

TEST(Point, GeneratorAndKnownMultiples) {
  EXPECT_EQ(HexOf(*Point::Generator().Encode()), kGHex);
  EXPECT_EQ(HexOf(*Point::MulBase(S(2)).Encode()), k2GHex);
  EXPECT_EQ(HexOf(*Point::MulBase(S(3)).Encode()), k3GHex);
  EXPECT_EQ(HexOf(*Point::MulBase(OrderMinus(1)).Encode()), kMinusGHex);
  EXPECT_EQ(Point::MulBase(OrderMinus(1)), Point::Generator().Negate());
  // Via generic Mul and Add too.
  Point g = Point::Generator();
  EXPECT_EQ(HexOf(*g.Mul(S(2)).Encode()), k2GHex);
  EXPECT_EQ(HexOf(*(g + g).Encode()), k2GHex);
  EXPECT_EQ(HexOf(*(g + g + g).Encode()), k3GHex);
  EXPECT_EQ(HexOf(*g.Mul(S(3)).Encode()), k3GHex);
}

TEST(Point, ZeroTimesAnythingIsIdentity) {
  EXPECT_TRUE(Point::MulBase(S(0)).IsIdentity());
  EXPECT_TRUE(Point::Generator().Mul(S(0)).IsIdentity());
  EXPECT_TRUE(Point::Identity().Mul(S(5)).IsIdentity());
  EXPECT_TRUE(Point::Generator()
                  .Mul(Scalar::FromBigIntReduce(Scalar::Order()))
                  .IsIdentity());
}

TEST(Point, AddInverseIsIdentity) {
  DeterministicRandom rng(5);
  Point p = Point::MulBase(Scalar::RandomNonZero(rng));
  Point sum = p + p.Negate();
  EXPECT_TRUE(sum.IsIdentity());
  EXPECT_TRUE((p - p).IsIdentity());
  EXPECT_EQ(sum + p, p);
  EXPECT_EQ(p + Point::Identity(), p);
  EXPECT_EQ(Point::Identity() + p, p);
  EXPECT_TRUE(Point::Identity().Negate().IsIdentity());
  // (n-1)G + G = identity.
  EXPECT_TRUE(
      (Point::MulBase(OrderMinus(1)) + Point::Generator()).IsIdentity());
}

TEST(Point, Sum) {
  DeterministicRandom rng(55);
  EXPECT_TRUE(Point::Sum({}).IsIdentity());
  std::vector<Point> pts;
  Point expected;
  for (int i = 0; i < 5; ++i) {
    pts.push_back(Point::MulBase(Scalar::RandomNonZero(rng)));
    expected = expected + pts.back();
  }
  EXPECT_EQ(Point::Sum(pts), expected);
  pts.push_back(Point::Identity());
  EXPECT_EQ(Point::Sum(pts), expected);
  pts.push_back(expected.Negate());
  EXPECT_TRUE(Point::Sum(pts).IsIdentity());
  EXPECT_EQ(Point::Sum({Point::Identity(), Point::Generator()}),
            Point::Generator());
}

TEST(Point, ScalarMulIsLinear) {
  DeterministicRandom rng(6);
  for (int i = 0; i < 10; ++i) {
    Scalar a = Scalar::Random(rng), b = Scalar::Random(rng);
    Point p = Point::MulBase(b);
    EXPECT_EQ(p.Mul(a), Point::MulBase(a.Mul(b)));
    EXPECT_EQ(Point::MulBase(a) + Point::MulBase(b), Point::MulBase(a + b));
  }
}

TEST(Point, EncodeIdentityFails) {
  auto e = Point::Identity().Encode();
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "point: cannot encode the identity");
  auto z = Point::Identity().EncodeOrZeros();
  EXPECT_EQ(z, (std::array<uint8_t, 33>{}));
  EXPECT_FALSE(Point::Identity().XCoordinateModN().ok());
  EXPECT_FALSE(Point::Identity().HasOddY().ok());
}

TEST(Point, DecodeRoundTrip) {
  DeterministicRandom rng(7);
  for (int i = 0; i < 20; ++i) {
    Point p = Point::MulBase(Scalar::RandomNonZero(rng));
    auto enc = p.Encode();
    ASSERT_TRUE(enc.ok());
    auto q = Point::Decode(*enc);
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(p, *q);
    EXPECT_EQ(*q->HasOddY(), (*enc)[0] == 0x03);
  }
}

TEST(Point, DecodeRejectsWrongLengths) {
  std::vector<uint8_t> g = Hex(kGHex);
  std::vector<uint8_t> g32(g.begin() + 1, g.end());
  std::vector<uint8_t> g34 = g;
  g34.push_back(0);
  for (const auto& in :
       {g32, g34, std::vector<uint8_t>{}, std::vector<uint8_t>{0x00}}) {
    auto p = Point::Decode(in);
    ASSERT_FALSE(p.ok());
    EXPECT_THAT(std::string(p.status().message()),
                HasSubstr("point: expected 33-byte compressed encoding"));
  }
  // 65-byte uncompressed G (valid for libsecp256k1, rejected here).
  auto unc = Point::Decode(Hex(
      "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada"
      "7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"));
  ASSERT_FALSE(unc.ok());
  EXPECT_THAT(std::string(unc.status().message()),
              HasSubstr("point: expected 33-byte"));
}

TEST(Point, DecodeRejectsWrongPrefix) {
  std::vector<uint8_t> g = Hex(kGHex);
  for (uint8_t prefix : {0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff}) {
    g[0] = prefix;
    auto p = Point::Decode(g);
    ASSERT_FALSE(p.ok());
    EXPECT_THAT(std::string(p.status().message()),
                HasSubstr("point: invalid prefix byte"));
  }
  // The all-zero "infinity" encoding.
  auto inf = Point::Decode(std::vector<uint8_t>(33, 0));
  ASSERT_FALSE(inf.ok());
  EXPECT_THAT(std::string(inf.status().message()),
              HasSubstr("point: invalid prefix byte 0"));
}

TEST(Point, DecodeRejectsOffCurveX) {
  // Find small x with x^3 + 7 a non-residue mod p; such x is off the curve.
  BigInt p = *BigInt::FromHex(kPrimeHex);
  int found = 0;
  for (uint64_t x = 0; x < 50; ++x) {
    BigInt bx = BigInt::FromU64(x);
    BigInt rhs = BigInt::Mod(bx * bx * bx + BigInt(7), p);
    std::vector<uint8_t> enc = {0x02};
    std::vector<uint8_t> xb = bx.ToBytes(32);
    enc.insert(enc.end(), xb.begin(), xb.end());
    auto pt = Point::Decode(enc);
    if (BigInt::Jacobi(rhs, p) == -1) {
      ++found;
      ASSERT_FALSE(pt.ok()) << x;
      EXPECT_EQ(pt.status().message(), "point: x is not on the curve");
    } else {
      EXPECT_TRUE(pt.ok()) << x;
    }
  }
  EXPECT_GT(found, 5);
}

TEST(Point, DecodeRejectsNonCanonicalX) {
  // x = p and x = p + 1 (whose residue 1 is on the curve? either way the
  // encoding is non-canonical) and x = 2^256 - 1.
  BigInt p = *BigInt::FromHex(kPrimeHex);
  for (const BigInt& x :
       {p, p + BigInt(1), p + BigInt(2), BigInt::PowerOfTwo(256) - BigInt(1)}) {
    std::vector<uint8_t> enc = {0x03};
    std::vector<uint8_t> xb = x.ToBytes(32);
    enc.insert(enc.end(), xb.begin(), xb.end());
    auto pt = Point::Decode(enc);
    ASSERT_FALSE(pt.ok());
    EXPECT_EQ(pt.status().message(),
              "point: x coordinate >= field prime (non-canonical)");
  }
}

TEST(Point, SecondGeneratorH) {
  const Point& h = Point::H();
  EXPECT_FALSE(h.IsIdentity());
  EXPECT_NE(h, Point::Generator());
  EXPECT_FALSE(*h.HasOddY());  // built from a 0x02 encoding
  // Reproduce the documented derivation.
  for (uint32_t ctr = 0;; ++ctr) {
    std::string msg = "nitro-tss/secp256k1/H/v1";
    msg.push_back(static_cast<char>(ctr >> 24));
    msg.push_back(static_cast<char>(ctr >> 16));
    msg.push_back(static_cast<char>(ctr >> 8));
    msg.push_back(static_cast<char>(ctr));
    std::vector<uint8_t> enc(33);
    enc[0] = 0x02;
    crypto_hash_sha256(enc.data() + 1,
                       reinterpret_cast<const uint8_t*>(msg.data()),
                       msg.size());
    auto p = Point::Decode(enc);
    if (p.ok()) {
      EXPECT_EQ(*p, h);
      break;
    }
  }
}

TEST(Point, XCoordinateModN) {
  // x(G) < n, so r = x(G).
  auto r = Point::Generator().XCoordinateModN();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ToBigInt().ToHex(),
            "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  EXPECT_FALSE(*Point::Generator().XCoordinateOverflowsOrder());
  EXPECT_FALSE(*Point::Generator().HasOddY());
  EXPECT_TRUE(*Point::Generator().Negate().HasOddY());
}

// ------------------------------------------------------------ ECDSA

TEST(Ecdsa, ManualSignatureVerifiesAndRecovers) {
  DeterministicRandom rng(8);
  for (int i = 0; i < 20; ++i) {
    Scalar x = Scalar::RandomNonZero(rng);
    Point pk = Point::MulBase(x);
    std::array<uint8_t, 32> digest;
    rng.Fill(digest.data(), digest.size());
    Scalar m = Scalar::FromBigIntReduce(BigInt::FromBytes(digest));
    Scalar k = Scalar::RandomNonZero(rng);
    Point big_r = Point::MulBase(k);
    EcdsaSignature sig;
    sig.r = *big_r.XCoordinateModN();
    sig.s = k.Inverse()->Mul(m + sig.r * x);
    sig.recovery_id = *RecoveryIdForNoncePoint(big_r);
    // Any s (high or low) verifies by default.
    EXPECT_TRUE(VerifyEcdsa(pk, digest, sig.r, sig.s).ok());
    EcdsaSignature low = NormalizeLowS(sig);
    EXPECT_TRUE(IsLowS(low.s));
    EXPECT_TRUE(VerifyEcdsa(pk, digest, low.r, low.s, true).ok());
    if (!IsLowS(sig.s)) {
      EXPECT_EQ(low.recovery_id, sig.recovery_id ^ 1);
      auto st = VerifyEcdsa(pk, digest, sig.r, sig.s, true);
      EXPECT_EQ(st.message(), "ecdsa: s is not low");
    }
    EXPECT_TRUE(VerifyRecoverableEcdsa(pk, digest, low).ok());
    auto rec = RecoverEcdsaPublicKey(digest, low);
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(*rec, pk);
    // Wrong recovery id is detected.
    EcdsaSignature wrong = low;
    wrong.recovery_id ^= 1;
    auto st = VerifyRecoverableEcdsa(pk, digest, wrong);
    EXPECT_FALSE(st.ok());
    // Tampered digest / key fail.
    digest[0] ^= 1;
    EXPECT_EQ(VerifyEcdsa(pk, digest, low.r, low.s).message(),
              "ecdsa: invalid signature");
    digest[0] ^= 1;
    EXPECT_EQ(
        VerifyEcdsa(pk + Point::Generator(), digest, low.r, low.s).message(),
        "ecdsa: invalid signature");
  }
}

TEST(Ecdsa, AgreesWithLibsecp256k1Signer) {
  DeterministicRandom rng(9);
  for (int i = 0; i < 10; ++i) {
    Scalar x = Scalar::RandomNonZero(rng);
    std::array<uint8_t, 32> digest;
    rng.Fill(digest.data(), digest.size());
    secp256k1_ecdsa_recoverable_signature rsig;
    ASSERT_TRUE(secp256k1_ecdsa_sign_recoverable(
        Secp256k1Context(), &rsig, digest.data(), x.bytes().data(), nullptr,
        nullptr));
    uint8_t compact[64];
    int recid = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(
        Secp256k1Context(), compact, &recid, &rsig);
    EcdsaSignature sig;
    sig.r = *Scalar::FromBytes(absl::MakeConstSpan(compact, 32));
    sig.s = *Scalar::FromBytes(absl::MakeConstSpan(compact + 32, 32));
    sig.recovery_id = recid;
    EXPECT_TRUE(IsLowS(sig.s));
    EXPECT_TRUE(VerifyRecoverableEcdsa(Point::MulBase(x), digest, sig).ok());
  }
}

TEST(Ecdsa, RejectsDegenerateInputs) {
  std::array<uint8_t, 32> digest{};
  Point pk = Point::Generator();
  EXPECT_EQ(VerifyEcdsa(pk, absl::MakeConstSpan(digest).subspan(1), S(1), S(1))
                .message(),
            "ecdsa: digest must be 32 bytes");
  EXPECT_EQ(VerifyEcdsa(Point::Identity(), digest, S(1), S(1)).message(),
            "ecdsa: public key is the identity");
  EXPECT_EQ(VerifyEcdsa(pk, digest, S(0), S(1)).message(), "ecdsa: r is zero");
  EXPECT_EQ(VerifyEcdsa(pk, digest, S(1), S(0)).message(), "ecdsa: s is zero");
  EcdsaSignature bad;
  bad.r = S(1);
  bad.s = S(1);
  bad.recovery_id = 4;
  EXPECT_EQ(RecoverEcdsaPublicKey(digest, bad).status().message(),
            "ecdsa: recovery id out of range");
  EXPECT_FALSE(RecoveryIdForNoncePoint(Point::Identity()).ok());
}

TEST(Ecdsa, LowSBoundary) {
  // (n-1)/2 is low, (n+1)/2 is high.
  Scalar half =
      Scalar::FromBigIntReduce(BigInt::FloorDiv(Scalar::Order(), BigInt(2)));
  EXPECT_TRUE(IsLowS(half));
  EXPECT_FALSE(IsLowS(half + S(1)));
  EXPECT_TRUE(IsLowS(S(1)));
  EXPECT_FALSE(IsLowS(OrderMinus(1)));
}

}  // namespace
}  // namespace nitro_tss::mpc

// ---- Constant-time exponentiation (issue 12 finding 4) ----

namespace nitro_tss::mpc {
namespace {

TEST(ScalarConstTime, InverseUsesOnlyConstantTimeExponentiation) {
  DeterministicRandom rng(87);
  const Scalar s = Scalar::RandomNonZero(rng);
  const internal::PowModCallCounts before = internal::PowModCalls();
  absl::StatusOr<Scalar> inv = s.Inverse();
  const internal::PowModCallCounts after = internal::PowModCalls();
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(after.variable_time - before.variable_time, 0u);
  EXPECT_EQ(after.const_time - before.const_time, 1u);
  EXPECT_TRUE(s.Mul(*inv) == Scalar::One());
}

}  // namespace
}  // namespace nitro_tss::mpc
