#include "tests/tools/kms-local/local_kms_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/json.h"

namespace nitro_tss::kms_local::testing {
namespace {

constexpr char kCredentials[] = R"({"credentials":[
 {"access_key_id":"AKIDPARENT","secret_access_key":"parent-secret",
  "principal_arn":"arn:aws:iam::111122223333:role/parent"},
 {"access_key_id":"AKIDADMIN","secret_access_key":"admin-secret",
  "principal_arn":"arn:aws:iam::111122223333:role/admin"},
 {"access_key_id":"AKIDOTHER","secret_access_key":"other-secret",
  "principal_arn":"arn:aws:iam::999999999999:role/other"},
 {"access_key_id":"ASIATEMP","secret_access_key":"temp-secret",
  "session_token":"temp-session-token",
  "principal_arn":"arn:aws:iam::111122223333:role/enclave"}]})";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalKmsProcess>> LocalKmsProcess::Start(
    const std::vector<std::string>& extra_args) {
  const char* bin_dir = std::getenv("NITRO_TSS_BINARY_DIR");
  const std::string binary = absl::StrCat(bin_dir ? bin_dir : "build",
                                          "/tools/kms-local/tss-kms-local");
  char tmpl[] = "/tmp/tss-kms-local-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  auto p = std::unique_ptr<LocalKmsProcess>(new LocalKmsProcess());
  p->dir_ = tmpl;
  std::ofstream(p->dir_ + "/credentials.json") << kCredentials;
  std::ofstream(p->dir_ + "/master.key") << std::string(64, '7') << "\n";
  std::vector<std::string> args = {binary,
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--db",
                                   p->dir_ + "/keys.db",
                                   "--master-key-file",
                                   p->dir_ + "/master.key",
                                   "--credentials",
                                   p->dir_ + "/credentials.json",
                                   "--ready-file",
                                   p->dir_ + "/ready.json"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const std::string log = p->dir_ + "/server.log";
  p->pid_ = fork();
  if (p->pid_ < 0) return absl::InternalError("fork failed");
  if (p->pid_ == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    // Not the caller's stdout: a pipe reader would wait for this server.
    f = std::freopen("/dev/null", "w", stdout);
    (void)f;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    const std::string ready = ReadFile(p->dir_ + "/ready.json");
    if (!ready.empty()) {
      auto doc = json::Parse(ready);
      if (doc.ok() && doc->IntField("port").ok()) {
        p->port_ = static_cast<int>(*doc->IntField("port"));
        return p;
      }
    }
    int status;
    if (waitpid(p->pid_, &status, WNOHANG) == p->pid_) {
      p->pid_ = -1;
      return absl::InternalError(
          absl::StrCat("tss-kms-local exited early: ", ReadFile(log)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError("tss-kms-local did not become ready");
}

int LocalKmsProcess::Stop() {
  if (pid_ < 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string LocalKmsProcess::Log() const {
  return ReadFile(dir_ + "/server.log");
}

LocalKmsProcess::~LocalKmsProcess() {
  Stop();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

int RunPythonDriver(const std::string& script, int port,
                    const std::string& args, std::string* output) {
  const std::string cmd =
      absl::StrCat("cd tests/tools/kms-local && python3 ", script, " --port ",
                   port, " ", args, " 2>&1");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    output->append(buf.data(), n);
  }
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string MissingBoto3(bool need_recipient) {
  const std::string probe =
      need_recipient
          ? "python3 -c \"import botocore.session as s; "
            "m = s.get_session().get_service_model('kms'); "
            "assert 'Recipient' in m.operation_model('Decrypt').input_shape."
            "members\" >/dev/null 2>&1"
          : "python3 -c \"import boto3\" >/dev/null 2>&1";
  if (std::system(probe.c_str()) == 0) return "";
  return need_recipient
             ? "python3 has no boto3/botocore that knows KMS Recipient "
               "(needs botocore >= 1.33; the machine image has 1.43)"
             : "python3 has no boto3 (the machine image ships it via pip)";
}

json::Value PolicyStatement(const std::string& sid, const std::string& effect,
                            json::Value principal, json::Value actions,
                            json::Value condition) {
  json::Value st = json::Value::MakeObject();
  st.Set("Sid", json::Value::String(sid));
  st.Set("Effect", json::Value::String(effect));
  st.Set("Principal", std::move(principal));
  st.Set("Action", std::move(actions));
  st.Set("Resource", json::Value::String("*"));
  if (!condition.is_null()) st.Set("Condition", std::move(condition));
  return st;
}

json::Value AwsPrincipal(const std::string& arn) {
  json::Value p = json::Value::MakeObject();
  p.Set("AWS", json::Value::String(arn));
  return p;
}

json::Value PolicyActions(std::initializer_list<const char*> names) {
  json::Value a = json::Value::MakeArray();
  for (const char* n : names) a.Append(json::Value::String(n));
  return a;
}

json::Value PolicyCondition(const std::string& op, const std::string& key,
                            const std::string& value) {
  json::Value inner = json::Value::MakeObject();
  inner.Set(key, json::Value::String(value));
  json::Value c = json::Value::MakeObject();
  c.Set(op, std::move(inner));
  return c;
}

}  // namespace nitro_tss::kms_local::testing
