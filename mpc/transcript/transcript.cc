#include "mpc/transcript/transcript.h"

#include <array>
#include <cstring>

namespace nitro_tss::mpc {
namespace {

void PutU32(uint8_t* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void PutU64(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
absl::Span<const uint8_t> AsBytes(absl::string_view s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                   s.size());
}

}  // namespace

Transcript::Transcript(absl::string_view domain) {
  if (sodium_init() < 0) __builtin_trap();
  crypto_generichash_blake2b_init(&state_, nullptr, 0,
                                  crypto_generichash_blake2b_BYTES_MAX);
  Absorb(kTagDomain, "domain", AsBytes(domain));
}

Transcript Transcript::ForProof(absl::string_view proof_name,
                                const ProofContext& ctx) {
  Transcript t("nitro-tss/proof/v1");
  t.AppendString("proof", proof_name);
  t.AppendProofContext(ctx);
  return t;
}

void Transcript::AppendProofContext(const ProofContext& ctx) {
  AppendBytes("session_id", ctx.session_id);
  AppendString("protocol", ctx.protocol);
  AppendU64("round", ctx.round);
  AppendU64("prover", ctx.prover);
  AppendU64("verifier", ctx.verifier);
}

void Transcript::Absorb(Tag tag, absl::string_view label,
                        absl::Span<const uint8_t> data) {
  uint8_t header[1 + 4];
  header[0] = tag;
  PutU32(header + 1, static_cast<uint32_t>(label.size()));
  crypto_generichash_blake2b_update(&state_, header, sizeof(header));
  crypto_generichash_blake2b_update(
      &state_, reinterpret_cast<const uint8_t*>(label.data()), label.size());
  uint8_t len[8];
  PutU64(len, data.size());
  crypto_generichash_blake2b_update(&state_, len, sizeof(len));
  if (!data.empty()) {
    crypto_generichash_blake2b_update(&state_, data.data(), data.size());
  }
}

void Transcript::AppendBytes(absl::string_view label,
                             absl::Span<const uint8_t> data) {
  Absorb(kTagBytes, label, data);
}
void Transcript::AppendString(absl::string_view label, absl::string_view data) {
  Absorb(kTagString, label, AsBytes(data));
}
void Transcript::AppendU64(absl::string_view label, uint64_t v) {
  uint8_t b[8];
  PutU64(b, v);
  Absorb(kTagU64, label, b);
}
void Transcript::AppendBigInt(absl::string_view label, const BigInt& v) {
  std::vector<uint8_t> enc = v.ToSignedBytes();
  Absorb(kTagBigInt, label, enc);
  sodium_memzero(enc.data(), enc.size());
}

Transcript Transcript::Fork(absl::string_view label) const {
  Transcript copy = *this;
  copy.Absorb(kTagFork, label, {});
  return copy;
}

std::vector<uint8_t> Transcript::Squeeze(absl::string_view label, size_t len) {
  // key = BLAKE2b-256(state || challenge label); stream = ChaCha20(key).
  crypto_generichash_blake2b_state fin = state_;
  uint8_t header[1 + 4];
  header[0] = kTagChallenge;
  PutU32(header + 1, static_cast<uint32_t>(label.size()));
  crypto_generichash_blake2b_update(&fin, header, sizeof(header));
  crypto_generichash_blake2b_update(
      &fin, reinterpret_cast<const uint8_t*>(label.data()), label.size());
  std::array<uint8_t, crypto_generichash_blake2b_BYTES_MAX> digest;
  crypto_generichash_blake2b_final(&fin, digest.data(), digest.size());
  std::array<uint8_t, crypto_stream_chacha20_ietf_KEYBYTES> key;
  std::memcpy(key.data(), digest.data(), key.size());
  std::vector<uint8_t> out(len, 0);
  uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
  crypto_stream_chacha20_ietf_xor(out.data(), out.data(), out.size(), nonce,
                                  key.data());
  // Absorb the full digest so later challenges depend on this one.
  Absorb(kTagChallenge, label, digest);
  sodium_memzero(key.data(), key.size());
  return out;
}

std::vector<uint8_t> Transcript::ChallengeBytes(absl::string_view label,
                                                size_t len) {
  return Squeeze(label, len);
}

BigInt Transcript::ChallengeBelow(absl::string_view label,
                                  const BigInt& bound) {
  // Draw candidates of bound's bit length from one long stream; rejection
  // sampling accepts with probability > 1/2 per candidate, so 128
  // candidates fail with probability < 2^-128.
  const size_t bits = bound.BitLength();
  const size_t nbytes = (bits + 7) / 8;
  const size_t candidates = 128;
  std::vector<uint8_t> stream = Squeeze(label, nbytes * candidates);
  const size_t extra = nbytes * 8 - bits;
  for (size_t i = 0; i < candidates; ++i) {
    std::vector<uint8_t> c(stream.begin() + i * nbytes,
                           stream.begin() + (i + 1) * nbytes);
    if (!c.empty()) c[0] &= static_cast<uint8_t>(0xFF >> extra);
    BigInt v = BigInt::FromBytes(c);
    if (v < bound) return v;
  }
  __builtin_trap();  // probability < 2^-128
}

BigInt Transcript::ChallengeSymmetric(absl::string_view label,
                                      const BigInt& bound) {
  BigInt width = bound + bound + BigInt(1);
  return ChallengeBelow(label, width) - bound;
}

std::vector<bool> Transcript::ChallengeBits(absl::string_view label,
                                            size_t count) {
  std::vector<uint8_t> bytes = Squeeze(label, (count + 7) / 8);
  std::vector<bool> bits(count);
  for (size_t i = 0; i < count; ++i) bits[i] = (bytes[i / 8] >> (i % 8)) & 1;
  return bits;
}

}  // namespace nitro_tss::mpc
