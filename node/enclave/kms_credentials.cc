#include "node/enclave/kms_credentials.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace nitro_tss::enclave {

RefreshingKms::RefreshingKms(kms::KmsInterface* inner,
                             CredentialRefresh refresh, absl::Time expiration)
    : inner_(inner),
      refresh_([&] {
        if (!refresh.clock) refresh.clock = [] { return absl::Now(); };
        return std::move(refresh);
      }()),
      expiration_(expiration) {}

absl::Status RefreshingKms::Fresh(bool force) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = refresh_.clock();
  if (!force && now < expiration_ - refresh_.refresh_before) {
    return absl::OkStatus();
  }
  absl::StatusOr<aws::ExpiringCredentials> fresh = refresh_.fetch();
  if (fresh.ok()) {
    refresh_.install(std::move(fresh->credentials));
    expiration_ = fresh->expiration;
    return absl::OkStatus();
  }
  if (!force && now < expiration_) return absl::OkStatus();  // still valid
  return absl::UnavailableError(
      absl::StrCat("kms: credentials expired and the host gave no new ones: ",
                   fresh.status().ToString()));
}

template <typename Response, typename Call>
absl::StatusOr<Response> RefreshingKms::Run(const Call& call) {
  if (absl::Status s = Fresh(false); !s.ok()) return s;
  absl::StatusOr<Response> out = call();
  if (!absl::IsUnauthenticated(out.status())) return out;
  // Expired or revoked early (or the clocks differ): new ones, once.
  if (absl::Status s = Fresh(true); !s.ok()) return out;
  return call();
}

absl::StatusOr<kms::EncryptResponse> RefreshingKms::Encrypt(
    const kms::EncryptRequest& r) {
  return Run<kms::EncryptResponse>([&] { return inner_->Encrypt(r); });
}
absl::StatusOr<kms::DecryptResponse> RefreshingKms::Decrypt(
    const kms::DecryptRequest& r) {
  return Run<kms::DecryptResponse>([&] { return inner_->Decrypt(r); });
}
absl::StatusOr<kms::GenerateDataKeyResponse> RefreshingKms::GenerateDataKey(
    const kms::GenerateDataKeyRequest& r) {
  return Run<kms::GenerateDataKeyResponse>(
      [&] { return inner_->GenerateDataKey(r); });
}
absl::StatusOr<kms::GenerateRandomResponse> RefreshingKms::GenerateRandom(
    const kms::GenerateRandomRequest& r) {
  return Run<kms::GenerateRandomResponse>(
      [&] { return inner_->GenerateRandom(r); });
}
absl::StatusOr<kms::DescribeKeyResponse> RefreshingKms::DescribeKey(
    const kms::DescribeKeyRequest& r) {
  return Run<kms::DescribeKeyResponse>([&] { return inner_->DescribeKey(r); });
}

}  // namespace nitro_tss::enclave
