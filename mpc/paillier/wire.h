// Small helpers shared by the Paillier / ring-Pedersen / modulus-proof
// encoders: integers travel as `bytes` in BigInt's canonical signed
// encoding, decoded strictly with a per-field size limit.
#ifndef NITRO_TSS_MPC_PAILLIER_WIRE_H_
#define NITRO_TSS_MPC_PAILLIER_WIRE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mpc/math/bigint.h"

namespace nitro_tss::mpc::wire {

// Canonical signed encoding of v as a protobuf `bytes` value.
std::string EncodeInt(const BigInt& v);

// Strict inverse of EncodeInt: rejects empty/missing values, non-canonical
// encodings and magnitudes longer than `max_bytes`. Errors read
// "<prefix>: field <field>: <reason>".
absl::StatusOr<BigInt> DecodeInt(absl::string_view prefix,
                                 absl::string_view field,
                                 const std::string& raw, size_t max_bytes);

// True iff 0 < v < n and gcd(v, n) = 1.
bool IsUnitMod(const BigInt& v, const BigInt& n);

}  // namespace nitro_tss::mpc::wire

#endif  // NITRO_TSS_MPC_PAILLIER_WIRE_H_
