// Completion candidates come from the command-line definitions themselves.
#include <gtest/gtest.h>

#include "bcvk/vm/pull_options.hpp"

#include <CLI/CLI.hpp>

#include "bcvk/cli/cli.hpp"
#include "bcvk/cli/completion.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/log.hpp"
#include "bcvk/vm/instance_type.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/vm/verb_options.hpp"

using namespace bcvk;

namespace {

using Words = std::vector<std::string>;

class Completion : public ::testing::Test {
protected:
  void SetUp() override {
    declare_cli(m_app, m_ctx);
    m_sources.instances = [] { return Words{"dev-box", "other"}; };
    m_sources.images = [] { return Words{"localhost/mybootc:latest", "quay.io/x/y:1"}; };
  }
  Words complete(const Words& words) const { return complete_words(m_app, words, m_sources); }
  CLI::App m_app;
  Context m_ctx;
  CompletionSources m_sources;
};

// Calls `visit` with every option of every command, hidden ones included.
template <typename F> void for_each_option(const CLI::App& root, F visit) {
  std::vector<const CLI::App*> pending{&root};
  while (!pending.empty()) {
    const CLI::App* app = pending.back();
    pending.pop_back();
    for (const CLI::Option* option : app->get_options()) {
      visit(*app, *option);
    }
    for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
      pending.push_back(sub);
    }
  }
}

bool contains(const Words& words, const std::string& w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

} // namespace

TEST_F(Completion, VerbsByPrefixWithoutHiddenOnes) {
  EXPECT_EQ(complete({""}), (Words{"ephemeral", "images"})) << "completion and __complete stay hidden";
  EXPECT_EQ(complete({"ephemeral", "st"}), (Words{"start", "stats", "stop"}));
  EXPECT_EQ(complete({"ephemeral", "s"}), (Words{"ssh", "ssh-config", "start", "stats", "stop"}))
      << "supervise is hidden";
  EXPECT_EQ(complete({"-c", "qemu:///system", "images", ""}), (Words{"list", "pull"}))
      << "a global option's value is skipped";
  EXPECT_EQ(complete({"ephemeral", "list", "--"}).size(), complete({"ephemeral", "ps", "--"}).size())
      << "an alias leads to the same verb";
}

TEST_F(Completion, OptionsOfTheVerbAndTheGlobalOnes) {
  const auto options = complete({"ephemeral", "run", "--"});
  EXPECT_TRUE(contains(options, "--itype"));
  EXPECT_TRUE(contains(options, "--ssh-keygen"));
  EXPECT_TRUE(contains(options, "--connect")) << "global options work after the verb";
  EXPECT_FALSE(contains(options, "--follow")) << "another verb's option";
  EXPECT_EQ(complete({"ephemeral", "ps", "--f"}), (Words{"--filter", "--format"}));
}

TEST_F(Completion, OptionValuesFromWhatBcvkAccepts) {
  EXPECT_EQ(complete({"ephemeral", "run", "--network", ""}), (Words{"bridge=", "isolated", "none", "user"}));
  EXPECT_EQ(complete({"ephemeral", "run", "--itype", "u1.2x"}), (Words{"u1.2xlarge", "u1.2xmedium"}));
  EXPECT_EQ(complete({"ephemeral", "ps", "--format", ""}), (Words{"json", "table"}));
  // The same option name, another verb's values: commit's --format is an image format.
  EXPECT_EQ(complete({"ephemeral", "commit", "--format", ""}), (Words{"docker", "oci"}));
  EXPECT_EQ(complete({"ephemeral", "commit", "-f", ""}), (Words{"docker", "oci"}));
  EXPECT_EQ(complete({"ephemeral", "run-ssh", "--graphics", ""}), (Words{"none", "spice", "vnc"}));
  EXPECT_EQ(complete({"ephemeral", "run", "--initramfs", ""}), (Words{"image", "minimal"}));
  EXPECT_EQ(complete({"--log-level", "d"}), (Words{"debug"}));
  EXPECT_EQ(complete({"ephemeral", "run", "--bind", ""}), (Words{std::string(k_complete_files)}));
  EXPECT_EQ(complete({"ephemeral", "run", "--memory", ""}), Words{}) << "a size: nothing to offer";
  EXPECT_EQ(complete({"ephemeral", "run", "--pull", ""}), (Words{"always", "missing", "never", "newer"}));
  EXPECT_EQ(complete({"images", "pull", "--authfile", ""}), (Words{std::string(k_complete_files)}));
}

