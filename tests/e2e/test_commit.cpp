// `ephemeral commit`: what was done in a VM becomes an image that boots with exactly those
// changes, on the base image's own layers, without anything of bcvk's or of the old machine.
#include <regex>

#include "e2e_support.hpp"

using namespace bcvk::e2e;
namespace fs = std::filesystem;

namespace {

const std::string k_committed = "localhost/bcvk-e2e-committed:latest";

std::vector<std::string> layers_of(const std::string& image) {
  const auto r = run({"podman", "image", "inspect", "--format", "{{range .RootFS.Layers}}{{.}} {{end}}", image});
  std::istringstream in(r.out);
  std::vector<std::string> layers;
  for (std::string layer; in >> layer;) {
    layers.push_back(layer);
  }
  return layers;
}

// Whether `path` exists in the image, and its content: read from a mount of it, released at once.
std::string entry_in(const std::string& image, const std::string& path) {
  const auto mounted = run({"podman", "image", "mount", image});
  std::string root = mounted.out;
  root.erase(root.find_last_not_of('\n') + 1);
  const fs::path file = fs::path(root) / path;
  std::string seen = fs::is_symlink(file) ? "link " + fs::read_symlink(file).string()
                     : fs::exists(file)   ? "file " + slurp(file.string())
                                          : "absent";
  run({"podman", "image", "umount", image});
  return seen;
}

} // namespace

TEST(Commit, AVmsChangesBootAsAnImageWithoutBcvksFilesOnTheBaseLayers) {
  use_test_environment();
  const std::string vm = "e2e-commit";
  const std::string again = "e2e-commit-again";
  run({"podman", "rmi", "-f", k_committed});
  const auto cleanup = removed_at_exit({vm, again});
  const auto image_cleanup = AtScopeExit([] { run({"podman", "rmi", "-f", k_committed}); });

  const auto started = bcvk_within(600, {"ephemeral", "run", "-d", "-K", "--name", vm, "--memory", "1G", k_image});
  ASSERT_EQ(started.status, 0) << started.err;
  // A file installed, one of the image's deleted, a configuration changed, and a guest file named as
  // one bcvk places elsewhere.
  const auto changed = bcvk_within(300, {"ephemeral", "ssh", vm, "--",
                                         "set -e; printf 'tool v1\\n' > /usr/local/bin/e2e-tool; "
                                         "chmod 0755 /usr/local/bin/e2e-tool; rm /etc/motd; "
                                         "echo 'e2e changed this' >> /etc/issue; mkdir -p /etc/systemd/user; "
                                         "echo guest > /etc/systemd/user/bcvk-journal.service; "
                                         "mkdir -p /var/lib/e2e && echo kept > /var/lib/e2e/data; "
                                         "echo HOSTKEY=$(cut -d' ' -f2 /etc/ssh/ssh_host_rsa_key.pub); "
                                         "echo MACHINE=$(cat /etc/machine-id)"});
  ASSERT_EQ(changed.status, 0) << changed.err;
  const std::string old_host_key = field(changed.out, "HOSTKEY");
  const std::string old_machine_id = field(changed.out, "MACHINE");
  ASSERT_FALSE(old_host_key.empty());

  // Running: refused in one line naming the fix.
  const auto running = bcvk_cli({"ephemeral", "commit", vm, k_committed});
  EXPECT_EQ(running.status, 125);
  EXPECT_EQ(running.err, "bcvk: error: VM " + vm + " is running: stop it first ('bcvk ephemeral stop " + vm +
                             "'), or pass --stop\n");

  const auto committed = bcvk_within(
      300, {"ephemeral", "commit", "--stop", "-m", "e2e changes", "--change", "LABEL e2e.commit=yes", vm, k_committed});
  ASSERT_EQ(committed.status, 0) << committed.err;
  EXPECT_TRUE(std::regex_match(committed.out, std::regex("[0-9a-f]{64}\n"))) << "stdout is the ID: " << committed.out;
  EXPECT_TRUE(contains(committed.err, "the guest changed /var")) << committed.err;

  // The base's layers, shared, plus exactly one.
  const auto base_layers = layers_of(k_image);
  const auto new_layers = layers_of(k_committed);
  ASSERT_EQ(new_layers.size(), base_layers.size() + 1);
  EXPECT_TRUE(std::equal(base_layers.begin(), base_layers.end(), new_layers.begin()));
  EXPECT_TRUE(contains(run({"podman", "image", "tree", k_committed}).out, "Top Layer of: [" + k_committed + "]"));
  EXPECT_EQ(run({"podman", "image", "inspect", "--format",
                 "{{index .Labels \"containers.bootc\"}} "
                 "{{index .Labels \"e2e.commit\"}}",
                 k_committed})
                .out,
            "1 yes\n");
  // Nothing of bcvk's or of the old machine: each such path is as the base image has it.
  for (const auto* path :
       {"etc/systemd/system/bcvk-journal.service", "etc/systemd/system/sysinit.target.wants/bcvk-journal.service",
        "etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ed25519_key.pub", "etc/ssh/ssh_host_rsa_key",
        "root/.ssh/authorized_keys", "etc/machine-id", "etc/bcvk", "var/lib/systemd/random-seed", "var/log/journal"}) {
    EXPECT_EQ(entry_in(k_committed, path), entry_in(k_image, path)) << path;
  }
  // Refused without --replace, the existing image untouched.
  const auto exists = bcvk_cli({"ephemeral", "commit", vm, k_committed});
  EXPECT_EQ(exists.status, 125);
  EXPECT_EQ(exists.err, "bcvk: error: IMAGE: " + k_committed +
                            " names an image already: pick another name, or pass --replace to move the name to "
                            "the new image\n");
  EXPECT_EQ(layers_of(k_committed), new_layers);

  // The new image boots with -K: fresh keys (not the old VM's), and exactly the changes.
  const auto booted =
      bcvk_within(600, {"ephemeral", "run-ssh", "--name", again, "--memory", "1G", k_committed, "--",
                        "echo TOOL=$(cat /usr/local/bin/e2e-tool) $(stat -c %a /usr/local/bin/e2e-tool); "
                        "echo MOTD=$(test -e /etc/motd && echo present || echo gone); "
                        "echo ISSUE=$(tail -n 1 /etc/issue); "
                        "echo USERUNIT=$(cat /etc/systemd/user/bcvk-journal.service); "
                        "echo VAR=$(cat /var/lib/e2e/data); "
                        "echo HOSTKEY=$(cut -d' ' -f2 /etc/ssh/ssh_host_rsa_key.pub); "
                        "echo MACHINE=$(cat /etc/machine-id)"});
  ASSERT_EQ(booted.status, 0) << booted.err;
  EXPECT_EQ(field(booted.out, "TOOL"), "tool v1 755");
  EXPECT_EQ(field(booted.out, "MOTD"), "gone");
  EXPECT_EQ(field(booted.out, "ISSUE"), "e2e changed this");
  EXPECT_EQ(field(booted.out, "USERUNIT"), "guest");
  EXPECT_EQ(field(booted.out, "VAR"), "kept") << "a change below /var is committed, with a warning";
  EXPECT_NE(field(booted.out, "HOSTKEY"), old_host_key)
      << "the old VM's RSA host key (made by the image at boot, not by bcvk) stayed out of the image";
  EXPECT_NE(field(booted.out, "MACHINE"), old_machine_id);

  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", "-f", vm}).status, 0);
  expect_nothing_left(vm);
  expect_nothing_left(again);
}
