// tss-host's network paths as a real process (build/node/host/tss-host):
// the inbound mutual-TLS path from the coordinator to the enclave's
// service, the outbound proxy to allowlisted destinations, /metrics, and
// the configuration errors that name their field. The enclave and the
// remote destination are played by echo servers (and, for gRPC, by the
// host's own service), certificates are made here with OpenSSL's APIs.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "nitro_tss/host/v1/host.grpc.pb.h"
#include "node/host/proxy_address.h"
#include "node/vsock/grpc_fd.h"
#include "node/vsock/socket.h"
#include "tests/node/cluster/child_process.h"
#include "tests/node/host/promtool.h"
#include "tests/node/host/tls_test_util.h"

namespace nitro_tss::testing {
namespace {

namespace hv1 = ::nitro_tss::host::v1;

std::string Quote(const std::string& s) { return absl::StrCat("\"", s, "\""); }

int PortOf(const std::string& host_port) {
  auto hp = host::ParseHostPort(host_port, true);
  return hp.ok() ? hp->port : -1;
}

// Runs tss-host to its exit: (exit code, stdout+stderr).
std::pair<int, std::string> RunHost(const std::vector<std::string>& args) {
  std::string cmd = BinaryDir() + "/node/host/tss-host";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  int status = ::pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The value of the sample `name{...}` whose labels include all of `labels`
// ("k=\"v\"" each); -1 if there is none.
double Sample(const std::string& text, const std::string& name,
              const std::vector<std::string>& labels) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    if (!absl::StartsWith(line, name + "{") &&
        !absl::StartsWith(line, name + " ")) {
      continue;
    }
    bool all = true;
    for (const auto& l : labels) all = all && absl::StrContains(line, l);
    if (!all) continue;
    double v;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) return v;
  }
  return -1;
}

// Polls `pred` until true or `timeout` (for asynchronous effects such as a
// connection slot being released; never a fixed sleep).
bool Eventually(const std::function<bool()>& pred,
                absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

class TssHostProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A write to a connection the host closed must be an error here, not
    // a SIGPIPE that ends the test binary.
    std::signal(SIGPIPE, SIG_IGN);
    WriteFile(Path("server.pem"), server_.cert_pem);
    WriteFile(Path("server.key"), server_.key_pem);
    WriteFile(Path("client-ca.pem"), ca_.cert_pem());
    WriteFile(Path("creds.json"),
              R"({"access_key_id":"AKIDTEST","secret_access_key":"s"})");
  }
  void TearDown() override {
    if (host_ && HasFailure()) {
      std::cerr << "tss-host log:\n" << host_->Log() << "\n";
    }
    if (host_) host_->Stop(absl::Seconds(5));
  }

  std::string Path(const std::string& name) const {
    return dir_.path() + "/" + name;
  }

  std::string BaseConfig() const {
    return absl::StrCat(
        "enclave_service_listen: ", Quote("unix://" + Path("host.sock")),
        "\nblob_store { local { dir: ", Quote(Path("disk")),
        " } }\ncredentials { file: ", Quote(Path("creds.json")), " }\n");
  }

  // An inbound section to `enclave_service` with the test certificates.
  std::string Inbound(const std::string& enclave_service,
                      const std::string& extra = "") const {
    return absl::StrCat("inbound { listen: \"127.0.0.1:0\" enclave_service: ",
                        Quote(enclave_service),
                        " server_certificate_file: ", Quote(Path("server.pem")),
                        " server_private_key_file: ", Quote(Path("server.key")),
                        " client_ca_file: ", Quote(Path("client-ca.pem")), " ",
                        extra, " }\n");
  }

  void StartHost(const std::string& config) {
    WriteFile(Path("host.conf"), config);
    auto p = ChildProcess::Start(
        {BinaryDir() + "/node/host/tss-host", "--config", Path("host.conf"),
         "--ready-file", Path("host.ready")},
        Path("host.log"), Path("host.ready"), absl::Seconds(30));
    ASSERT_TRUE(p.ok()) << p.status();
    host_ = *std::move(p);
  }

  int ReadyPort(const std::string& key) const {
    const json::Value* v = host_->ready().Find(key);
    return v != nullptr && v->is_string() ? PortOf(v->AsString()) : -1;
  }
  std::string OutboundAddress(const std::string& name) const {
    const json::Value* out = host_->ready().Find("outbound");
    if (out == nullptr) return "";
    const json::Value* v = out->Find(name);
    return v != nullptr && v->is_string() ? v->AsString() : "";
  }

  std::string Metrics() const {
    auto body = HttpGet(ReadyPort("metrics"), "/metrics");
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? *body : "";
  }

  std::unique_ptr<EchoServer> EchoOnUnix(const std::string& path) {
    auto l = vsock::Listen(vsock::SocketAddress::Unix(path));
    EXPECT_TRUE(l.ok()) << l.status();
    return std::make_unique<EchoServer>(*std::move(l));
  }

  // One round trip of `n` random bytes over a TLS client.
  static void RoundTrip(TlsTestClient& c, size_t n) {
    const std::string data = RandomBytes(n);
    ASSERT_TRUE(c.WriteAll(data).ok());
    auto back = c.ReadExactly(n);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, data);
  }

  TempDir dir_;
  TestCa ca_{"nitro-tss test coordinator CA"};
  TestCa stranger_ca_{"some other CA"};
  KeyAndCert server_ = ca_.IssueServer("tss-host");
  KeyAndCert client_ = ca_.IssueClient("coordinator");
  KeyAndCert stranger_ = stranger_ca_.IssueClient("coordinator");
  std::unique_ptr<ChildProcess> host_;
};

