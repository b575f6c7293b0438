// The HOST:PORT parser of tss-host's proxy configuration
// (node/host/proxy_address.h): canonical forms only, so that the outbound
// allowlist cannot be passed by another spelling of a destination.
#include "node/host/proxy_address.h"

#include <gtest/gtest.h>

namespace nitro_tss::host {
namespace {

TEST(ProxyAddressTest, AcceptsNamesAndCanonicalIpLiterals) {
  auto a = ParseHostPort("kms.us-east-1.amazonaws.com:443");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind, HostPort::Kind::kDnsName);
  EXPECT_EQ(a->host, "kms.us-east-1.amazonaws.com");
  EXPECT_EQ(a->port, 443);
  EXPECT_EQ(a->ToString(), "kms.us-east-1.amazonaws.com:443");

  auto upper = ParseHostPort("KMS.US-EAST-1.amazonaws.com:443");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, *a);  // names compare case-insensitively

  auto v4 = ParseHostPort("127.0.0.1:65535");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->kind, HostPort::Kind::kIpv4);
  EXPECT_EQ(v4->port, 65535);

  auto v6 = ParseHostPort("[::1]:8443");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->kind, HostPort::Kind::kIpv6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->ToString(), "[::1]:8443");

  EXPECT_TRUE(ParseHostPort("localhost:1").ok());
  EXPECT_TRUE(ParseHostPort("a-b.c1:80").ok());
}

TEST(ProxyAddressTest, RefusesEverythingElse) {
  for (const char* bad : {
           "",                            // empty
           "kms.amazonaws.com",           // no port
           "kms.amazonaws.com:",          // empty port
           ":443",                        // empty host
           "kms.amazonaws.com:0",         // port 0 (not a listener)
           "kms.amazonaws.com:65536",     // port too large
           "kms.amazonaws.com:0443",      // leading zero
           "kms.amazonaws.com:+443",      // sign
           "kms.amazonaws.com:44 3",      // space
           "kms.amazonaws.com.:443",      // trailing dot
           "-kms.amazonaws.com:443",      // label starts with '-'
           "kms-.amazonaws.com:443",      // label ends with '-'
           "kms..amazonaws.com:443",      // empty label
           "kms_1.amazonaws.com:443",     // underscore
           "km\xc3\xa9.example.com:443",  // non-ASCII
           "1.2.3:443",                   // numeric last label
           "010.0.0.1:443",               // non-canonical IPv4
           "127.1:443",                   // short IPv4
           "256.0.0.1:443",               // not an address, numeric
           "::1:443",                     // IPv6 without brackets
           "[::1]443",                    // missing ':'
           "[::1:443",                    // unclosed bracket
           "[0:0:0:0:0:0:0:1]:443",       // non-canonical IPv6
           "[::1%eth0]:443",              // zone id
           "[1.2.3.4]:443",               // IPv4 in brackets
       }) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseHostPort(std::string(250, 'a') + ".com:443").ok());
  std::string with_nul("a\0b.com:443", 11);
  EXPECT_FALSE(ParseHostPort(with_nul).ok());
  std::string long_label = std::string(64, 'a') + ".com:443";
  EXPECT_FALSE(ParseHostPort(long_label).ok());
  EXPECT_TRUE(ParseHostPort(std::string(63, 'a') + ".com:443").ok());
}

TEST(ProxyAddressTest, ListenAddressesNeedAnIpLiteralAndMayUsePortZero) {
  auto a = ParseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->port, 0);
  EXPECT_TRUE(ParseListenAddress("[::]:8443").ok());
  EXPECT_TRUE(ParseListenAddress("0.0.0.0:8443").ok());
  EXPECT_FALSE(ParseListenAddress("localhost:8443").ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:0").ok());
  EXPECT_TRUE(ParseHostPort("127.0.0.1:0", /*allow_port_zero=*/true).ok());
}

}  // namespace
}  // namespace nitro_tss::host
