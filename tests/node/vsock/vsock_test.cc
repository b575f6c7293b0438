#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "node/vsock/address.h"
#include "node/vsock/grpc_fd.h"
#include "node/vsock/socket.h"

namespace nitro_tss::vsock {
namespace {

TEST(SocketAddress, ParsesVsockAndUnix) {
  auto v = SocketAddress::Parse("vsock://16:5000");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, SocketAddress::Kind::kVsock);
  EXPECT_EQ(v->cid, 16u);
  EXPECT_EQ(v->port, 5000u);
  EXPECT_EQ(v->ToString(), "vsock://16:5000");
  auto max = SocketAddress::Parse("vsock://4294967295:0");
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_EQ(max->cid, 0xFFFFFFFFu);
  auto u = SocketAddress::Parse("unix:///tmp/x.sock");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->path, "/tmp/x.sock");
  EXPECT_EQ(u->ToString(), "unix:///tmp/x.sock");
}

TEST(SocketAddress, RefusesMalformed) {
  for (const char* bad :
       {"", "vsock://", "vsock://16", "vsock://16:", "vsock://:5",
        "vsock://-1:5", "vsock://16:+5", "vsock://016:5",
        "vsock://4294967296:1", "vsock://1:99999999999", "vsock://1:2:3",
        "vsock://a:1", "unix://", "tcp://127.0.0.1:1", "unix:/tmp/x",
        "VSOCK://1:2"}) {
    auto a = SocketAddress::Parse(bad);
    EXPECT_FALSE(a.ok()) << bad;
    if (!a.ok()) {
      EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
  EXPECT_FALSE(SocketAddress::Parse("unix://" + std::string(108, 'a')).ok());
  EXPECT_TRUE(SocketAddress::Parse("unix://" + std::string(107, 'a')).ok());
  EXPECT_FALSE(SocketAddress::Parse(std::string("unix://a\0b", 10)).ok());
}

// A service to serve: the transport is what is under test.
class ServingHealth final : public grpc::health::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext*,
                     const grpc::health::v1::HealthCheckRequest*,
                     grpc::health::v1::HealthCheckResponse* resp) override {
    resp->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
};

std::unique_ptr<grpc::Server> StartServer(ServingHealth& health) {
  grpc::ServerBuilder builder;
  builder.RegisterService(&health);
  return builder.BuildAndStart();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vsock_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A health-checked gRPC server reachable through the acceptor, and a client
// dialed through DialGrpc: the same code that serves vsock serves here.
void ExpectHealthyOver(UniqueFd listener, const SocketAddress& address) {
  ServingHealth health;
  std::unique_ptr<grpc::Server> server = StartServer(health);
  ASSERT_NE(server, nullptr);
  auto acceptor = GrpcFdAcceptor::Start(server.get(), std::move(listener));
  ASSERT_TRUE(acceptor.ok()) << acceptor.status();

  for (int i = 0; i < 3; ++i) {  // several connections, each its own channel
    auto channel = DialGrpc(address, absl::Seconds(5));
    ASSERT_TRUE(channel.ok()) << channel.status();
    auto stub = grpc::health::v1::Health::NewStub(*channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = stub->Check(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  EXPECT_EQ((*acceptor)->accepted(), 3u);
  (*acceptor)->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

TEST(GrpcFd, ServesGrpcOverUnixSocket) {
  TempDir dir;
  SocketAddress address = SocketAddress::Unix(dir.path() + "/enclave.sock");
  auto listener = Listen(address);
  ASSERT_TRUE(listener.ok()) << listener.status();
  ExpectHealthyOver(std::move(*listener), address);
  struct stat st {};
  ASSERT_EQ(::stat(address.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(GrpcFd, ListenReplacesStaleSocketButNotOtherFiles) {
  TempDir dir;
  SocketAddress address = SocketAddress::Unix(dir.path() + "/s.sock");
  {
    auto first = Listen(address);
    ASSERT_TRUE(first.ok()) << first.status();
  }  // closed: the socket file stays behind, as after a crash
  auto second = Listen(address);
  EXPECT_TRUE(second.ok()) << second.status();
  std::string regular = dir.path() + "/file";
  std::ofstream(regular) << "keep me";
  auto refused = Listen(SocketAddress::Unix(regular));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(std::filesystem::exists(regular));
}

TEST(GrpcFd, ConnectToNothingIsUnavailable) {
  TempDir dir;
  auto fd =
      Connect(SocketAddress::Unix(dir.path() + "/none.sock"), absl::Seconds(1));
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(fd.status().message().find("none.sock"), std::string::npos);
}

// AF_VSOCK needs the vsock_loopback transport to talk to itself; machines
// with /dev/vsock but no loopback (this CI's) cannot run this test.
TEST(GrpcFd, ServesGrpcOverVsockLoopback) {
  if (!VsockAvailable()) {
    GTEST_SKIP() << "no AF_VSOCK sockets on this kernel: the vsock transport "
                    "is tested only where vsock loopback exists";
  }
  // VMADDR_CID_LOCAL = 1 is the loopback CID.
  auto listener = Listen(SocketAddress::Vsock(kVsockCidAny, 0xFFFFFFFFu));
  if (!listener.ok()) {
    GTEST_SKIP() << "AF_VSOCK present but cannot listen (" << listener.status()
                 << "): no vsock loopback transport here";
  }
  auto bound =
      BoundAddress(listener->get(), SocketAddress::Vsock(1, 0xFFFFFFFFu));
  ASSERT_TRUE(bound.ok()) << bound.status();
  {
    auto probe = Connect(*bound, absl::Seconds(2));
    if (!probe.ok()) {
      GTEST_SKIP() << "AF_VSOCK present but loopback connect failed ("
                   << probe.status() << "): no vsock_loopback module here";
    }
    // The probe connection sits in the backlog; the acceptor hands it to
    // the server, which counts it.
  }
  ServingHealth health;
  std::unique_ptr<grpc::Server> server = StartServer(health);
  auto acceptor = GrpcFdAcceptor::Start(server.get(), std::move(*listener));
  ASSERT_TRUE(acceptor.ok()) << acceptor.status();
  auto channel = DialGrpc(*bound, absl::Seconds(5));
  ASSERT_TRUE(channel.ok()) << channel.status();
  auto stub = grpc::health::v1::Health::NewStub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(stub->Check(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  (*acceptor)->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace
}  // namespace nitro_tss::vsock