// ---- inbound: coordinator -> (mTLS, ends at the host) -> enclave ----

TEST_F(TssHostProxyTest, InboundRelaysMutualTlsBytesUnmodifiedBothWays) {
  auto enclave = EchoOnUnix(Path("enclave.sock"));
  StartHost(BaseConfig() + Inbound("unix://" + Path("enclave.sock")) +
            "metrics_listen: \"127.0.0.1:0\"\n");
  ASSERT_GT(ReadyPort("inbound"), 0);
  auto c =
      TlsTestClient::Connect(ReadyPort("inbound"), ca_.cert_pem(), &client_);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->alpn(), "h2");
  // 1 MiB in 64 KiB round trips: every byte comes back as sent.
  for (int i = 0; i < 16; ++i) RoundTrip(**c, 64 * 1024);
  EXPECT_EQ(enclave->accepted(), 1);
  // A clean close travels through: close_notify -> EOF at the enclave ->
  // the enclave's close -> close_notify back.
  (*c)->CloseWrite();
  EXPECT_TRUE((*c)->ExpectClosed(absl::Seconds(5)).ok());
  const std::string m = Metrics();
  const std::string in = "direction=\"inbound\"";
  EXPECT_EQ(
      Sample(m, "nitro_host_proxy_bytes_total", {in, "toward=\"enclave\""}),
      1024 * 1024);
  EXPECT_EQ(
      Sample(m, "nitro_host_proxy_bytes_total", {in, "toward=\"remote\""}),
      1024 * 1024);
  EXPECT_EQ(Sample(m, "nitro_host_proxy_connections_opened_total", {in}), 1);
}

TEST_F(TssHostProxyTest, InboundRefusesClientsWithoutTheRightCertificate) {
  auto enclave = EchoOnUnix(Path("enclave.sock"));
  StartHost(BaseConfig() + Inbound("unix://" + Path("enclave.sock")) +
            "metrics_listen: \"127.0.0.1:0\"\n");
  const int port = ReadyPort("inbound");
  // No certificate, and a certificate from another CA (same subject). In
  // TLS 1.3 the server checks the client's certificate after the client
  // has finished its handshake, so the refusal may show on the first read.
  for (const KeyAndCert* who : {static_cast<const KeyAndCert*>(nullptr),
                                static_cast<const KeyAndCert*>(&stranger_)}) {
    auto c = TlsTestClient::Connect(port, ca_.cert_pem(), who);
    if (c.ok()) {
      (void)(*c)->WriteAll("hello enclave");
      auto r = (*c)->ReadExactly(13);
      EXPECT_FALSE(r.ok()) << "a client without the right certificate got "
                              "an answer from the enclave";
    }
  }
  // Nothing reached the enclave; the host counted and logged refusals.
  EXPECT_EQ(enclave->accepted(), 0);
  EXPECT_TRUE(Eventually([&] {
    return Sample(Metrics(), "nitro_host_proxy_connections_refused_total",
                  {"direction=\"inbound\"", "reason=\"handshake\""}) == 2;
  }));
  EXPECT_TRUE(absl::StrContains(host_->Log(), "proxy_refused"));
  EXPECT_TRUE(absl::StrContains(host_->Log(), "certificate"));
  // The right client still gets through.
  auto good = TlsTestClient::Connect(port, ca_.cert_pem(), &client_);
  ASSERT_TRUE(good.ok()) << good.status();
  RoundTrip(**good, 1000);
  EXPECT_EQ(enclave->accepted(), 1);
}

