#include "mpc/mta/mta.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/zk/zk_params.h"

namespace nitro_tss::mpc::mta {
namespace {

constexpr size_t kAlphaBoundBits = zk::kEllPrime + zk::kEpsilon + 1;

}  // namespace

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
    const zk::RingPedersenTable* bob_table) {
  BigInt k_int = k.ToBigInt();
  zk::PiEncStatement st{alice_key.public_key(), bob_params,
                        encryption.ciphertext};
  zk::PiEncWitness w{k_int, encryption.nonce, &alice_key, bob_table};
  absl::StatusOr<zk::PiEncProof> proof = zk::ProvePiEnc(st, w, context, rng);
  k_int.Wipe();
  if (!proof.ok()) return proof.status();
  return MtaRequest{encryption.ciphertext, *std::move(proof)};
}

absl::Status BobVerifyRequest(const PaillierPublicKey& alice_key,
                              const RingPedersenParams& bob_params,
                              const RingPedersenSecret* bob_secret,
                              const MtaRequest& request,
                              const ProofContext& context) {
  zk::PiEncStatement st{alice_key, bob_params, request.cap_k};
  return zk::VerifyPiEnc(st, request.enc_proof, context, bob_secret);
}

namespace {

absl::StatusOr<BobResult> Respond(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const PaillierPrivateKey& bob_key, const BigInt& cap_k, const Scalar& x,
    const Point& base, const ProofContext& context, RandomSource& rng,
    size_t y_bits, bool unchecked, const zk::RingPedersenTable* alice_table) {
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
  BigInt x_int = x.ToBigInt();
  BigInt y = BigInt::RandomSigned(y_bits, rng);

  // D = K^x · enc_N0(y; ρ)
  absl::StatusOr<BigInt> k_pow_x = alice_key.MulScalar(cap_k, x_int);
  if (!k_pow_x.ok()) return k_pow_x.status();
  BigInt rho = BigInt::RandomUnit(alice_key.n(), rng);
  absl::StatusOr<BigInt> enc_y = alice_key.EncryptWithNonce(y, rho);
  if (!enc_y.ok()) return enc_y.status();
  BigInt cap_d = BigInt::ModMul(*k_pow_x, *enc_y, alice_key.n_squared());
  // F = Y = enc_N1(y; ρ_y) under Bob's own key (CRT).
  absl::StatusOr<PaillierEncryption> cap_f = bob_key.Encrypt(y, rng);
  if (!cap_f.ok()) return cap_f.status();
  Point cap_x = base.Mul(x);

  zk::PiAffGStatement st{alice_key, bob_key.public_key(), alice_params, cap_k,
                         cap_d,     cap_f->ciphertext,    base,         cap_x};
  zk::PiAffGWitness w{x_int, y, rho, cap_f->nonce, &bob_key, alice_table};
  absl::StatusOr<zk::PiAffGProof> proof =
      unchecked ? zk::internal::ProvePiAffGUnchecked(st, w, context, rng)
                : zk::ProvePiAffG(st, w, context, rng);
  Scalar beta = Scalar::FromBigIntReduce(-y);
  x_int.Wipe();
  y.Wipe();
  rho.Wipe();
  cap_f->nonce.Wipe();
  if (!proof.ok()) return proof.status();

  BobResult out;
  out.response.cap_d = std::move(cap_d);
  out.response.cap_f = std::move(cap_f->ciphertext);
  out.response.cap_x = cap_x;
  out.response.aff_g_proof = *std::move(proof);
  out.beta = std::move(beta);
  return out;
}

}  // namespace

absl::StatusOr<BobResult> BobRespond(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const PaillierPrivateKey& bob_key, const BigInt& cap_k, const Scalar& x,
    const Point& base, const ProofContext& context, RandomSource& rng,
    const zk::RingPedersenTable* alice_table) {
  return Respond(alice_key, alice_params, bob_key, cap_k, x, base, context, rng,
                 zk::kEllPrime, /*unchecked=*/false, alice_table);
}

absl::StatusOr<AliceResult> AliceFinalize(
    const PaillierPrivateKey& alice_key, const RingPedersenParams& alice_params,
    const RingPedersenSecret* alice_secret, const PaillierPublicKey& bob_key,
    const BigInt& cap_k, const MtaResponse& response, const Point& base,
    const Point* expected_x, const ProofContext& context) {
  if (expected_x != nullptr && *expected_x != response.cap_x) {
    return absl::InvalidArgumentError(
        "mta: X does not match the expected point");
  }
  zk::PiAffGStatement st{
      alice_key.public_key(), bob_key,        alice_params, cap_k,
      response.cap_d,         response.cap_f, base,         response.cap_x};
  absl::Status verified =
      zk::VerifyPiAffG(st, response.aff_g_proof, context,
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
    const PaillierPrivateKey& bob_key, const BigInt& cap_k, const Scalar& x,
    const Point& base, const ProofContext& context, RandomSource& rng,
    size_t extra_bits) {
  return Respond(alice_key, alice_params, bob_key, cap_k, x, base, context, rng,
                 zk::kEllPrime + extra_bits, /*unchecked=*/true, nullptr);
}

absl::StatusOr<Scalar> DecryptAlpha(const PaillierPrivateKey& alice_key,
                                    const BigInt& cap_d) {
  absl::StatusOr<BigInt> alpha = alice_key.DecryptSigned(cap_d);
  if (!alpha.ok()) return alpha.status();
  if (!zk::InSignedRange(*alpha, kAlphaBoundBits)) {
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
  p.set_cap_f(zk::EncodeInteger(response.cap_f));
  p.set_cap_x(zk::EncodePoint(response.cap_x));
  *p.mutable_aff_g_proof() = zk::PiAffGProofToProto(response.aff_g_proof);
  return p;
}

absl::StatusOr<MtaResponse> MtaResponseFromProto(const v1::MtaResponse& p) {
  MtaResponse out;
  absl::StatusOr<BigInt> d =
      zk::DecodeInteger(p.cap_d(), zk::kMaxModulusSquaredBytes, "mta", "D");
  if (!d.ok()) return d.status();
  absl::StatusOr<BigInt> f =
      zk::DecodeInteger(p.cap_f(), zk::kMaxModulusSquaredBytes, "mta", "F");
  if (!f.ok()) return f.status();
  absl::StatusOr<Point> x = zk::DecodePoint(p.cap_x(), "mta", "X");
  if (!x.ok()) return x.status();
  if (!p.has_aff_g_proof()) {
    return absl::InvalidArgumentError("mta: missing aff_g_proof");
  }
  absl::StatusOr<zk::PiAffGProof> proof =
      zk::PiAffGProofFromProto(p.aff_g_proof());
  if (!proof.ok()) return proof.status();
  out.cap_d = *std::move(d);
  out.cap_f = *std::move(f);
  out.cap_x = *std::move(x);
  out.aff_g_proof = *std::move(proof);
  return out;
}

}  // namespace nitro_tss::mpc::mta
