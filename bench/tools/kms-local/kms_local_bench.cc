// Benchmarks of tss-kms-local's request path (see README.md), with the
// project-wide same-run baseline BM_Baseline_PaillierPowm (one mpz_powm with
// a 2048-bit exponent modulo N^2 for a 2048-bit N; see bench/README.md).
#include <benchmark/benchmark.h>
#include <gmp.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "tools/kms-local/keystore.h"
#include "tools/kms-local/kms_request.h"
#include "tools/kms-local/policy.h"
#include "tools/kms-local/recipient_cms.h"
#include "tools/kms-local/service.h"

namespace {

namespace kl = nitro_tss::kms_local;

const std::string kPcr0(96, 'a');

// BM_Baseline_PaillierPowm comes from bench/common/baseline.cc.

std::string EnclavePolicy() {
  return absl::StrCat(
      R"({"Version":"2012-10-17","Statement":[)",
      R"({"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":"kms:*","Resource":"*"},)",
      R"({"Sid":"Parent","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/parent"},"Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"},)",
      R"({"Sid":"Deny","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEqualsIgnoreCase":{"kms:RecipientAttestation:PCR0":")",
      kPcr0, R"("}}}]})");
}

void BM_ParseDecryptRequest(benchmark::State& state) {
  const std::string body = absl::StrCat(
      R"({"CiphertextBlob":")", kl::Base64Encode(std::string(120, 'c')),
      R"(","EncryptionContext":{"purpose":"tss-share","node":"3"},)",
      R"("Recipient":{"AttestationDocument":")",
      kl::Base64Encode(std::string(4500, 'd')),
      R"(","KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}})");
  for (auto _ : state) {
    auto r = kl::ParseKmsRequest(kl::KmsOperation::kDecrypt, body);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_ParseDecryptRequest)->Unit(benchmark::kMicrosecond);

void BM_PolicyParseAndEvaluate(benchmark::State& state) {
  const std::string doc = EnclavePolicy();
  kl::AuthorizationRequest req;
  req.principal_arn = "arn:aws:iam::111122223333:role/parent";
  req.action = "kms:Decrypt";
  req.resource = "arn:aws:kms:us-east-1:111122223333:key/k";
  req.context["kms:recipientattestation:pcr0"] = kPcr0;
  for (auto _ : state) {
    auto p = kl::ParsePolicy(doc);
    benchmark::DoNotOptimize(kl::Evaluate(*p, req));
  }
}
BENCHMARK(BM_PolicyParseAndEvaluate)->Unit(benchmark::kMicrosecond);

void BM_ServiceDecrypt(benchmark::State& state) {
  kl::SecretBytes master(32);
  auto store = kl::KeyStore::Open(":memory:", master);
  kl::KmsServiceOptions opts;
  opts.authenticator =
      [](const kl::HttpRequestMessage&) -> absl::StatusOr<kl::CallerIdentity> {
    kl::CallerIdentity id;
    id.principal_arn = "arn:aws:iam::111122223333:role/parent";
    return id;
  };
  kl::KmsService service(std::move(opts), store->get());
  const auto call = [&](const std::string& op, const std::string& body) {
    kl::HttpRequestMessage r;
    r.method = std::string("POST");
    r.path.push_back('/');  // (GCC 12 -Wrestrict false positive on = "/")
    r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", absl::StrCat("TrentService.", op)}};
    r.body = body;
    return service.Handle(r);
  };
  auto created = nitro_tss::json::Parse(call("CreateKey", "{}").body);
  const std::string key_id =
      *created->Find("KeyMetadata")->StringField("KeyId");
  auto enc = nitro_tss::json::Parse(
      call("Encrypt",
           absl::StrCat(R"({"KeyId":")", key_id, R"(","Plaintext":")",
                        kl::Base64Encode(std::string(32, 's')),
                        R"(","EncryptionContext":{"a":"b"}})"))
          .body);
  const std::string body = absl::StrCat(R"({"CiphertextBlob":")",
                                        *enc->StringField("CiphertextBlob"),
                                        R"(","EncryptionContext":{"a":"b"}})");
  for (auto _ : state) {
    auto resp = call("Decrypt", body);
    if (resp.status != 200) state.SkipWithError("decrypt failed");
    benchmark::DoNotOptimize(resp);
  }
}
BENCHMARK(BM_ServiceDecrypt)->Unit(benchmark::kMicrosecond);

void BM_CiphertextForRecipient(benchmark::State& state) {
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(rsa, &der);
  std::vector<uint8_t> spki(der, der + len);
  OPENSSL_free(der);
  EVP_PKEY_free(rsa);
  const std::vector<uint8_t> secret(32, 7);
  for (auto _ : state) {
    auto cms = kl::BuildCiphertextForRecipient(spki, secret);
    benchmark::DoNotOptimize(cms);
  }
}
BENCHMARK(BM_CiphertextForRecipient)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