TEST_F(TssHostProxyTest, InboundCarriesGrpcWithClientCertificatesOnly) {
  // The upstream is a real gRPC server: the host's own service socket.
  StartHost(BaseConfig() + Inbound("unix://" + Path("host.sock")) +
            "metrics_listen: \"127.0.0.1:0\"\n");
  const std::string target = absl::StrCat("127.0.0.1:", ReadyPort("inbound"));
  auto call_put = [&](const KeyAndCert* who) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ca_.cert_pem();
    if (who != nullptr) {
      o.pem_private_key = who->key_pem;
      o.pem_cert_chain = who->cert_pem;
    }
    auto channel = grpc::CreateChannel(target, grpc::SslCredentials(o));
    auto stub = hv1::Host::NewStub(channel);
    hv1::PutBlobRequest req;
    req.mutable_name()->set_key_id("key-1");
    req.mutable_name()->set_party_id(1);
    req.set_epoch(1);
    req.set_blob("sealed bytes");
    hv1::PutBlobResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    return stub->PutBlob(&ctx, req, &resp);
  };
  EXPECT_EQ(call_put(nullptr).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(call_put(&stranger_).error_code(), grpc::StatusCode::UNAVAILABLE);
  grpc::Status ok = call_put(&client_);
  EXPECT_TRUE(ok.ok()) << ok.error_message();

  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ca_.cert_pem();
  o.pem_private_key = client_.key_pem;
  o.pem_cert_chain = client_.cert_pem;
  auto stub =
      hv1::Host::NewStub(grpc::CreateChannel(target, grpc::SslCredentials(o)));
  hv1::GetBlobRequest get;
  get.mutable_name()->set_key_id("key-1");
  get.mutable_name()->set_party_id(1);
  hv1::GetBlobResponse got;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub->GetBlob(&ctx, get, &got).ok());
  EXPECT_EQ(got.blob(), "sealed bytes");
  get.mutable_name()->set_key_id("key-2");
  grpc::ClientContext ctx2;
  EXPECT_EQ(stub->GetBlob(&ctx2, get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, "nitro_host_service_requests_total",
                   {"method=\"PutBlob\"", "code=\"OK\""}),
            1);
  EXPECT_EQ(Sample(m, "nitro_host_service_requests_total",
                   {"method=\"GetBlob\"", "code=\"OK\""}),
            1);
  EXPECT_EQ(Sample(m, "nitro_host_service_requests_total",
                   {"method=\"GetBlob\"", "code=\"NOT_FOUND\""}),
            1);
}

TEST_F(TssHostProxyTest, InboundConnectionLimitIsEnforced) {
  auto enclave = EchoOnUnix(Path("enclave.sock"));
  StartHost(BaseConfig() +
            Inbound("unix://" + Path("enclave.sock"), "max_connections: 2") +
            "metrics_listen: \"127.0.0.1:0\"\n");
  const int port = ReadyPort("inbound");
  auto c1 = TlsTestClient::Connect(port, ca_.cert_pem(), &client_);
  auto c2 = TlsTestClient::Connect(port, ca_.cert_pem(), &client_);
  ASSERT_TRUE(c1.ok() && c2.ok());
  RoundTrip(**c1, 100);
  RoundTrip(**c2, 100);
  // The third is closed at once, before any handshake.
  auto c3 = TlsTestClient::Connect(port, ca_.cert_pem(), &client_);
  EXPECT_FALSE(c3.ok());
  EXPECT_EQ(enclave->accepted(), 2);
  EXPECT_EQ(Sample(Metrics(), "nitro_host_proxy_connections_refused_total",
                   {"direction=\"inbound\"", "reason=\"limit\""}),
            1);
  // A slot frees when a connection ends.
  c1->reset();
  ASSERT_TRUE(Eventually([&] {
    return Sample(Metrics(), "nitro_host_proxy_connections_active",
                  {"direction=\"inbound\""}) == 1;
  }));
  auto c4 = TlsTestClient::Connect(port, ca_.cert_pem(), &client_);
  ASSERT_TRUE(c4.ok()) << c4.status();
  RoundTrip(**c4, 100);
}

