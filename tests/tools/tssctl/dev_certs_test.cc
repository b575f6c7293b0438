// `tssctl dev-certs` (tools/tssctl/dev_certs.h): the real binary writes a
// CA and server/client certificates that `openssl verify -CAfile` accepts
// for their purpose, host name and IP; the files have the right modes; a
// mutual-TLS handshake between a server and a client using them succeeds
// (in process, OpenSSL over a BIO pair) and fails for a client of another
// CA or the wrong host name; every refused option.
#include "tools/tssctl/dev_certs.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/tools/tssctl/tssctl_runner.h"

namespace nitro_tss::tssctl {
namespace {

using testing::JsonString;
using testing::OutJson;
using testing::ReadFile;
using testing::RunProgram;
using testing::RunResult;
using testing::ScratchDir;
using testing::Tssctl;

int ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

RunResult Verify(const std::string& dir, const std::string& cert,
                 std::vector<std::string> extra) {
  std::vector<std::string> argv = {"openssl", "verify", "-CAfile",
                                   dir + "/ca.pem"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(cert);
  return RunProgram(argv);
}

// A TLS 1.3 handshake with client authentication between `server` (cert +
// key, trusting `server_ca` for clients) and a client trusting `client_ca`,
// presenting `client` (if not empty) and expecting host `host`. True when
// both sides complete it and one application record goes through.
bool MutualTls(const std::string& server, const std::string& server_ca,
               const std::string& client, const std::string& client_ca,
               const std::string& host) {
  SSL_CTX* sctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
  bool ok =
      SSL_CTX_use_certificate_file(sctx, (server + ".pem").c_str(),
                                   SSL_FILETYPE_PEM) == 1 &&
      SSL_CTX_use_PrivateKey_file(sctx, (server + ".key").c_str(),
                                  SSL_FILETYPE_PEM) == 1 &&
      SSL_CTX_load_verify_locations(sctx, server_ca.c_str(), nullptr) == 1 &&
      SSL_CTX_load_verify_locations(cctx, client_ca.c_str(), nullptr) == 1;
  if (!client.empty()) {
    ok = ok &&
         SSL_CTX_use_certificate_file(cctx, (client + ".pem").c_str(),
                                      SSL_FILETYPE_PEM) == 1 &&
         SSL_CTX_use_PrivateKey_file(cctx, (client + ".key").c_str(),
                                     SSL_FILETYPE_PEM) == 1;
  }
  EXPECT_TRUE(ok) << "loading the files";
  SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
  SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION);
  SSL* s = SSL_new(sctx);
  SSL* c = SSL_new(cctx);
  SSL_set1_host(c, host.c_str());
  BIO* sb = nullptr;
  BIO* cb = nullptr;
  BIO_new_bio_pair(&sb, 0, &cb, 0);
  SSL_set_bio(s, sb, sb);
  SSL_set_bio(c, cb, cb);
  SSL_set_accept_state(s);
  SSL_set_connect_state(c);
  bool done_s = false;
  bool done_c = false;
  bool failed = false;
  for (int i = 0; i < 50 && !failed && !(done_s && done_c); ++i) {
    for (auto [ssl, done] : {std::pair{c, &done_c}, std::pair{s, &done_s}}) {
      if (*done) continue;
      const int rc = SSL_do_handshake(ssl);
      if (rc == 1) {
        *done = true;
      } else {
        const int e = SSL_get_error(ssl, rc);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
          failed = true;
        }
      }
    }
  }
  bool exchanged = false;
  if (!failed && done_s && done_c) {
    // The server verifies the client's certificate when it reads the
    // client's Finished; an application record proves both sides agree.
    char buf[8] = {0};
    if (SSL_write(c, "ping", 4) == 4) {
      int n = -1;
      for (int i = 0; i < 10 && n <= 0; ++i) {
        n = SSL_read(s, buf, sizeof(buf));
        if (n <= 0) {
          const int e = SSL_get_error(s, n);
          if (e != SSL_ERROR_WANT_READ) break;
          SSL_read(c, buf, 0);  // let the client flush session tickets
        }
      }
      exchanged = n == 4 && std::string(buf, 4) == "ping";
    }
  }
  SSL_free(s);
  SSL_free(c);
  SSL_CTX_free(sctx);
  SSL_CTX_free(cctx);
  ERR_clear_error();
  return exchanged;
}

TEST(DevCertsTest, OpensslVerifiesEveryCertificate) {
  ScratchDir scratch;
  const std::string dir = scratch.File("certs");
  RunResult run =
      Tssctl({"dev-certs", "--dir", dir, "--server", "coordinator", "--server",
              "node-1", "--server", "10.1.2.3", "--client", "tssctl"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::Value v = OutJson(run);
  EXPECT_EQ(JsonString(v, "ca.certificate"), dir + "/ca.pem");
  EXPECT_EQ(v.Find("servers")->AsArray().size(), 3u);
  EXPECT_EQ(ModeOf(dir), 0700);
  for (const std::string name : {"ca", "server-coordinator", "server-node-1",
                                 "server-10.1.2.3", "client-tssctl"}) {
    EXPECT_EQ(ModeOf(absl::StrCat(dir, "/", name, ".key")), 0600) << name;
    EXPECT_EQ(ModeOf(absl::StrCat(dir, "/", name, ".pem")), 0644) << name;
    // The key is P-256 and belongs to the certificate.
    RunResult key =
        RunProgram({"openssl", "pkey", "-in",
                    absl::StrCat(dir, "/", name, ".key"), "-pubout"});
    RunResult cert =
        RunProgram({"openssl", "x509", "-in",
                    absl::StrCat(dir, "/", name, ".pem"), "-noout", "-pubkey"});
    EXPECT_EQ(key.exit_code, 0);
    EXPECT_EQ(key.out, cert.out) << name;
    RunResult text =
        RunProgram({"openssl", "x509", "-in",
                    absl::StrCat(dir, "/", name, ".pem"), "-noout", "-text"});
    EXPECT_TRUE(absl::StrContains(text.out, "prime256v1")) << name;
    EXPECT_TRUE(absl::StrContains(text.out, "ecdsa-with-SHA256")) << name;
  }
  // Each server for its name, localhost and 127.0.0.1; the client as a
  // client.
  for (const std::string name : {"coordinator", "node-1"}) {
    const std::string cert = absl::StrCat(dir, "/server-", name, ".pem");
    for (const auto& extra : std::vector<std::vector<std::string>>{
             {"-purpose", "sslserver", "-verify_hostname", name},
             {"-purpose", "sslserver", "-verify_hostname", "localhost"},
             {"-purpose", "sslserver", "-verify_ip", "127.0.0.1"},
             {"-purpose", "sslserver", "-verify_ip", "::1"}}) {
      RunResult r = Verify(dir, cert, extra);
      EXPECT_EQ(r.exit_code, 0)
          << name << " " << absl::StrJoin(extra, " ") << r.out << r.err;
      EXPECT_TRUE(absl::StrContains(r.out, ": OK")) << r.out;
    }
    // Not for another name, not as a client.
    EXPECT_NE(Verify(dir, cert, {"-verify_hostname", "node-2"}).exit_code, 0);
    EXPECT_NE(Verify(dir, cert, {"-purpose", "sslclient"}).exit_code, 0);
  }
  EXPECT_EQ(Verify(dir, dir + "/server-10.1.2.3.pem",
                   {"-purpose", "sslserver", "-verify_ip", "10.1.2.3"})
                .exit_code,
            0);
  EXPECT_EQ(Verify(dir, dir + "/client-tssctl.pem", {"-purpose", "sslclient"})
                .exit_code,
            0);
  EXPECT_NE(Verify(dir, dir + "/client-tssctl.pem", {"-purpose", "sslserver"})
                .exit_code,
            0);
  EXPECT_EQ(Verify(dir, dir + "/ca.pem", {}).exit_code, 0);
  // A certificate of another CA is not accepted.
  const std::string other = scratch.File("other");
  ASSERT_EQ(Tssctl({"dev-certs", "--dir", other, "--server", "coordinator"})
                .exit_code,
            0);
  EXPECT_NE(Verify(dir, other + "/server-coordinator.pem", {}).exit_code, 0);
}

TEST(DevCertsTest, MutualTlsHandshake) {
  ScratchDir scratch;
  const std::string a = scratch.File("a");
  const std::string b = scratch.File("b");
  ASSERT_EQ(Tssctl({"dev-certs", "--dir", a, "--server", "coordinator",
                    "--client", "tssctl"})
                .exit_code,
            0);
  ASSERT_EQ(Tssctl({"dev-certs", "--dir", b, "--server", "coordinator",
                    "--client", "tssctl"})
                .exit_code,
            0);
  const std::string server = a + "/server-coordinator";
  const std::string ca = a + "/ca.pem";
  EXPECT_TRUE(MutualTls(server, ca, a + "/client-tssctl", ca, "coordinator"));
  EXPECT_TRUE(MutualTls(server, ca, a + "/client-tssctl", ca, "localhost"));
  // A client certificate of another CA, no client certificate, the wrong
  // host name, a client that trusts another CA.
  EXPECT_FALSE(MutualTls(server, ca, b + "/client-tssctl", ca, "coordinator"));
  EXPECT_FALSE(MutualTls(server, ca, "", ca, "coordinator"));
  EXPECT_FALSE(MutualTls(server, ca, a + "/client-tssctl", ca, "node-1"));
  EXPECT_FALSE(MutualTls(server, ca, a + "/client-tssctl", b + "/ca.pem",
                         "coordinator"));
}

TEST(DevCertsTest, RefusalsExitTwo) {
  ScratchDir scratch;
  const std::string dir = scratch.File("certs");
  ASSERT_EQ(
      Tssctl({"dev-certs", "--dir", dir, "--server", "coordinator"}).exit_code,
      0);
  const std::string ca = ReadFile(dir + "/ca.pem");
  // Existing files: refused, nothing changed; replaced with --force.
  RunResult again =
      Tssctl({"dev-certs", "--dir", dir, "--server", "coordinator"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(again.err, "ca.pem")) << again.err;
  EXPECT_TRUE(absl::StrContains(again.err, "--force")) << again.err;
  EXPECT_EQ(ReadFile(dir + "/ca.pem"), ca);
  EXPECT_EQ(
      Tssctl({"dev-certs", "--dir", dir, "--server", "coordinator", "--force"})
          .exit_code,
      0);
  EXPECT_NE(ReadFile(dir + "/ca.pem"), ca);
  EXPECT_EQ(ModeOf(dir + "/ca.key"), 0600);

  testing::WriteFile(scratch.File("file"), "x");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--dir", scratch.File("d1")}, "--server"},
      {{"--server", "coordinator"}, "--dir"},
      {{"--dir", scratch.File("file"), "--server", "a"}, "--dir"},
      {{"--dir", scratch.File("d2"), "--server", "a", "--server", "a"},
       "--server"},
      {{"--dir", scratch.File("d3"), "--server", "bad_name"}, "--server"},
      {{"--dir", scratch.File("d4"), "--server", "-lead"}, "--server"},
      {{"--dir", scratch.File("d5"), "--server", "a..b"}, "--server"},
      {{"--dir", scratch.File("d6"), "--server", "../escape"}, "--server"},
      {{"--dir", scratch.File("d7"), "--server", std::string(64, 'a')},
       "--server"},
      {{"--dir", scratch.File("d8"), "--server", "a", "--client", "x/y"},
       "--client"},
      {{"--dir", scratch.File("d9"), "--server", "a", "--days", "0"}, "--days"},
      {{"--dir", scratch.File("d10"), "--server", "a", "--days", "3651"},
       "--days"},
      {{"--dir", scratch.File("d11"), "--server", "a", "--force=yes"}, "force"},
  };
  for (const auto& [args, names] : cases) {
    std::vector<std::string> a = {"dev-certs"};
    a.insert(a.end(), args.begin(), args.end());
    RunResult run = Tssctl(a);
    EXPECT_EQ(run.exit_code, 2) << absl::StrJoin(a, " ") << run.out;
    EXPECT_TRUE(absl::StrContains(run.err, names))
        << absl::StrJoin(a, " ") << "\nstderr: " << run.err;
  }
  // Refused names leave no directory behind.
  EXPECT_EQ(ModeOf(scratch.File("d3")), -1);
  RunResult help = Tssctl({"dev-certs", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(help.out, "openssl verify")) << help.out;
}

TEST(DevCertsTest, NameValidation) {
  for (const std::string& ok : std::vector<std::string>{
           "a", "coordinator", "node-1.example.internal", "A1", "127.0.0.1",
           "::1", "fe80::1", std::string(63, 'a'),
           absl::StrCat(std::string(63, 'a'), ".", std::string(63, 'b'), ".",
                        std::string(63, 'c'), ".", std::string(61, 'd'))}) {
    EXPECT_TRUE(ValidateCertificateName(ok).ok()) << ok;
  }
  for (const std::string& bad : std::vector<std::string>{
           "", ".", "a.", ".a", "a..b", "-a", "a-", "a_b", "a b", "a/b", "*.a",
           std::string(64, 'a'), std::string("a\0b", 3), "1.2.3.4.5:80",
           absl::StrCat(std::string(63, 'a'), ".", std::string(63, 'b'), ".",
                        std::string(63, 'c'), ".", std::string(62, 'd'))}) {
    EXPECT_FALSE(ValidateCertificateName(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace nitro_tss::tssctl
