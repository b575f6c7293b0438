#include "mpc/transcript/transcript.h"

#include <gtest/gtest.h>

namespace nitro_tss::mpc {
namespace {

std::vector<uint8_t> Bytes(absl::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

TEST(Transcript, DeterministicForSameInputs) {
  Transcript a("d"), b("d");
  a.AppendBytes("x", Bytes("hello"));
  b.AppendBytes("x", Bytes("hello"));
  EXPECT_EQ(a.ChallengeBytes("c", 32), b.ChallengeBytes("c", 32));
}

TEST(Transcript, EncodingIsUnambiguous) {
  // Moving a byte between adjacent elements (the α-shuffle pattern) changes
  // the challenge.
  Transcript a("d"), b("d");
  a.AppendBytes("x", Bytes("ab"));
  a.AppendBytes("x", Bytes("c"));
  b.AppendBytes("x", Bytes("a"));
  b.AppendBytes("x", Bytes("bc"));
  EXPECT_NE(a.ChallengeBytes("c", 32), b.ChallengeBytes("c", 32));
  // Label vs data boundary.
  Transcript c("d"), e("d");
  c.AppendBytes("xa", Bytes("b"));
  e.AppendBytes("x", Bytes("ab"));
  EXPECT_NE(c.ChallengeBytes("c", 32), e.ChallengeBytes("c", 32));
  // Same bytes, different type.
  Transcript f("d"), g("d");
  f.AppendBigInt("v", BigInt(5));
  g.AppendBytes("v", BigInt(5).ToSignedBytes());
  EXPECT_NE(f.ChallengeBytes("c", 32), g.ChallengeBytes("c", 32));
  // Sign of an integer matters.
  Transcript h("d"), k("d");
  h.AppendBigInt("v", BigInt(5));
  k.AppendBigInt("v", BigInt(-5));
  EXPECT_NE(h.ChallengeBytes("c", 32), k.ChallengeBytes("c", 32));
  // Domain separation.
  Transcript m("d1"), n("d2");
  EXPECT_NE(m.ChallengeBytes("c", 32), n.ChallengeBytes("c", 32));
}

TEST(Transcript, ProofContextBindsEveryField) {
  ProofContext base{{1, 2, 3}, "gg20/keygen", 1, 2, 3};
  auto challenge = [](const ProofContext& ctx) {
    return Transcript::ForProof("schnorr", ctx).ChallengeBytes("e", 32);
  };
  std::vector<uint8_t> c0 = challenge(base);
  ProofContext v = base;
  v.session_id = {1, 2, 4};
  EXPECT_NE(challenge(v), c0);
  v = base;
  v.protocol = "gg20/sign";
  EXPECT_NE(challenge(v), c0);
  v = base;
  v.round = 2;
  EXPECT_NE(challenge(v), c0);
  v = base;
  v.prover = 9;
  EXPECT_NE(challenge(v), c0);
  v = base;
  v.verifier = ProofContext::kBroadcast;
  EXPECT_NE(challenge(v), c0);
  EXPECT_NE(Transcript::ForProof("other", base).ChallengeBytes("e", 32), c0);
  EXPECT_EQ(challenge(base), c0);
}

TEST(Transcript, ConsecutiveChallengesDifferAndForksAreIndependent) {
  Transcript t("d");
  auto c1 = t.ChallengeBytes("c", 32);
  auto c2 = t.ChallengeBytes("c", 32);
  EXPECT_NE(c1, c2);
  Transcript u("d");
  Transcript f1 = u.Fork("rep-1");
  Transcript f2 = u.Fork("rep-2");
  EXPECT_NE(f1.ChallengeBytes("c", 32), f2.ChallengeBytes("c", 32));
  EXPECT_EQ(u.ChallengeBytes("c", 32), c1);  // parent unchanged by forks
}

TEST(Transcript, ChallengeRanges) {
  Transcript t("d");
  BigInt bound(1000);
  for (int i = 0; i < 500; ++i) {
    BigInt e = t.ChallengeBelow("e", bound);
    ASSERT_GE(e, BigInt(0));
    ASSERT_LT(e, bound);
    BigInt s = t.ChallengeSymmetric("s", BigInt(10));
    ASSERT_GE(s, BigInt(-10));
    ASSERT_LE(s, BigInt(10));
  }
  auto bits = t.ChallengeBits("b", 128);
  size_t ones = 0;
  for (bool b : bits) ones += b;
  EXPECT_GT(ones, 30u);
  EXPECT_LT(ones, 98u);
}

}  // namespace
}  // namespace nitro_tss::mpc