TEST_F(TssHostProxyTest, InboundIdleConnectionsAreClosed) {
  auto enclave = EchoOnUnix(Path("enclave.sock"));
  StartHost(BaseConfig() +
            Inbound("unix://" + Path("enclave.sock"), "idle_timeout_ms: 300"));
  auto c =
      TlsTestClient::Connect(ReadyPort("inbound"), ca_.cert_pem(), &client_);
  ASSERT_TRUE(c.ok());
  RoundTrip(**c, 10);
  const absl::Time start = absl::Now();
  EXPECT_TRUE((*c)->ExpectClosed(absl::Seconds(10)).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
}

TEST_F(TssHostProxyTest, InboundWithEnclaveDownClosesAndKeepsServing) {
  StartHost(BaseConfig() +
            Inbound("unix://" + Path("enclave.sock"),
                    "connect_attempts: 2 connect_timeout_ms: 100") +
            "metrics_listen: \"127.0.0.1:0\"\n");
  const int port = ReadyPort("inbound");
  {
    auto c = TlsTestClient::Connect(port, ca_.cert_pem(), &client_);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_TRUE((*c)->ExpectClosed(absl::Seconds(10)).ok());
  }
  EXPECT_EQ(Sample(Metrics(), "nitro_host_proxy_connections_refused_total",
                   {"direction=\"inbound\"", "reason=\"upstream\""}),
            1);
  auto enclave = EchoOnUnix(Path("enclave.sock"));
  auto c = TlsTestClient::Connect(port, ca_.cert_pem(), &client_);
  ASSERT_TRUE(c.ok());
  RoundTrip(**c, 5000);
}

// ---- outbound: enclave -> (vsock/unix) -> one allowlisted destination ----

TEST_F(TssHostProxyTest, OutboundSurvivesDestinationDownThenRelaysUnmodified) {
  ReservedPort kms = ReserveTcpPort();  // bound, not listening: refused
  const std::string dest = absl::StrCat("127.0.0.1:", kms.port);
  StartHost(BaseConfig() + "outbound_allowlist: " + Quote(dest) +
            "\noutbound_proxies { name: \"kms\" listen: " +
            Quote("unix://" + Path("kms.sock")) + " destination: " +
            Quote(dest) + " connect_attempts: 2 connect_timeout_ms: 100 }\n" +
            "metrics_listen: \"127.0.0.1:0\"\n");
  const std::string listen = OutboundAddress("kms");
  ASSERT_EQ(listen, "unix://" + Path("kms.sock"));
  auto addr = vsock::SocketAddress::Parse(listen);
  {
    auto fd = vsock::Connect(*addr, absl::Seconds(5));
    ASSERT_TRUE(fd.ok());
    EXPECT_TRUE(ExpectPeerClosed(fd->get(), absl::Seconds(10)).ok());
  }
  auto listening = ListenOn(kms);
  ASSERT_TRUE(listening.ok());
  EchoServer echo(*std::move(listening));
  auto fd = vsock::Connect(*addr, absl::Seconds(5));
  ASSERT_TRUE(fd.ok());
  std::string all;
  for (int i = 0; i < 8; ++i) {
    const std::string data = RandomBytes(32 * 1024);
    ASSERT_TRUE(SendAll(fd->get(), data).ok());
    auto back = RecvExactly(fd->get(), data.size(), absl::Seconds(10));
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(*back, data);
  }
  EXPECT_EQ(echo.accepted(), 1);
  // The relay counts bytes after writing them, so the last chunk can reach
  // this side before it is counted (seen once under load). A clean close
  // travels through the same relay thread after its last write and count:
  // once it arrives here, every counter is final.
  ASSERT_EQ(::shutdown(fd->get(), SHUT_WR), 0);
  EXPECT_TRUE(ExpectPeerClosed(fd->get(), absl::Seconds(10)).ok());
  const std::string m = Metrics();
  const std::string out = "direction=\"outbound\"";
  EXPECT_EQ(Sample(m, "nitro_host_proxy_connections_refused_total",
                   {out, "proxy=\"kms\"", "reason=\"upstream\""}),
            1);
  EXPECT_EQ(Sample(m, "nitro_host_proxy_connections_opened_total", {out}), 1);
  EXPECT_EQ(
      Sample(m, "nitro_host_proxy_bytes_total", {out, "toward=\"remote\""}),
      8 * 32 * 1024);
  EXPECT_EQ(
      Sample(m, "nitro_host_proxy_bytes_total", {out, "toward=\"enclave\""}),
      8 * 32 * 1024);
}

TEST_F(TssHostProxyTest, OutboundConnectionLimitIsEnforced) {
  ReservedPort kms = ReserveTcpPort();
  const std::string dest = absl::StrCat("127.0.0.1:", kms.port);
  auto listening = ListenOn(kms);
  ASSERT_TRUE(listening.ok());
  EchoServer echo(*std::move(listening));
  StartHost(BaseConfig() + "outbound_allowlist: " + Quote(dest) +
            "\noutbound_proxies { name: \"kms\" listen: " +
            Quote("unix://" + Path("kms.sock")) +
            " destination: " + Quote(dest) + " max_connections: 2 }\n");
  auto addr = vsock::SocketAddress::Unix(Path("kms.sock"));
  std::vector<vsock::UniqueFd> open;
  for (int i = 0; i < 2; ++i) {
    auto fd = vsock::Connect(addr, absl::Seconds(5));
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(SendAll(fd->get(), "ping").ok());
    ASSERT_EQ(*RecvExactly(fd->get(), 4, absl::Seconds(10)), "ping");
    open.push_back(*std::move(fd));
  }
  auto third = vsock::Connect(addr, absl::Seconds(5));
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(ExpectPeerClosed(third->get(), absl::Seconds(10)).ok());
  EXPECT_EQ(echo.accepted(), 2);  // the third never reached the destination
  open.pop_back();
  // Once the slot is free (the closed connection's thread has finished),
  // the next connection is relayed; earlier attempts may be refused.
  ASSERT_TRUE(Eventually([&] {
    auto fd = vsock::Connect(addr, absl::Seconds(5));
    if (!fd.ok() || !SendAll(fd->get(), "pong").ok()) return false;
    auto r = RecvExactly(fd->get(), 4, absl::Seconds(5));
    return r.ok() && *r == "pong";
  }));
}

// ---- configuration errors: exit 2, the field named, nothing started ----

TEST_F(TssHostProxyTest, ConfigurationErrorsNameTheField) {
  const std::string kms = "unix://" + Path("kms.sock");
  auto outbound = [&](const std::string& allow, const std::string& dest,
                      const std::string& extra = "") {
    return absl::StrCat(
        BaseConfig(), "outbound_allowlist: ", Quote(allow),
        "\noutbound_proxies { name: \"kms\" listen: ", Quote(kms),
        " destination: ", Quote(dest), " ", extra, " }\n");
  };
  WriteFile(Path("leaf.pem"), client_.cert_pem);
  WriteFile(Path("other.key"), client_.key_pem);
  WriteFile(Path("garbage.pem"),
            "-----BEGIN CERTIFICATE-----\nnot base64!\n"
            "-----END CERTIFICATE-----\n");
  WriteFile(Path("big.pem"), std::string(300 * 1024, 'A'));
  auto inbound_with = [&](const std::string& field, const std::string& file) {
    std::string in = Inbound("unix://" + Path("enclave.sock"));
    const std::string orig =
        field == "server_certificate_file"   ? Path("server.pem")
        : field == "server_private_key_file" ? Path("server.key")
                                             : Path("client-ca.pem");
    in.replace(in.find(Quote(orig)), Quote(orig).size(), Quote(file));
    return BaseConfig() + in;
  };
  struct Case {
    std::string config;
    std::string expect;  // in stderr
  };
  const std::vector<Case> cases = {
      {outbound("kms.us-east-1.amazonaws.com:443", "evil.example.com:443"),
       "outbound_proxies[0].destination: evil.example.com:443 is not in "
       "outbound_allowlist"},
      {outbound("kms.us-east-1.amazonaws.com:443",
                "kms.us-east-1.amazonaws.com:80"),
       "outbound_proxies[0].destination"},
      {outbound("127.0.0.1:443", "127.0.0.2:443"),
       "outbound_proxies[0].destination"},
      {outbound("kms.us-east-1.amazonaws.com", "x.example.com:443"),
       "outbound_allowlist[0]"},
      {outbound("127.0.0.1:443", "127.0.0.1:443", "max_connections: 5000"),
       "outbound_proxies[0].max_connections"},
      {outbound("127.0.0.1:443", "127.0.0.1:443", "connect_attempts: 11"),
       "outbound_proxies[0].connect_attempts"},
      {absl::StrCat(BaseConfig(), "outbound_allowlist: \"127.0.0.1:443\"\n",
                    "outbound_proxies { name: \"KMS!\" listen: ", Quote(kms),
                    " destination: \"127.0.0.1:443\" }\n"),
       "outbound_proxies[0].name"},
      {BaseConfig() + Inbound("unix://x", "max_connections: 5000"),
       "inbound.max_connections"},
      {BaseConfig() + Inbound("unix://x", "idle_timeout_ms: 5"),
       "inbound.idle_timeout_ms"},
      {BaseConfig() + Inbound("tcp://x"), "inbound.enclave_service"},
      {[&] {
         std::string c = BaseConfig() + Inbound("unix://x");
         c.replace(c.find("127.0.0.1:0"), 11, "localhost:0");
         return c;
       }(),
       "inbound.listen"},
      {BaseConfig() + "metrics_listen: \"127.0.0.1\"\n", "metrics_listen"},
      {inbound_with("server_certificate_file", Path("missing.pem")),
       "inbound.server_certificate_file"},
      {inbound_with("server_certificate_file", Path("garbage.pem")),
       "inbound.server_certificate_file"},
      {inbound_with("server_certificate_file", Path("big.pem")),
       "inbound.server_certificate_file"},
      {inbound_with("server_private_key_file", Path("other.key")),
       "inbound.server_private_key_file: does not match"},
      {inbound_with("client_ca_file", Path("leaf.pem")),
       "inbound.client_ca_file: certificate 0 is not a CA"},
      {BaseConfig() + "no_such_field: 1\n", "no_such_field"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].expect);
    WriteFile(Path("bad.conf"), cases[i].config);
    auto [code, out] =
        RunHost({"--check-config", "--config", Path("bad.conf")});
    EXPECT_EQ(code, 2) << out;
    EXPECT_TRUE(absl::StrContains(out, cases[i].expect)) << out;
  }
  // Not only --check-config: a real start refuses too, before listening.
  WriteFile(Path("bad.conf"), cases[0].config);
  auto [code, out] = RunHost({"--config", Path("bad.conf")});
  EXPECT_EQ(code, 2) << out;
  EXPECT_TRUE(absl::StrContains(out, "outbound_proxies[0].destination"));
  EXPECT_FALSE(std::filesystem::exists(Path("kms.sock")));
  EXPECT_FALSE(std::filesystem::exists(Path("host.sock")));
  // An oversized configuration file.
  WriteFile(Path("huge.conf"), BaseConfig() + std::string(2 << 20, ' '));
  auto [hcode, hout] =
      RunHost({"--check-config", "--config", Path("huge.conf")});
  EXPECT_EQ(hcode, 2) << hout;
  // And the good configuration passes.
  WriteFile(Path("good.conf"), outbound("KMS.us-east-1.amazonaws.com:443",
                                        "kms.us-east-1.amazonaws.com:443") +
                                   Inbound("unix://" + Path("enclave.sock")));
  auto [gcode, gout] =
      RunHost({"--check-config", "--config", Path("good.conf")});
  EXPECT_EQ(gcode, 0) << gout;
}

