// Writes the seed corpora of the MtA decoder fuzz targets from real proofs
// over the test fixtures (run from the repository root; not run by tests):
//   build/tests/fuzz/mpc/mta/mta_fuzz_corpus_gen tests/fuzz/mpc/mta/corpus
// For each target: a valid message, one with a field removed, one with a
// truncated field, and (for point fields) the identity placeholder.
#include <cstdio>
#include <fstream>
#include <string>

#include "mpc/mta/mta.h"
#include "mpc/zk/pi_log_rp.h"
#include "tests/fixtures/fixtures.h"

namespace {

using namespace nitro_tss::mpc;  // NOLINT
using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixtureRingPedersen;

bool Write(const std::string& dir, const std::string& target,
           const std::string& name, const std::string& bytes) {
  std::string path = dir + "/" + target + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

ProofContext Ctx(uint32_t prover, uint32_t verifier) {
  ProofContext ctx;
  ctx.session_id = {7, 7, 7};
  ctx.protocol = "fuzz/seed";
  ctx.prover = prover;
  ctx.verifier = verifier;
  return ctx;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  DeterministicRandom rng(2024);
  const PaillierPrivateKey& alice = FixturePaillierKey(0);
  const RingPedersenSecret& alice_rp = FixtureRingPedersen(0);
  const RingPedersenSecret& bob_rp = FixtureRingPedersen(1);
  Scalar k = Scalar::Random(rng), x = Scalar::Random(rng);

  auto enc = mta::AliceEncrypt(alice, k, rng);
  auto req = mta::AliceRequest(alice, *enc, k, bob_rp.params(), Ctx(1, 2), rng);
  auto bob_out =
      mta::BobRespond(alice.public_key(), alice_rp.params(), req->cap_k, x,
                      Point::Generator(), Ctx(2, 1), rng);
  if (!req.ok() || !bob_out.ok()) {
    std::fprintf(stderr, "proof generation failed\n");
    return 1;
  }
  bool ok = true;
  const std::string zeros(33, '\0');

  v1::PiEncProof pe = zk::PiEncProofToProto(req->enc_proof);
  ok &= Write(dir, "pi_enc_fuzz", "valid", pe.SerializeAsString());
  v1::PiEncProof pe2 = pe;
  pe2.clear_z1();
  ok &= Write(dir, "pi_enc_fuzz", "missing_z1", pe2.SerializeAsString());
  pe2 = pe;
  pe2.set_cap_a(pe.cap_a().substr(0, 10));
  ok &= Write(dir, "pi_enc_fuzz", "short_a", pe2.SerializeAsString());

  v1::PiAffGProof pa = zk::PiAffGProofToProto(bob_out->response.aff_g_proof);
  ok &= Write(dir, "pi_aff_g_fuzz", "valid", pa.SerializeAsString());
  v1::PiAffGProof pa2 = pa;
  pa2.set_cap_b_x(zeros);
  ok &= Write(dir, "pi_aff_g_fuzz", "identity_bx", pa2.SerializeAsString());
  pa2 = pa;
  pa2.set_cap_b_y(zeros);
  ok &= Write(dir, "pi_aff_g_fuzz", "identity_by", pa2.SerializeAsString());

  // Πlog-rp on a ring-Pedersen commitment S = s^k t^μ under Bob's params
  // (generated last so the other seeds do not depend on it).
  BigInt k_int = k.ToBigInt();
  BigInt mu = zk::RandomSignedTimes(zk::kEll, bob_rp.params().n(), rng);
  BigInt cap_s = bob_rp.params().Commit(k_int, mu);
  Point cap_x = Point::MulBase(k);
  Point g = Point::Generator();
  auto log_rp =
      zk::ProvePiLogRp(zk::PiLogRpStatement{bob_rp.params(), cap_s, g, cap_x},
                       zk::PiLogRpWitness{k_int, mu}, Ctx(1, 2), rng);
  if (!log_rp.ok()) {
    std::fprintf(stderr, "pi_log_rp generation failed\n");
    return 1;
  }
  v1::PiLogRpProof pr = zk::PiLogRpProofToProto(*log_rp);
  ok &= Write(dir, "pi_log_rp_fuzz", "valid", pr.SerializeAsString());
  v1::PiLogRpProof pr2 = pr;
  pr2.set_cap_y(zeros);
  ok &= Write(dir, "pi_log_rp_fuzz", "identity_y", pr2.SerializeAsString());
  pr2 = pr;
  pr2.clear_z3();
  ok &= Write(dir, "pi_log_rp_fuzz", "missing_z3", pr2.SerializeAsString());

  v1::MtaRequest mr = mta::MtaRequestToProto(*req);
  ok &= Write(dir, "mta_request_fuzz", "valid", mr.SerializeAsString());
  v1::MtaRequest mr2 = mr;
  mr2.clear_enc_proof();
  ok &=
      Write(dir, "mta_request_fuzz", "missing_proof", mr2.SerializeAsString());

  v1::MtaResponse ms = mta::MtaResponseToProto(bob_out->response);
  ok &= Write(dir, "mta_response_fuzz", "valid", ms.SerializeAsString());
  v1::MtaResponse ms2 = ms;
  ms2.set_cap_x(zeros);
  ok &= Write(dir, "mta_response_fuzz", "identity_x", ms2.SerializeAsString());
  ms2 = ms;
  ms2.clear_cap_d();
  ok &= Write(dir, "mta_response_fuzz", "missing_d", ms2.SerializeAsString());

  // A Πaff-g pair's second part (generated last so the other seeds do not
  // depend on it).
  Scalar x2 = Scalar::Random(rng);
  auto pair =
      mta::BobRespondPair(alice.public_key(), alice_rp.params(), req->cap_k, x,
                          x2, Point::Generator(), Ctx(2, 1), rng);
  if (!pair.ok()) {
    std::fprintf(stderr, "pair generation failed\n");
    return 1;
  }
  v1::PiAffGProof second =
      zk::PiAffGPairSecondToProto(pair->second.response.aff_g_proof);
  ok &= Write(dir, "pi_aff_g_pair_second_fuzz", "valid",
              second.SerializeAsString());
  v1::PiAffGProof second2 = second;
  second2.set_cap_a(
      zk::PiAffGProofToProto(pair->first.response.aff_g_proof).cap_a());
  ok &= Write(dir, "pi_aff_g_pair_second_fuzz", "with_a",
              second2.SerializeAsString());
  second2 = second;
  second2.set_cap_b_y(zeros);
  ok &= Write(dir, "pi_aff_g_pair_second_fuzz", "identity_by",
              second2.SerializeAsString());
  return ok ? 0 : 1;
}
