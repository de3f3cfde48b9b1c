// `ephemeral commit` on VMs it cannot commit (kept instances on libvirt's test driver, no VM):
// each is refused with one line naming the fix, exit 125, and the instance is left as it was.
#include <gtest/gtest.h>
#include <libvirt/virterror.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../common/no_images.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/instance/owner.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

void quiet_errors(void*, virErrorPtr) {}

const std::string k_existing = "localhost/bcvk-commit-refusal-existing:latest";

class CommitRefusals : public ::testing::Test {
protected:
  void SetUp() override {
    virSetErrorFunc(nullptr, quiet_errors);
    m_state = fs::temp_directory_path() / ("bcvk-commit-refusals-" + std::to_string(::getpid()));
    fs::create_directory(m_state);
    fs::permissions(m_state, fs::perms::owner_all);
    ::setenv("BCVK_STATE_DIR", m_state.c_str(), 1);
    ::setenv("BCVK_CONNECT", "test:///default", 1);
    if (m_runner.run({"podman", "image", "exists", k_existing}).status != 0) {
      const fs::path tar = m_state / "empty.tar";
      m_runner.run({"tar", "-cf", tar.string(), "-T", "/dev/null"});
      ASSERT_EQ(m_runner.run({"podman", "import", tar.string(), k_existing}).status, 0);
    }
  }
  void TearDown() override {
    fs::remove_all(m_state);
    m_runner.run({"podman", "rmi", "-f", k_existing});
    ::unsetenv("BCVK_STATE_DIR");
    ::unsetenv("BCVK_CONNECT");
  }

  // A kept, stopped instance as `ephemeral run` leaves it, its image `image_id`.
  void keep(const std::string& name, bool recorded, bool auto_remove, const std::string& image_id) {
    InstanceState state;
    state.name = name;
    state.image = "localhost/base";
    state.image_id = image_id;
    state.uri = "test:///default";
    state.auto_remove = auto_remove;
    state.phase = Phase::stopped;
    if (recorded) {
      state.placed_paths = std::vector<std::string>{"etc/systemd/system/bcvk-journal.service"};
    }
    InstanceOwner owner(InstanceDir::create(VmName::parse(name)), state, m_store);
    owner.save();
    owner.release(Disposition::keep);
  }

  void expect_refused(const std::vector<std::string>& args, const std::string& line, const std::string& vm) {
    const std::string state_before = read(m_state / "instances" / vm / "state.json");
    std::vector<std::string> argv{BCVK_BINARY, "ephemeral", "commit"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = m_runner.run(argv);
    EXPECT_EQ(r.status, 125) << r.err;
    EXPECT_EQ(r.err, "bcvk: error: " + line + "\n");
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(read(m_state / "instances" / vm / "state.json"), state_before) << "the instance is as it was";
    EXPECT_TRUE(fs::exists(m_state / "instances" / vm / "released")) << "and holds nothing";
    EXPECT_FALSE(fs::exists(m_state / "instances" / vm / "commit")) << "no staging is left";
  }

  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path m_state;
  SystemProcessRunner m_runner;
  test_support::NoImages m_store;
};

} // namespace

TEST_F(CommitRefusals, VmsThatCannotBeCommittedAreRefusedInOneLine) {
  const std::string gone_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  keep("older", false, false, gone_id);
  expect_refused({"older", "localhost/new"},
                 "VM older was made by an older bcvk, which neither recorded its own files in the VM nor mounted its "
                 "overlay for commits: make the changes in a new VM of localhost/base, then commit that",
                 "older");
  keep("kept", true, false, gone_id);
  expect_refused({"kept", k_existing},
                 "IMAGE: " + k_existing +
                     " names an image already: pick another name, or pass --replace to move the name to the new image",
                 "kept");
  expect_refused({"--replace", "kept", k_existing},
                 "the image VM kept was made from (localhost/base, 0123456789ab) is gone from local storage, and the "
                 "new image is built on its layers: pull or build it again",
                 "kept");
  keep("removed-on-stop", true, true, gone_id);
  expect_refused({"removed-on-stop", "localhost/new"},
                 "VM removed-on-stop runs with --rm: it is removed when it stops, so there is nothing to commit; run "
                 "the image without --rm",
                 "removed-on-stop");
}