// ---- metrics: the exposition passes promtool; clean shutdown ----

TEST_F(TssHostProxyTest, MetricsPassPromtoolAndShutdownIsClean) {
  auto enclave = EchoOnUnix(Path("enclave.sock"));
  ReservedPort kms = ReserveTcpPort();
  const std::string dest = absl::StrCat("127.0.0.1:", kms.port);
  auto listening = ListenOn(kms);
  ASSERT_TRUE(listening.ok());
  EchoServer echo(*std::move(listening));
  StartHost(BaseConfig() + Inbound("unix://" + Path("enclave.sock")) +
            "outbound_allowlist: " + Quote(dest) +
            "\noutbound_proxies { name: \"kms\" listen: " +
            Quote("unix://" + Path("kms.sock")) + " destination: " +
            Quote(dest) + " }\nmetrics_listen: \"127.0.0.1:0\"\n");
  // Traffic on every path: the host service, inbound, outbound. (The
  // host-service channel is closed again before SIGTERM: gRPC's server
  // shutdown waits for connected clients until its deadline.)
  {
    auto channel = vsock::DialGrpc(
        vsock::SocketAddress::Unix(Path("host.sock")), absl::Seconds(5));
    ASSERT_TRUE(channel.ok());
    auto stub = hv1::Host::NewStub(*channel);
    hv1::GetBlobRequest get;
    get.mutable_name()->set_key_id("absent");
    get.mutable_name()->set_party_id(1);
    hv1::GetBlobResponse got;
    grpc::ClientContext ctx;
    EXPECT_EQ(stub->GetBlob(&ctx, get, &got).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  auto in =
      TlsTestClient::Connect(ReadyPort("inbound"), ca_.cert_pem(), &client_);
  ASSERT_TRUE(in.ok());
  RoundTrip(**in, 100);
  auto out = vsock::Connect(vsock::SocketAddress::Unix(Path("kms.sock")),
                            absl::Seconds(5));
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(SendAll(out->get(), "x").ok());
  ASSERT_TRUE(RecvExactly(out->get(), 1, absl::Seconds(5)).ok());

  const std::string m = Metrics();
  for (const char* family : {"nitro_host_service_requests_total",
                             "nitro_host_proxy_connections_active",
                             "nitro_host_proxy_connections_opened_total",
                             "nitro_host_proxy_connections_refused_total",
                             "nitro_host_proxy_bytes_total"}) {
    EXPECT_TRUE(absl::StrContains(m, absl::StrCat("# TYPE ", family)))
        << family << "\n"
        << m;
  }
  EXPECT_EQ(Sample(m, "nitro_host_service_requests_total",
                   {"method=\"GetBlob\"", "code=\"NOT_FOUND\""}),
            1);
  EXPECT_EQ(Sample(m, "nitro_host_proxy_connections_active",
                   {"direction=\"inbound\""}),
            1);
  EXPECT_EQ(Sample(m, "nitro_host_proxy_connections_active",
                   {"direction=\"outbound\""}),
            1);
  WriteFile(Path("metrics.txt"), m);
  if (::access("/usr/bin/promtool", X_OK) != 0) {
    std::cerr << "*** promtool (Debian package prometheus) is missing: the "
                 "exposition format is NOT checked; run "
                 "scripts/install-deps.sh ***\n";
  } else {
    auto [code, lint] = [&] {
      std::string cmd = "/usr/bin/promtool check metrics < '" +
                        Path("metrics.txt") + "' 2>&1";
      FILE* f = ::popen(cmd.c_str(), "r");
      std::string o;
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof(buf), f)) > 0) o.append(buf, n);
      int st = ::pclose(f);
      return std::make_pair(WIFEXITED(st) ? WEXITSTATUS(st) : -1, o);
    }();
    EXPECT_EQ(code, 0) << lint << "\n" << m;
  }
  // SIGTERM with connections open on both proxies: exit 0, promptly.
  const absl::Time start = absl::Now();
  EXPECT_EQ(host_->Stop(absl::Seconds(10)), 0);

  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_TRUE((*in)->ExpectClosed(absl::Seconds(5)).ok());
  EXPECT_TRUE(ExpectPeerClosed(out->get(), absl::Seconds(5)).ok());
  host_.reset();
  if (::access("/usr/bin/promtool", X_OK) != 0) {
    GTEST_SKIP() << "promtool missing (install the Debian package "
                    "prometheus): exposition format not checked";
  }
}

