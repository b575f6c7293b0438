#include "mpc/mta/mta.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/curve/codec.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/params.h"
#include "mpc/zk/ring_pedersen_table.h"

namespace nitro_tss::mpc::mta {

absl::StatusOr<PaillierEncryption> AliceEncrypt(
    const PaillierPrivateKey& alice_key, const Scalar& k, RandomSource& rng) {
  BigInt k_int = k.ToBigInt();
  absl::StatusOr<PaillierEncryption> enc = alice_key.Encrypt(k_int, rng);
  k_int.Wipe();
  return enc;
}

absl::StatusOr<MtaRequest> AliceRequest(
    const PaillierPrivateKey& alice_key, const PaillierEncryption& encryption,
    const Scalar& k, const RingPedersenParams& bob_params,
    const ProofContext& context, RandomSource& rng,
    const zk::RingPedersenTable* bob_table, BigInt* mu_out) {
  BigInt k_int = k.ToBigInt();
  zk::PiEncStatement st{alice_key.public_key(), bob_params,
                        encryption.ciphertext};
  zk::PiEncWitness w{k_int, encryption.nonce, &alice_key, bob_table, mu_out};
  absl::StatusOr<zk::PiEncProof> proof = zk::ProvePiEnc(st, w, context, rng);
  k_int.Wipe();
  if (!proof.ok()) return proof.status();
  return MtaRequest{encryption.ciphertext, *std::move(proof)};
}

absl::Status BobVerifyRequest(const PaillierPublicKey& alice_key,
                              const RingPedersenParams& bob_params,
                              const RingPedersenSecret* bob_secret,
                              const BigInt& cap_k,
                              const zk::PiEncProof& enc_proof,
                              const ProofContext& context) {
  zk::PiEncStatement st{alice_key, bob_params, cap_k};
  return zk::VerifyPiEnc(st, enc_proof, context, bob_secret);
}

namespace {

// Bob's values of one response before its proof: D, X, Y and the secrets
// behind them (x as an integer, the mask y, D's nonce ρ).
struct ResponseValues {
  BigInt cap_d;
  Point cap_x, cap_y;
  BigInt x_int, y, rho;
  void WipeSecrets() {
    x_int.Wipe();
    y.Wipe();
    rho.Wipe();
  }
};

absl::StatusOr<ResponseValues> MakeResponseValues(
    const PaillierPublicKey& alice_key, const BigInt& cap_k, const Scalar& x,
    const Point& base, RandomSource& rng, size_t y_bits,
    zk::PaillierNoncePool* alice_nonces) {
  if (absl::Status s = alice_key.ValidateCiphertext(cap_k); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mta: K invalid: ", s.message()));
  }
  if (base.IsIdentity()) {
    return absl::InvalidArgumentError("mta: base point is the identity");
  }
  if (x.IsZero()) {
    // X would be the identity, which no verifier accepts.
    return absl::InvalidArgumentError("mta: x is zero");
  }
  ResponseValues v;
  v.x_int = x.ToBigInt();
  v.y = BigInt::RandomSigned(y_bits, rng);
  // D = K^x · (1+N0)^y · ρ^N0: K^x · ρ^N0 in one simultaneous
  // exponentiation (x secret, 0 < x < q < 2^ℓ; K validated above).
  zk::NonceTimesPower nonce = zk::NextNonceTimesPower(
      alice_key, alice_nonces, cap_k, v.x_int, zk::kEll, rng);
  v.rho = std::move(nonce.r);
  v.cap_d = BigInt::ModMul(nonce.product, zk::OnePlusNPow(alice_key, v.y),
                           alice_key.n_squared());
  nonce.product.Wipe();
  // Y = y·base binds the mask (Bob's share is β = −y mod q).
  Scalar y_mod_q = Scalar::FromBigIntReduce(v.y);
  v.cap_y = base.Mul(y_mod_q);
  y_mod_q.Wipe();
  v.cap_x = base.Mul(x);
  return v;
}

BobResult ResultOf(ResponseValues& v, zk::PiAffGProof proof) {
  BobResult out;
  out.response.cap_d = std::move(v.cap_d);
  out.response.cap_y = v.cap_y;
  out.response.cap_x = v.cap_x;
  out.response.aff_g_proof = std::move(proof);
  out.beta = Scalar::FromBigIntReduce(-v.y);
  out.y = std::move(v.y);
  v.WipeSecrets();
  return out;
}

absl::StatusOr<BobResult> Respond(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Scalar& x, const Point& base,
    const ProofContext& context, RandomSource& rng, size_t y_bits,
    bool unchecked, const zk::RingPedersenTable* alice_table,
    zk::PaillierNoncePool* alice_nonces) {
  absl::StatusOr<ResponseValues> v =
      MakeResponseValues(alice_key, cap_k, x, base, rng, y_bits, alice_nonces);
  if (!v.ok()) return v.status();
  zk::PiAffGStatement st{alice_key, alice_params, cap_k,   v->cap_d,
                         base,      v->cap_x,     v->cap_y};
  zk::PiAffGWitness w{v->x_int, v->y, v->rho, alice_table, alice_nonces};
  absl::StatusOr<zk::PiAffGProof> proof =
      unchecked ? zk::internal::ProvePiAffGUnchecked(st, w, context, rng)
                : zk::ProvePiAffG(st, w, context, rng);
  if (!proof.ok()) {
    v->WipeSecrets();
    return proof.status();
  }
  return ResultOf(*v, *std::move(proof));
}

// The pair; `cheat` (tests only, internal::BobRespondPairCheating) or
// nullptr for the honest, checked prover.
absl::StatusOr<BobPairResult> RespondPair(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Scalar& x1, const Scalar& x2, const Point& base,
    const ProofContext& context, RandomSource& rng,
    const internal::BobPairCheat* cheat,
    const zk::RingPedersenTable* alice_table,
    zk::PaillierNoncePool* alice_nonces) {
  const bool unchecked = cheat != nullptr;
  absl::StatusOr<ResponseValues> v1 = MakeResponseValues(
      alice_key, cap_k, x1, base, rng,
      zk::kEllPrime + (unchecked ? cheat->first_extra_bits : 0), alice_nonces);
  if (!v1.ok()) return v1.status();
  const bool second_for_first = unchecked && cheat->second_x_from_first;
  absl::StatusOr<ResponseValues> v2 = MakeResponseValues(
      alice_key, cap_k, second_for_first ? x1 : x2, base, rng,
      zk::kEllPrime + (unchecked ? cheat->second_extra_bits : 0), alice_nonces);
  if (!v2.ok()) {
    v1->WipeSecrets();
    return v2.status();
  }
  if (unchecked) {
    // −D: the same plaintext, nonce −ρ; the proof below uses ρ.
    const BigInt& n0_sq = alice_key.n_squared();
    if (cheat->negate_first_d) v1->cap_d = n0_sq - v1->cap_d;
    if (cheat->negate_second_d) v2->cap_d = n0_sq - v2->cap_d;
    if (second_for_first) v2->cap_x = base.Mul(x2);
  }
  zk::PiAffGStatement st1{alice_key, alice_params, cap_k,    v1->cap_d,
                          base,      v1->cap_x,    v1->cap_y};
  zk::PiAffGStatement st2{alice_key, alice_params, cap_k,    v2->cap_d,
                          base,      v2->cap_x,    v2->cap_y};
  zk::PiAffGWitness w1{v1->x_int, v1->y, v1->rho, alice_table, alice_nonces};
  zk::PiAffGWitness w2{v2->x_int, v2->y, v2->rho, alice_table, alice_nonces};
  absl::StatusOr<zk::PiAffGPairProof> proof =
      unchecked ? zk::internal::ProvePiAffGPairUnchecked(st1, w1, st2, w2,
                                                         context, rng)
                : zk::ProvePiAffGPair(st1, w1, st2, w2, context, rng);
  if (!proof.ok()) {
    v1->WipeSecrets();
    v2->WipeSecrets();
    return proof.status();
  }
  BobPairResult out;
  out.first = ResultOf(*v1, std::move(proof->first));
  out.second = ResultOf(*v2, std::move(proof->second));
  return out;
}

}  // namespace

absl::StatusOr<BobResult> BobRespond(const PaillierPublicKey& alice_key,
                                     const RingPedersenParams& alice_params,
                                     const BigInt& cap_k, const Scalar& x,
                                     const Point& base,
                                     const ProofContext& context,
                                     RandomSource& rng,
                                     const zk::RingPedersenTable* alice_table,
                                     zk::PaillierNoncePool* alice_nonces) {
  return Respond(alice_key, alice_params, cap_k, x, base, context, rng,
                 zk::kEllPrime, /*unchecked=*/false, alice_table, alice_nonces);
}

absl::StatusOr<BobPairResult> BobRespondPair(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Scalar& x1, const Scalar& x2, const Point& base,
    const ProofContext& context, RandomSource& rng,
    const zk::RingPedersenTable* alice_table,
    zk::PaillierNoncePool* alice_nonces) {
  return RespondPair(alice_key, alice_params, cap_k, x1, x2, base, context, rng,
                     /*cheat=*/nullptr, alice_table, alice_nonces);
}

absl::Status VerifyResponse(const ResponseStatement& statement,
                            const BigInt& cap_d, const Point& cap_y,
                            const zk::PiAffGProof& proof,
                            const ProofContext& context,
                            const zk::PiAffGVerifierSecrets& alice_secrets) {
  zk::PiAffGStatement st{statement.alice_key,
                         statement.alice_params,
                         statement.cap_k,
                         cap_d,
                         statement.base,
                         statement.cap_x,
                         cap_y};
  return zk::VerifyPiAffG(st, proof, context, alice_secrets);
}

zk::PiAffGPairResult VerifyResponses(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Point& base, const ResponseToCheck& first,
    const ResponseToCheck& second, const ProofContext& context,
    const zk::PiAffGVerifierSecrets& alice_secrets) {
  zk::PiAffGStatement st1{alice_key, alice_params, cap_k,      first.cap_d,
                          base,      first.cap_x,  first.cap_y};
  zk::PiAffGStatement st2{alice_key, alice_params, cap_k,       second.cap_d,
                          base,      second.cap_x, second.cap_y};
  return zk::VerifyPiAffGPair(zk::PiAffGPairEntry{st1, first.d_plaintext_out},
                              zk::PiAffGPairEntry{st2, second.d_plaintext_out},
                              zk::PiAffGPairProof{first.proof, second.proof},
                              context, alice_secrets);
}

absl::StatusOr<BigInt> AliceDecrypt(const PaillierPrivateKey& alice_key,
                                    const BigInt& cap_d) {
  return alice_key.DecryptSigned(cap_d);
}

bool AlphaInRange(const BigInt& alpha) {
  return zk::InSignedRange(alpha, kAlphaBoundBits);
}

absl::StatusOr<AliceResult> AliceFinalize(
    const PaillierPrivateKey& alice_key, const RingPedersenParams& alice_params,
    const RingPedersenSecret* alice_secret, const BigInt& cap_k,
    const MtaResponse& response, const Point& base, const Point* expected_x,
    const ProofContext& context) {
  if (expected_x != nullptr && *expected_x != response.cap_x) {
    return absl::InvalidArgumentError(
        "mta: X does not match the expected point");
  }
  absl::Status verified = VerifyResponse(
      ResponseStatement{alice_key.public_key(), alice_params, cap_k, base,
                        response.cap_x},
      response.cap_d, response.cap_y, response.aff_g_proof, context,
      zk::PiAffGVerifierSecrets{&alice_key, alice_secret});
  if (!verified.ok()) return verified;

  absl::StatusOr<Scalar> alpha =
      internal::DecryptAlpha(alice_key, response.cap_d);
  if (!alpha.ok()) return alpha.status();
  AliceResult out;
  out.alpha = *std::move(alpha);
  out.cap_x = response.cap_x;
  return out;
}

namespace internal {

absl::StatusOr<BobResult> BobRespondWithOversizedMask(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Scalar& x, const Point& base,
    const ProofContext& context, RandomSource& rng, size_t extra_bits,
    const zk::RingPedersenTable* alice_table,
    zk::PaillierNoncePool* alice_nonces) {
  return Respond(alice_key, alice_params, cap_k, x, base, context, rng,
                 zk::kEllPrime + extra_bits, /*unchecked=*/true, alice_table,
                 alice_nonces);
}

absl::StatusOr<BobPairResult> BobRespondPairCheating(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Scalar& x1, const Scalar& x2, const Point& base,
    const ProofContext& context, RandomSource& rng, const BobPairCheat& cheat,
    const zk::RingPedersenTable* alice_table,
    zk::PaillierNoncePool* alice_nonces) {
  return RespondPair(alice_key, alice_params, cap_k, x1, x2, base, context, rng,
                     &cheat, alice_table, alice_nonces);
}

absl::StatusOr<Scalar> DecryptAlpha(const PaillierPrivateKey& alice_key,
                                    const BigInt& cap_d) {
  absl::StatusOr<BigInt> alpha = AliceDecrypt(alice_key, cap_d);
  if (!alpha.ok()) return alpha.status();
  if (!AlphaInRange(*alpha)) {
    alpha->Wipe();
    return absl::InvalidArgumentError("mta: alpha out of range");
  }
  Scalar out = Scalar::FromBigIntReduce(*alpha);
  alpha->Wipe();
  return out;
}

}  // namespace internal

v1::MtaRequest MtaRequestToProto(const MtaRequest& request) {
  v1::MtaRequest p;
  p.set_cap_k(zk::EncodeInteger(request.cap_k));
  *p.mutable_enc_proof() = zk::PiEncProofToProto(request.enc_proof);
  return p;
}

absl::StatusOr<MtaRequest> MtaRequestFromProto(const v1::MtaRequest& p) {
  if (absl::Status st = RejectUnknownFields(p, "mta"); !st.ok()) return st;
  absl::StatusOr<BigInt> k =
      zk::DecodeInteger(p.cap_k(), zk::kMaxModulusSquaredBytes, "mta", "K");
  if (!k.ok()) return k.status();
  if (!p.has_enc_proof()) {
    return absl::InvalidArgumentError("mta: missing enc_proof");
  }
  absl::StatusOr<zk::PiEncProof> proof = zk::PiEncProofFromProto(p.enc_proof());
  if (!proof.ok()) return proof.status();
  return MtaRequest{*std::move(k), *std::move(proof)};
}

v1::MtaResponse MtaResponseToProto(const MtaResponse& response) {
  v1::MtaResponse p;
  p.set_cap_d(zk::EncodeInteger(response.cap_d));
  p.set_cap_y(zk::EncodePoint(response.cap_y));
  p.set_cap_x(zk::EncodePoint(response.cap_x));
  *p.mutable_aff_g_proof() = zk::PiAffGProofToProto(response.aff_g_proof);
  return p;
}

absl::StatusOr<MtaResponse> MtaResponseFromProto(const v1::MtaResponse& p) {
  if (absl::Status st = RejectUnknownFields(p, "mta"); !st.ok()) return st;
  MtaResponse out;
  absl::StatusOr<BigInt> d =
      zk::DecodeInteger(p.cap_d(), zk::kMaxModulusSquaredBytes, "mta", "D");
  if (!d.ok()) return d.status();
  absl::StatusOr<Point> y = zk::DecodePoint(p.cap_y(), "mta", "Y");
  if (!y.ok()) return y.status();
  absl::StatusOr<Point> x = zk::DecodePoint(p.cap_x(), "mta", "X");
  if (!x.ok()) return x.status();
  if (!p.has_aff_g_proof()) {
    return absl::InvalidArgumentError("mta: missing aff_g_proof");
  }
  absl::StatusOr<zk::PiAffGProof> proof =
      zk::PiAffGProofFromProto(p.aff_g_proof());
  if (!proof.ok()) return proof.status();
  out.cap_d = *std::move(d);
  out.cap_y = *std::move(y);
  out.cap_x = *std::move(x);
  out.aff_g_proof = *std::move(proof);
  return out;
}

}  // namespace nitro_tss::mpc::mta
