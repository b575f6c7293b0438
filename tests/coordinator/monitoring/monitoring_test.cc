// The alerting rules pass `promtool check rules` and their unit tests
// (`promtool test rules`), and the dashboard is well-formed JSON whose
// panels all have queries. (That every metric they name exists is checked
// against a running coordinator in tests/coordinator/service.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/json.h"

namespace nitro_tss {
namespace {

std::pair<int, std::string> Shell(const std::string& cmd) {
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int st = ::pclose(f);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

bool HavePromtool() {
  if (::access("/usr/bin/promtool", X_OK) == 0) return true;
  std::cerr << "*** promtool (Debian package prometheus) is missing: the "
               "rules are NOT checked; run scripts/install-deps.sh ***\n";
  return false;
}

TEST(MonitoringTest, AlertRulesPassPromtoolCheck) {
  if (!HavePromtool()) GTEST_SKIP() << "promtool missing";
  auto [code, out] =
      Shell("/usr/bin/promtool check rules coordinator/monitoring/alerts.yml");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("SUCCESS: 7 rules found"), std::string::npos) << out;
}

TEST(MonitoringTest, AlertsFireOnTheirSeriesAndNotOnAHealthyCluster) {
  if (!HavePromtool()) GTEST_SKIP() << "promtool missing";
  auto [code, out] = Shell(
      "cd coordinator/monitoring && /usr/bin/promtool test rules "
      "alerts_test.yml");
  EXPECT_EQ(code, 0) << out;
}

TEST(MonitoringTest, ABrokenRuleIsRefused) {
  if (!HavePromtool()) GTEST_SKIP() << "promtool missing";
  // The check can fail: a rule with a bad expression is refused.
  char dir[] = "/tmp/nitro-monitoring-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/bad.yml";
  std::ofstream(path) << "groups:\n  - name: x\n    rules:\n"
                         "      - alert: Bad\n        expr: rate(x[5m]\n";
  auto [code, out] = Shell("/usr/bin/promtool check rules " + path);
  EXPECT_NE(code, 0) << out;
  Shell(std::string("rm -rf ") + dir);
}

TEST(MonitoringTest, DashboardIsWellFormed) {
  std::ifstream in("coordinator/monitoring/dashboard.json");
  ASSERT_TRUE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  auto dash = json::Parse(ss.str());
  ASSERT_TRUE(dash.ok()) << dash.status();
  auto uid = dash->StringField("uid");
  ASSERT_TRUE(uid.ok());
  auto panels = dash->ArrayField("panels");
  ASSERT_TRUE(panels.ok()) << panels.status();
  ASSERT_GE((*panels)->size(), 8u);
  for (size_t i = 0; i < (*panels)->size(); ++i) {
    auto targets = (**panels)[i].ArrayField("targets");
    ASSERT_TRUE(targets.ok()) << "panel " << i << ": " << targets.status();
    ASSERT_GE((*targets)->size(), 1u) << "panel " << i;
    for (const json::Value& t : **targets) {
      auto expr = t.StringField("expr");
      ASSERT_TRUE(expr.ok()) << "panel " << i;
      EXPECT_NE(expr->find("nitro_"), std::string::npos) << *expr;
    }
  }
}

}  // namespace
}  // namespace nitro_tss