// ---- the enclave's metrics, received through the host service ----

TEST_F(TssHostProxyTest, EnclaveMetricsAreExposedStrictlyAndPassPromtool) {
  StartHost(BaseConfig() + "metrics_listen: \"127.0.0.1:0\"\n");
  EXPECT_FALSE(absl::StrContains(Metrics(), "nitro_enclave_"));
  auto channel = vsock::DialGrpc(vsock::SocketAddress::Unix(Path("host.sock")),
                                 absl::Seconds(5));
  ASSERT_TRUE(channel.ok());
  auto stub = hv1::Host::NewStub(*channel);
  auto put = [&](const hv1::PutMetricsRequest& m) {
    hv1::PutMetricsResponse resp;
    grpc::ClientContext ctx;
    return stub->PutMetrics(&ctx, m, &resp);
  };
  // What an enclave sends (node/enclave/metrics.h).
  hv1::PutMetricsRequest good;
  auto session = [&](hv1::SessionKind k, hv1::SessionOutcome o, uint64_t n) {
    hv1::SessionCount* s = good.add_sessions();
    s->set_kind(k);
    s->set_outcome(o);
    s->set_count(n);
  };
  session(hv1::SESSION_KIND_KEYGEN, hv1::SESSION_OUTCOME_DONE, 1);
  session(hv1::SESSION_KIND_PRESIGN, hv1::SESSION_OUTCOME_ABORTED, 1);
  session(hv1::SESSION_KIND_SIGN, hv1::SESSION_OUTCOME_REFUSED, 2);
  hv1::RoundLatency* r = good.add_round_latency();
  r->set_kind(hv1::SESSION_KIND_PRESIGN);
  for (double b : {0.01, 0.1, 1.0}) r->add_upper_bounds_seconds(b);
  for (uint64_t c : {3, 2, 1}) r->add_bucket_counts(c);
  r->set_sum_seconds(1.5);
  r->set_count(7);  // one round over 1 s
  hv1::CulpritCount* c = good.add_culprits();
  c->set_code("silent");
  c->set_count(1);
  c = good.add_culprits();
  c->set_code("none");
  c->set_count(1);
  grpc::Status s = put(good);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::string m = Metrics();
  EXPECT_EQ(Sample(m, "nitro_enclave_sessions_total",
                   {"kind=\"sign\"", "outcome=\"refused\""}),
            2);
  EXPECT_EQ(Sample(m, "nitro_enclave_sessions_total",
                   {"kind=\"keygen\"", "outcome=\"done\""}),
            1);
  EXPECT_EQ(Sample(m, "nitro_enclave_round_duration_seconds_bucket",
                   {"kind=\"presign\"", "le=\"0.1\""}),
            5);  // cumulative
  EXPECT_EQ(Sample(m, "nitro_enclave_round_duration_seconds_bucket",
                   {"kind=\"presign\"", "le=\"+Inf\""}),
            7);
  EXPECT_EQ(Sample(m, "nitro_enclave_round_duration_seconds_sum",
                   {"kind=\"presign\""}),
            1.5);
  EXPECT_EQ(Sample(m, "nitro_enclave_culprits_total", {"code=\"silent\""}), 1);
  EXPECT_NEAR(Sample(m, "nitro_enclave_metrics_received_timestamp_seconds", {}),
              absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()), 60);
  if (HavePromtool()) {
    absl::Status lint = PromtoolCheck(dir_.path(), m);
    EXPECT_TRUE(lint.ok()) << lint << "\n" << m;
  }

  // Refused, naming the field; the exposed snapshot stays as it was.
  struct Case {
    std::function<void(hv1::PutMetricsRequest&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& x) {
         x.mutable_sessions(0)->set_kind(hv1::SESSION_KIND_UNSPECIFIED);
       },
       "sessions[0].kind"},
      {[](auto& x) {
         x.mutable_sessions(0)->set_kind(static_cast<hv1::SessionKind>(99));
       },
       "sessions[0].kind"},
      {[](auto& x) { *x.add_sessions() = x.sessions(0); }, "sessions[3]"},
      {[](auto& x) {
         x.mutable_round_latency(0)->set_upper_bounds_seconds(1, 0.001);
       },
       "round_latency[0].upper_bounds_seconds"},
      {[](auto& x) { x.mutable_round_latency(0)->set_count(5); },
       "round_latency[0].bucket_counts"},
      {[](auto& x) {
         x.mutable_round_latency(0)->set_sum_seconds(std::nan(""));
       },
       "round_latency[0].sum_seconds"},
      {[](auto& x) { x.mutable_culprits(0)->set_code("Bad-Code"); },
       "culprits[0].code"},
      {[](auto& x) {
         for (int i = 0; i < 40; ++i) {
           x.add_culprits()->set_code(std::string(1 + i % 26, 'a' + i % 26));
         }
       },
       "culprits"},
  };
  for (const Case& k : cases) {
    hv1::PutMetricsRequest bad = good;
    k.spoil(bad);
    grpc::Status refused = put(bad);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << k.field;
    EXPECT_TRUE(absl::StartsWith(refused.error_message(), k.field + ":"))
        << refused.error_message();
  }
  const std::string after = Metrics();
  EXPECT_EQ(Sample(after, "nitro_enclave_sessions_total",
                   {"kind=\"sign\"", "outcome=\"refused\""}),
            2);
  EXPECT_EQ(Sample(after, "nitro_host_service_requests_total",
                   {"method=\"PutMetrics\"", "code=\"INVALID_ARGUMENT\""}),
            static_cast<double>(cases.size()));
  stub.reset();
  channel->reset();
}

}  // namespace
}  // namespace nitro_tss::testing
