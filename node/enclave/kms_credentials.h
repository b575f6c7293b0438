// The enclave's KMS credentials stay fresh. They come from the host
// (GetCredentials) and may be temporary (the parent's IMDS role
// credentials, valid for hours): RefreshingKms asks the host again before a
// KMS operation once they are within `refresh_before` of their expiry, and
// once more when KMS answers UNAUTHENTICATED (expired or revoked; clocks
// differ), retrying that operation once with the new ones.
//
// The host is untrusted here too: credentials only let the enclave call
// KMS, and KMS releases data keys only to this enclave's attested recipient
// key, so stale or wrong credentials can only make KMS calls fail.
#ifndef NITRO_TSS_NODE_ENCLAVE_KMS_CREDENTIALS_H_
#define NITRO_TSS_NODE_ENCLAVE_KMS_CREDENTIALS_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "node/aws/credentials.h"
#include "node/kms/kms_api.h"

namespace nitro_tss::enclave {

struct CredentialRefresh {
  // New credentials (from the host).
  std::function<absl::StatusOr<aws::ExpiringCredentials>()> fetch;
  // Puts credentials into the KMS client (KmsClient::SetCredentials).
  std::function<void(aws::AwsCredentials)> install;
  absl::Duration refresh_before = absl::Minutes(5);
  std::function<absl::Time()> clock;  // default absl::Now
};

class RefreshingKms final : public kms::KmsInterface {
 public:
  // `inner` (not owned) already holds credentials valid until `expiration`.
  RefreshingKms(kms::KmsInterface* inner, CredentialRefresh refresh,
                absl::Time expiration);

  absl::StatusOr<kms::EncryptResponse> Encrypt(
      const kms::EncryptRequest& r) override;
  absl::StatusOr<kms::DecryptResponse> Decrypt(
      const kms::DecryptRequest& r) override;
  absl::StatusOr<kms::GenerateDataKeyResponse> GenerateDataKey(
      const kms::GenerateDataKeyRequest& r) override;
  absl::StatusOr<kms::GenerateRandomResponse> GenerateRandom(
      const kms::GenerateRandomRequest& r) override;
  absl::StatusOr<kms::DescribeKeyResponse> DescribeKey(
      const kms::DescribeKeyRequest& r) override;

 private:
  // Refreshes when due (or when `force`). An error only when the current
  // credentials have expired and no new ones could be had (UNAVAILABLE,
  // with the host's reason).
  absl::Status Fresh(bool force);
  template <typename Response, typename Call>
  absl::StatusOr<Response> Run(const Call& call);

  kms::KmsInterface* const inner_;
  const CredentialRefresh refresh_;
  absl::Mutex mu_;
  absl::Time expiration_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nitro_tss::enclave

#endif  // NITRO_TSS_NODE_ENCLAVE_KMS_CREDENTIALS_H_
