#include "mpc/zk/pi_prm.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/paillier/paillier.h"
#include "mpc/paillier/wire.h"

namespace nitro_tss::mpc {
namespace {

constexpr size_t kMaxIntBytes = kPaillierModulusBits / 8;

absl::Status Fail(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("pi_prm: ", what));
}

std::vector<bool> Challenges(const RingPedersenParams& params,
                             const std::vector<BigInt>& commitments,
                             const ProofContext& ctx) {
  Transcript t = Transcript::ForProof("pi_prm", ctx);
  t.AppendU64("repetitions", kPiPrmRepetitions);
  t.AppendBigInt("N", params.n());
  t.AppendBigInt("s", params.s());
  t.AppendBigInt("t", params.t());
  for (const BigInt& a : commitments) t.AppendBigInt("A", a);
  return t.ChallengeBits("e", kPiPrmRepetitions);
}

}  // namespace

PiPrmProof ProvePiPrm(const RingPedersenSecret& secret, const ProofContext& ctx,
                      RandomSource& rng) {
  PiPrmProof proof;
  std::vector<BigInt> a(kPiPrmRepetitions);
  proof.commitments.reserve(kPiPrmRepetitions);
  for (size_t i = 0; i < kPiPrmRepetitions; ++i) {
    a[i] = BigInt::RandomBelow(secret.phi(), rng);
    proof.commitments.push_back(secret.PowT(a[i]));
  }
  std::vector<bool> e = Challenges(secret.params(), proof.commitments, ctx);
  proof.responses.reserve(kPiPrmRepetitions);
  for (size_t i = 0; i < kPiPrmRepetitions; ++i) {
    if (e[i]) {
      proof.responses.push_back(
          BigInt::ModAdd(a[i], secret.lambda(), secret.phi()));
    } else {
      proof.responses.push_back(a[i]);
    }
    a[i].Wipe();
  }
  return proof;
}

absl::Status VerifyPiPrm(const RingPedersenParams& params,
                         const PiPrmProof& proof, const ProofContext& ctx) {
  const BigInt& n = params.n();
  if (proof.commitments.size() != kPiPrmRepetitions) {
    return Fail(absl::StrCat("expected ", kPiPrmRepetitions,
                             " commitments, got ", proof.commitments.size()));
  }
  if (proof.responses.size() != kPiPrmRepetitions) {
    return Fail(absl::StrCat("expected ", kPiPrmRepetitions, " responses, got ",
                             proof.responses.size()));
  }
  for (size_t i = 0; i < kPiPrmRepetitions; ++i) {
    if (!wire::IsUnitMod(proof.commitments[i], n)) {
      return Fail(absl::StrCat("A[", i, "] not in Z*_N"));
    }
    if (proof.responses[i].IsNegative() || proof.responses[i] >= n) {
      return Fail(absl::StrCat("z[", i, "] out of range [0, N)"));
    }
  }
  std::vector<bool> e = Challenges(params, proof.commitments, ctx);
  for (size_t i = 0; i < kPiPrmRepetitions; ++i) {
    BigInt lhs = BigInt::PowMod(params.t(), proof.responses[i], n);
    BigInt rhs = e[i] ? BigInt::ModMul(proof.commitments[i], params.s(), n)
                      : proof.commitments[i];
    if (lhs != rhs) {
      return Fail(
          absl::StrCat("t^z[", i, "] != A[", i, "] s^e[", i, "] mod N"));
    }
  }
  return absl::OkStatus();
}

v1::PiPrmProof PiPrmProofToProto(const PiPrmProof& proof) {
  v1::PiPrmProof out;
  for (const BigInt& a : proof.commitments) {
    out.add_commitments(wire::EncodeInt(a));
  }
  for (const BigInt& z : proof.responses) out.add_responses(wire::EncodeInt(z));
  return out;
}

absl::StatusOr<PiPrmProof> PiPrmProofFromProto(const v1::PiPrmProof& proto) {
  if (static_cast<size_t>(proto.commitments_size()) != kPiPrmRepetitions) {
    return Fail(absl::StrCat("expected ", kPiPrmRepetitions,
                             " commitments, got ", proto.commitments_size()));
  }
  if (static_cast<size_t>(proto.responses_size()) != kPiPrmRepetitions) {
    return Fail(absl::StrCat("expected ", kPiPrmRepetitions, " responses, got ",
                             proto.responses_size()));
  }
  PiPrmProof proof;
  for (int i = 0; i < proto.commitments_size(); ++i) {
    absl::StatusOr<BigInt> a =
        wire::DecodeInt("pi_prm", absl::StrCat("A[", i, "]"),
                        proto.commitments(i), kMaxIntBytes);
    if (!a.ok()) return a.status();
    proof.commitments.push_back(*std::move(a));
  }
  for (int i = 0; i < proto.responses_size(); ++i) {
    absl::StatusOr<BigInt> z = wire::DecodeInt(
        "pi_prm", absl::StrCat("z[", i, "]"), proto.responses(i), kMaxIntBytes);
    if (!z.ok()) return z.status();
    proof.responses.push_back(*std::move(z));
  }
  return proof;
}

}  // namespace nitro_tss::mpc
