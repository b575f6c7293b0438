#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "nitro_tss/v1/custody.pb.h"
#include "tools/tssctl/api_commands.h"

namespace nitro_tss::tssctl {
namespace {

namespace v1 = ::nitro_tss::v1;

std::string DetailsWith(int culprits, bool other_type) {
  v1::Status status;
  status.set_code(14);
  status.set_message("no signer set signed");
  for (int i = 0; i < culprits; ++i) {
    v1::CulpritInfo c;
    c.set_node(absl::StrCat("nodes/node-", i + 1));
    c.set_code(i == 0 ? "bad_proof" : "silent");
    c.set_action(i == 0 ? "exclude" : "retry");
    c.set_reason(i == 0 ? "pi_aff_g: check failed" : "round 2 expired");
    status.add_details()->PackFrom(c);
  }
  if (other_type) status.add_details()->PackFrom(v1::Status());
  return status.SerializeAsString();
}

TEST(DescribeErrorDetails, OneLinePerCulprit) {
  EXPECT_EQ(DescribeErrorDetails(DetailsWith(2, /*other_type=*/true)),
            "  culprit nodes/node-1: bad_proof, exclude: pi_aff_g: check "
            "failed\n"
            "  culprit nodes/node-2: silent, retry: round 2 expired\n");
}

TEST(DescribeErrorDetails, NothingForNoCulpritsOrBadBytes) {
  EXPECT_EQ(DescribeErrorDetails(""), "");
  EXPECT_EQ(DescribeErrorDetails(DetailsWith(0, /*other_type=*/true)), "");
  EXPECT_EQ(DescribeErrorDetails("\xff\xff\xff"), "");
  std::string big = DetailsWith(1, false);
  big.append(64 * 1024, '\0');
  EXPECT_EQ(DescribeErrorDetails(big), "");
}

}  // namespace
}  // namespace nitro_tss::tssctl
