// Costs of the enclave-side KMS path: SigV4 signing of a KMS request,
// opening a CiphertextForRecipient (OpenSSL CMS: RSA-2048 OAEP + AES-256-CBC,
// DER and indefinite-length BER as KMS sends it), sealing and
// opening a share envelope with a data key, and a crash-safe store update.
#include <benchmark/benchmark.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "node/aws/sigv4.h"
#include "node/kms/cms.h"
#include "node/kms/recipient_key.h"
#include "node/kms/sealed_share.h"
#include "node/store/share_store.h"
#include "tests/kms/cms_test_util.h"

namespace nitro_tss::kms {
namespace {

void BM_SigV4SignKmsRequest(benchmark::State& state) {
  SigningParams p;
  p.credentials = AwsCredentials("AKIDEXAMPLE", "secret", "token");
  p.region = "us-east-1";
  p.service = "kms";
  p.time = absl::FromUnixSeconds(1700000000);
  const std::string body(600, 'x');
  for (auto _ : state) {
    HttpRequest r{"POST",
                  "/",
                  "",
                  {{"Host", "kms.us-east-1.amazonaws.com"},
                   {"Content-Type", "application/x-amz-json-1.1"},
                   {"X-Amz-Target", "TrentService.Decrypt"}},
                  body};
    benchmark::DoNotOptimize(SignRequest(p, &r));
  }
}
BENCHMARK(BM_SigV4SignKmsRequest);

void BM_RecipientKeyGenerate(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(RecipientKey::Generate());
}
BENCHMARK(BM_RecipientKeyGenerate)->Unit(benchmark::kMillisecond);

void BM_OpenCiphertextForRecipient(benchmark::State& state) {
  RecipientKey key = *RecipientKey::Generate();
  std::vector<uint8_t> cms =
      testing::BuildCms(key.pkey(), std::string(32, 'k'));
  for (auto _ : state) {
    benchmark::DoNotOptimize(OpenCiphertextForRecipient(cms, key));
  }
}
BENCHMARK(BM_OpenCiphertextForRecipient)->Unit(benchmark::kMicrosecond);

void BM_OpenCiphertextForRecipientBer(benchmark::State& state) {
  RecipientKey key = *RecipientKey::Generate();
  testing::CmsBuildOptions opts;
  opts.stream_ber = true;
  std::vector<uint8_t> cms =
      testing::BuildCms(key.pkey(), std::string(32, 'k'), opts);
  for (auto _ : state) {
    benchmark::DoNotOptimize(OpenCiphertextForRecipient(cms, key));
  }
}
BENCHMARK(BM_OpenCiphertextForRecipientBer)->Unit(benchmark::kMicrosecond);

void BM_ParseCmsOnly(benchmark::State& state) {
  RecipientKey key = *RecipientKey::Generate();
  std::vector<uint8_t> cms =
      testing::BuildCms(key.pkey(), std::string(32, 'k'));
  for (auto _ : state) benchmark::DoNotOptimize(ParseCmsEnvelopedData(cms));
}
BENCHMARK(BM_ParseCmsOnly);

ShareContext Ctx() {
  ShareContext c;
  c.kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/1234";
  c.party_id = 1;
  c.epoch = 1;
  c.group_public_key.assign(33, 2);
  return c;
}

void BM_SealOpenShareWithDataKey(benchmark::State& state) {
  SecureBytes key(32);
  randombytes_buf(key.data(), key.size());
  const std::vector<uint8_t> wrapped(184, 7), share(state.range(0), 9);
  const std::unique_ptr<mpc::round::PartyIdentityKey> identity =
      *mpc::round::PartyIdentityKey::Generate();
  for (auto _ : state) {
    std::vector<uint8_t> env =
        *SealWithDataKey(Ctx(), wrapped, key, *identity, share);
    benchmark::DoNotOptimize(OpenWithDataKey(*DecodeSealedShare(env), key));
  }
}
BENCHMARK(BM_SealOpenShareWithDataKey)->Arg(32)->Arg(4096);

void BM_StoreStageConfirm(benchmark::State& state) {
  const std::string root = absl::StrCat("/tmp/kms-bench-store-", getpid());
  auto store = *store::ShareStore::Open(root, "bench", 1);
  const std::vector<uint8_t> env(700, 1);
  uint64_t epoch = 0;
  for (auto _ : state) {
    ++epoch;
    benchmark::DoNotOptimize(store->Stage(epoch, env));
    benchmark::DoNotOptimize(store->Confirm(epoch));
  }
  std::filesystem::remove_all(root);
}
BENCHMARK(BM_StoreStageConfirm)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nitro_tss::kms

BENCHMARK_MAIN();