TEST_F(Completion, PositionalsAreVmNamesOrImages) {
  EXPECT_EQ(complete({"ephemeral", "ssh", "d"}), (Words{"dev-box"}));
  EXPECT_EQ(complete({"ephemeral", "stop", "dev-box", ""}), (Words{"dev-box", "other"})) << "stop takes several";
  EXPECT_EQ(complete({"ephemeral", "ssh", "dev-box", ""}), Words{}) << "then the remote command";
  EXPECT_EQ(complete({"ephemeral", "run", "--memory", "4G", "local"}), (Words{"localhost/mybootc:latest"}));
  EXPECT_EQ(complete({"ephemeral", "run-ssh", "img", "--", ""}), Words{});
  EXPECT_EQ(complete({"ephemeral", "ps", ""}), Words{});
}

TEST_F(Completion, EveryOptionWithCompletedValuesExistsAndTakesAValue) {
  for (const auto& name : options_with_completed_values()) {
    SCOPED_TRACE(name);
    bool found = false;
    for_each_option(m_app, [&](const CLI::App&, const CLI::Option& option) {
      const auto& lnames = option.get_lnames();
      if (std::find(lnames.begin(), lnames.end(), name) != lnames.end()) {
        found = true;
        EXPECT_NE(option.get_type_size(), 0);
      }
    });
    EXPECT_TRUE(found);
  }
}

TEST(CompletionScript, OneForEachSupportedShell) {
  EXPECT_NE(completion_script("bash").find("complete -F _bcvk bcvk"), std::string::npos);
  EXPECT_TRUE(completion_script("zsh").starts_with("#compdef bcvk\n"));
  EXPECT_NE(completion_script("fish").find("complete -c bcvk"), std::string::npos);
  EXPECT_THROW(completion_script("tcsh"), UsageError);
}

// Every value completion offers is one bcvk accepts: the lists cannot drift from the parsers.
TEST_F(Completion, OfferedValuesAreAcceptedByTheirOptions) {
  for (const auto& value : complete({"ephemeral", "run", "--network", ""})) {
    if (!value.ends_with("=")) { // bridge= still needs its bridge's name
      EXPECT_NO_THROW(parse_network(value)) << value;
    }
  }
  for (const auto& value : complete({"ephemeral", "run", "--pull", ""})) {
    EXPECT_NO_THROW(parse_pull_policy(value)) << value;
  }
  for (const auto& value : complete({"ephemeral", "run", "--graphics", ""})) {
    EXPECT_NO_THROW(parse_graphics(value)) << value;
  }
  for (const auto& value : complete({"ephemeral", "run", "--itype", ""})) {
    EXPECT_NO_THROW(find_instance_type(value)) << value;
  }
  for (const auto& value : complete({"ephemeral", "ps", "--format", ""})) {
    EXPECT_NO_THROW(parse_output_format(value)) << value;
  }
  for (const auto& value : complete({"--log-level", ""})) {
    EXPECT_NO_THROW(configure_logging(value)) << value;
  }
  configure_logging("warn");
  EXPECT_EQ(complete({"ephemeral", "run", "--itype", ""}).size(), instance_types().size());
}

TEST_F(Completion, EveryRepeatableOptionTakesOneValuePerOccurrence) {
  // Otherwise CLI11 would swallow the words after it (an IMAGE after --mount-disk-file FILE), and
  // completion, which assumes one value, would be wrong about what follows.
  for_each_option(m_app, [](const CLI::App& app, const CLI::Option& option) {
    if (option.nonpositional() && option.get_items_expected_max() > 1) {
      EXPECT_FALSE(option.get_allow_extra_args()) << app.get_name() << " " << option.get_name();
    }
  });
}
