#include "mpc/zk/pi_prm.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mpc/curve/codec.h"
#include "mpc/paillier/paillier.h"
#include "mpc/paillier/wire.h"

namespace nitro_tss::mpc::zk {
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

// base^e mod n for many public exponents 0 <= e < 2^max_bits with one
// public base (the verifier's t^z[i]): Lim–Lee comb with kRows rows of
// a = ceil(max_bits / kRows) bits, T[j] = prod_{bit r of j} base^(2^(r·a)).
// Each Pow costs a squarings and at most a multiplications instead of
// ~max_bits squarings. Variable time: only for public values.
class PublicFixedBaseExp {
 public:
  PublicFixedBaseExp(const BigInt& base, const BigInt& n, size_t max_bits)
      : n_(n), cols_((max_bits + kRows - 1) / kRows) {
    std::vector<BigInt> rows(kRows);
    rows[0] = BigInt::Mod(base, n);
    for (size_t r = 1; r < kRows; ++r) {
      rows[r] = rows[r - 1];
      for (size_t k = 0; k < cols_; ++k) {
        mpz_mul(rows[r].get_mut(), rows[r].get(), rows[r].get());
        mpz_mod(rows[r].get_mut(), rows[r].get(), n.get());
      }
    }
    table_.resize(size_t{1} << kRows);
    table_[0] = BigInt(1);
    for (size_t j = 1; j < table_.size(); ++j) {
      size_t top = 0;
      while ((j >> (top + 1)) != 0) ++top;
      table_[j] = BigInt::ModMul(table_[j ^ (size_t{1} << top)], rows[top], n);
    }
  }

  // Requires 0 <= e < 2^(kRows·a) (checked by the caller: e < N).
  BigInt Pow(const BigInt& e) const {
    BigInt acc(1);
    for (size_t k = cols_; k-- > 0;) {
      mpz_mul(acc.get_mut(), acc.get(), acc.get());
      mpz_mod(acc.get_mut(), acc.get(), n_.get());
      size_t index = 0;
      for (size_t r = 0; r < kRows; ++r) {
        if (mpz_tstbit(e.get(), r * cols_ + k)) index |= size_t{1} << r;
      }
      if (index != 0) {
        mpz_mul(acc.get_mut(), acc.get(), table_[index].get());
        mpz_mod(acc.get_mut(), acc.get(), n_.get());
      }
    }
    return acc;
  }

 private:
  static constexpr size_t kRows = 8;
  const BigInt& n_;
  size_t cols_;
  std::vector<BigInt> table_;
};

}  // namespace

absl::StatusOr<PiPrmProof> ProvePiPrm(const PiPrmStatement& statement,
                                      const PiPrmWitness& witness,
                                      const ProofContext& ctx,
                                      RandomSource& rng) {
  const RingPedersenSecret& secret = witness.secret;
  if (!(secret.params() == statement.ring_pedersen)) {
    return Fail("witness does not match statement");
  }
  PiPrmProof proof;
  std::vector<BigInt> a(kPiPrmRepetitions);
  proof.commitments.reserve(kPiPrmRepetitions);
  for (size_t i = 0; i < kPiPrmRepetitions; ++i) {
    a[i] = BigInt::RandomBelow(secret.phi(), rng);
    proof.commitments.push_back(secret.PowT(a[i]));
  }
  std::vector<bool> e =
      Challenges(statement.ring_pedersen, proof.commitments, ctx);
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

absl::Status VerifyPiPrm(const PiPrmStatement& statement,
                         const PiPrmProof& proof, const ProofContext& ctx) {
  const RingPedersenParams& params = statement.ring_pedersen;
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
  const PublicFixedBaseExp t_pow(params.t(), n, n.BitLength());
  for (size_t i = 0; i < kPiPrmRepetitions; ++i) {
    BigInt lhs = t_pow.Pow(proof.responses[i]);
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
  if (absl::Status st = RejectUnknownFields(proto, "pi_prm"); !st.ok()) {
    return st;
  }
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

}  // namespace nitro_tss::mpc::zk
