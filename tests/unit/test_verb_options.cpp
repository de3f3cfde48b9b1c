// Every verb's options are checked up front, before anything on the host is touched.
#include <gtest/gtest.h>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/verb_options.hpp"

using namespace bcvk;

namespace {

template <typename Fn> std::string usage_error(Fn fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

} // namespace

TEST(PsOptions, FiltersAreParsedOnceAndMatchLabels) {
  PsOptions o;
  o.filters = {"label=team", "label=env=prod"};
  const PsRequest r = validate_ps_options(o);
  ASSERT_EQ(r.filters.size(), 2U);
  EXPECT_TRUE(r.filters[0].matches({{"team", "qa"}}));
  EXPECT_FALSE(r.filters[0].matches({{"teams", "qa"}}));
  EXPECT_TRUE(r.filters[1].matches({{"env", "prod"}}));
  EXPECT_FALSE(r.filters[1].matches({{"env", "dev"}}));
  const LabelFilter empty_value{"k", std::string()};
  EXPECT_TRUE(empty_value.matches({{"k", ""}})) << "label=k= asks for an empty value";
}

TEST(PsOptions, BadFiltersAndFormatsAreRefusedEvenWithNoVms) {
  for (const std::string bad : {"name=x", "label=", "label==x", "labelx"}) {
    PsOptions o;
    o.filters = {bad};
    EXPECT_NE(usage_error([&] { validate_ps_options(o); }).find("--filter: unsupported filter"), std::string::npos)
        << bad;
  }
  PsOptions o;
  o.format = "yaml";
  EXPECT_EQ(usage_error([&] { validate_ps_options(o); }), "--format: unknown format 'yaml': use table or json");
}

TEST(StopOptions, TimeoutMustBeUsable) {
  StopOptions o;
  o.names = {"vm"};
  o.timeout_seconds = 0;
  EXPECT_NE(usage_error([&] { validate_stop_options(o); }).find("--force to power off at once"), std::string::npos);
  o.timeout_seconds = k_max_stop_timeout + 1;
  EXPECT_NE(usage_error([&] { validate_stop_options(o); }).find("out of range"), std::string::npos);
  o.timeout_seconds = 5;
  EXPECT_EQ(validate_stop_options(o).names.front().str(), "vm");
  o.names = {"../x"};
  EXPECT_NE(usage_error([&] { validate_stop_options(o); }).find("invalid VM name"), std::string::npos);
}

TEST(RmOptions, NamesOrAllButNotBoth) {
  RmOptions o;
  EXPECT_EQ(usage_error([&] { validate_rm_options(o); }), "rm: name the VMs to remove, or use --all");
  o.all = true;
  o.names = {"a"};
  EXPECT_EQ(usage_error([&] { validate_rm_options(o); }), "rm: give either NAMEs or --all, not both");
  o.names.clear();
  EXPECT_TRUE(validate_rm_options(o).all);
}

TEST(LogsOptions, OneSourceAndFollowOnlyWhereItWorks) {
  LogsOptions o;
  o.name = "vm";
  EXPECT_EQ(validate_logs_options(o).source, LogSource::journal);
  o.console = true;
  EXPECT_EQ(validate_logs_options(o).source, LogSource::console);
  o.virtiofsd = true;
  EXPECT_NE(usage_error([&] { validate_logs_options(o); }).find("exclude each other"), std::string::npos);
  o.console = false;
  o.follow = true;
  EXPECT_NE(usage_error([&] { validate_logs_options(o); }).find("--follow"), std::string::npos);
}

TEST(SshOptions, ForwardsAndTimeoutAreCheckedBeforeConnecting) {
  SshOptions o;
  o.name = "vm";
  o.local_forwards = {"8080:localhost:80"};
  o.remote_forwards = {"9000:127.0.0.1:9000"};
  const SshRequest r = validate_ssh_options(o);
  ASSERT_EQ(r.forwards.size(), 2U);
  EXPECT_EQ(r.forwards[0].direction, ForwardDirection::local);
  EXPECT_EQ(r.forwards[1].direction, ForwardDirection::remote);
  o.timeout_seconds = 0;
  EXPECT_EQ(usage_error([&] { validate_ssh_options(o); }), "--ssh-timeout: must be at least 1 second");
  o.timeout_seconds = 10;
  o.local_forwards = {"nonsense"};
  EXPECT_NE(usage_error([&] { validate_ssh_options(o); }), "(no error)");
}
