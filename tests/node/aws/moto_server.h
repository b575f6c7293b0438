// Test helper: moto's S3-compatible server (`python3 -m moto.server`, moto
// 5.2 from the machine image's pip) on an ephemeral loopback port (-p 0;
// the port is read from its startup line, so there is no race for it),
// stopped by the destructor and, should the test process die first, by
// PR_SET_PDEATHSIG.
//
// With EnableAuth(), moto checks every request's SigV4 signature (it
// recomputes it with botocore's S3SigV4Auth) against the IAM users created
// with CreateUser, and their policies.
#ifndef NITRO_TSS_TESTS_NODE_AWS_MOTO_SERVER_H_
#define NITRO_TSS_TESTS_NODE_AWS_MOTO_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "node/aws/s3_client.h"
#include "node/aws/sigv4.h"

namespace nitro_tss::aws::testing {

// Empty if python3 can import moto.server; otherwise why not (GTEST_SKIP).
std::string MissingMoto();

class MotoServer {
 public:
  static absl::StatusOr<std::unique_ptr<MotoServer>> Start();
  ~MotoServer();

  int port() const { return port_; }
  std::string endpoint() const;
  // The last ~16 KiB of moto's output (for failure messages).
  std::string LogTail();

  // Creates an IAM user with an inline policy allowing `actions` (e.g.
  // "s3:*") on every resource and returns the access key moto generated.
  absl::StatusOr<AwsCredentials> CreateUser(const std::string& name,
                                            const std::string& actions);
  // From now on moto verifies the signature and permissions of every
  // request (moto-api/reset-auth 0).
  absl::Status EnableAuth();

  // A path-style S3 client of `bucket` on this server.
  absl::StatusOr<std::unique_ptr<S3Client>> Client(
      const std::string& bucket, const AwsCredentials& credentials,
      int max_attempts = 1) const;
  // Creates `bucket` (versioned if `versioned`) with `credentials`.
  absl::Status CreateBucket(const std::string& bucket, bool versioned,
                            const AwsCredentials& credentials) const;

 private:
  MotoServer() = default;
  void Drain();

  pid_t pid_ = -1;
  int port_ = 0;
  int out_fd_ = -1;
  std::thread drain_;
  absl::Mutex mu_;
  std::string log_ ABSL_GUARDED_BY(mu_);
};

// Sends one SigV4-signed POST of a form body (AWS query protocol, e.g.
// IAM) to http://127.0.0.1:<port>/ and returns the body; non-2xx is an
// error carrying the body.
absl::StatusOr<std::string> SignedQueryPost(int port,
                                            const std::string& service,
                                            const std::string& form_body,
                                            const AwsCredentials& creds);

}  // namespace nitro_tss::aws::testing

#endif  // NITRO_TSS_TESTS_NODE_AWS_MOTO_SERVER_H_
