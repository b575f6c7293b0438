// Test helper: runs the real tss-kms-local binary on a free loopback port
// with a fresh database, master key and the credentials that
// tests/tools/kms-local/kms_test_common.py knows.
#ifndef NITRO_TSS_TESTS_TOOLS_KMS_LOCAL_LOCAL_KMS_PROCESS_H_
#define NITRO_TSS_TESTS_TOOLS_KMS_LOCAL_LOCAL_KMS_PROCESS_H_

#include <sys/types.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace nitro_tss::kms_local::testing {

class LocalKmsProcess {
 public:
  // Starts the binary (NITRO_TSS_BINARY_DIR/tools/kms-local/tss-kms-local)
  // with `extra_args` appended, and waits until it listens.
  static absl::StatusOr<std::unique_ptr<LocalKmsProcess>> Start(
      const std::vector<std::string>& extra_args = {});
  ~LocalKmsProcess();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // SIGTERM, then waits; returns the exit status (or -1 if killed).
  int Stop();
  // The server's stderr so far (JSON log lines).
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
};

// Building blocks of key policies as terraform installs them:
//   {"Sid", "Effect", "Principal", "Action", "Resource": "*", "Condition"?}
json::Value PolicyStatement(const std::string& sid, const std::string& effect,
                            json::Value principal, json::Value actions,
                            json::Value condition = json::Value());
// {"AWS": arn}
json::Value AwsPrincipal(const std::string& arn);
// ["kms:...", ...]
json::Value PolicyActions(std::initializer_list<const char*> names);
// {op: {key: value}}
json::Value PolicyCondition(const std::string& op, const std::string& key,
                            const std::string& value);

// Runs `python3 tests/tools/kms-local/<script> --port <port> <args>` from the
// repository root; returns its exit status and appends its output to
// `output`.
int RunPythonDriver(const std::string& script, int port,
                    const std::string& args, std::string* output);

// Empty when python3 can run the boto3 drivers (and, with
// `need_recipient`, when its botocore knows the KMS `Recipient` parameter);
// otherwise why not, for GTEST_SKIP. The machine image ships boto3/botocore
// 1.43 (pip); a bare Debian 12 install does not, and PyPI is not reachable.
std::string MissingBoto3(bool need_recipient);

}  // namespace nitro_tss::kms_local::testing

#endif  // NITRO_TSS_TESTS_TOOLS_KMS_LOCAL_LOCAL_KMS_PROCESS_H_
