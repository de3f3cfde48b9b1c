// Images the way users get them: from a registry on 127.0.0.1 with its own CA and a login, as
// podman pulls them, with what a user sees while and after a pull, and what is left when it fails.
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "e2e_support.hpp"
#include "registry_support.hpp"
#include "../common/terminal_session.hpp"

using namespace bcvk;
using namespace bcvk::e2e;
using bcvk::test_support::TerminalSession;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int k_boot_budget_s = 1200;
// Slow enough that a pull of the test image's 145 MiB layer lasts a minute, so it can be cut
// or interrupted halfway; fast enough that progress shows within a second.
constexpr std::size_t k_slow_bytes_per_second = 2 * 1024 * 1024;

// The lines of `text` that are bcvk's errors.
std::vector<std::string> error_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("bcvk: error: ", 0) == 0) {
      out.push_back(line);
    }
  }
  return out;
}

// A failed run: exit 125, exactly one error line, the last one, holding `words`.
void expect_one_line(const ProcessResult& r, const std::string& words, const std::string& what) {
  EXPECT_EQ(r.status, 125) << what << ": " << r.err;
  const auto errors = error_lines(r.err);
  ASSERT_EQ(errors.size(), 1U) << what << ": " << r.err;
  EXPECT_TRUE(contains(errors[0], words)) << what << ": expected '" << words << "' in: " << errors[0];
  EXPECT_EQ(r.err.substr(r.err.rfind("bcvk: error: ")), errors[0] + "\n") << what << ": the error is the last line";
}

bool podman_pulling(const std::string& image) {
  return run({"pgrep", "-f", "podman pull .*" + image}).status == 0;
}

std::string image_id_of(const std::string& image) {
  std::string id = run({"podman", "image", "inspect", "--format", "{{.Id}}", image}).out;
  return id.substr(0, id.find('\n'));
}

class Registry : public ::testing::Test {
protected:
  void SetUp() override {
    use_test_environment();
    ASSERT_EQ(m_registry.problem(), "");
  }

  // A variant of the test image whose /etc/bcvk-registry-version says `version`.
  std::string build_version(const std::string& version) {
    const std::string dir = m_registry.dir() + "/build-" + version;
    fs::create_directories(dir);
    std::ofstream(dir + "/version") << version << "\n";
    std::ofstream(dir + "/Containerfile") << "FROM " << k_image << "\nCOPY version /etc/bcvk-registry-version\n";
    const std::string tag = "localhost/bcvk-e2e-registry-" + version + ":latest";
    const auto built = run({"podman", "build", "-q", "-t", tag, dir});
    EXPECT_EQ(built.status, 0) << built.err;
    m_local_tags.push_back(tag);
    return tag;
  }
  void forget_image(const std::string& reference) { m_local_tags.push_back(reference); }

  void TearDown() override {
    for (const auto& tag : m_local_tags) {
      run({"podman", "rmi", "-i", tag}); // a name only: the test image itself stays
    }
  }

  TestRegistry m_registry;
  std::vector<std::string> m_local_tags;
};

} // namespace

TEST_F(Registry, EachFailureSaysWhatToDoInOneLineAndLeavesNothing) {
  ASSERT_EQ(m_registry.push(k_image, m_registry.host() + "/bcvk/os:1").status, 0);
  const std::string image = m_registry.host() + "/bcvk/os:1";
  const auto removed = removed_at_exit({"e2e-reg-fail"});
  const auto refused = [&](std::vector<std::string> options, const std::string& reference) {
    std::vector<std::string> args{"ephemeral", "run", "--rm", "--name", "e2e-reg-fail"};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(reference);
    return bcvk_within(300, args);
  };

  // No credentials: the registry's answer, and how to log in.
  const auto anonymous = refused({}, image);
  expect_one_line(anonymous,
                  m_registry.host() +
                      " asks for credentials (unauthorized: authentication required): log in with "
                      "'podman login " +
                      m_registry.host() + "' or pass --authfile FILE",
                  "without credentials");
  EXPECT_TRUE(contains(anonymous.err, "bcvk: pulling " + image + "\n")) << "one line when the pull starts";
  expect_nothing_left("e2e-reg-fail");

  // The same registry under a port podman has no CA for.
  TcpRelay untrusted(m_registry.port(), 0);
  const std::string untrusted_host = "127.0.0.1:" + std::to_string(untrusted.port());
  expect_one_line(refused({"--authfile", m_registry.authfile()}, untrusted_host + "/bcvk/os:1"),
                  "the certificate of " + untrusted_host +
                      " is not trusted (x509: certificate signed by unknown authority): put the registry's CA in "
                      "/etc/containers/certs.d/" +
                      untrusted_host + "/ca.crt, or pass --tls-verify=false",
                  "an untrusted certificate");
  expect_nothing_left("e2e-reg-fail");
  // --tls-verify=false takes any certificate (and `images pull` prints what it pulled).
  m_registry.add_credentials(untrusted.port());
  const auto unverified = bcvk_within(300, {"images", "pull", "--tls-verify=false", "--authfile", m_registry.authfile(),
                                            untrusted_host + "/bcvk/os:1"});
  EXPECT_EQ(unverified.status, 0) << unverified.err;
  EXPECT_TRUE(contains(unverified.out, "id:     " + image_id_of(k_image) + "\n")) << unverified.out;
  EXPECT_TRUE(contains(unverified.out, "from:   " + untrusted_host + "/bcvk/os@sha256:")) << unverified.out;
  forget_image(untrusted_host + "/bcvk/os:1");
  // --arch names a variant the image does not have: podman stores the one it has (with a
  // warning); bcvk says it is not what was asked for.
  expect_one_line(bcvk_within(300, {"images", "pull", "--tls-verify=false", "--arch", "aarch64", "--authfile",
                                    m_registry.authfile(), untrusted_host + "/bcvk/os:1"}),
                  "IMAGE: " + untrusted_host + "/bcvk/os:1 has no arm64 variant (podman stored its amd64 one)",
                  "--arch of a variant the image lacks");
  forget_image(untrusted_host + "/bcvk/os:1");

  expect_one_line(refused({"--authfile", m_registry.authfile()}, m_registry.host() + "/bcvk/os:no-such-tag"),
                  m_registry.host() + " has no such image or tag", "a tag the registry does not have");
  expect_nothing_left("e2e-reg-fail");

  const std::string nowhere = "127.0.0.1:" + std::to_string(closed_loopback_port());
  expect_one_line(refused({}, nowhere + "/bcvk/os:1"),
                  nowhere + " cannot be reached (connection refused): check the address and that the registry is up",
                  "a registry that does not answer");
  expect_nothing_left("e2e-reg-fail");

  // --pull=never of an absent image: refused before any registry is asked.
  TcpRelay watched(m_registry.port(), 0);
  m_registry.trust_port(watched.port());
  const std::string watched_image = "127.0.0.1:" + std::to_string(watched.port()) + "/bcvk/os:1";
  const auto started = std::chrono::steady_clock::now();
  const auto never = refused({"--pull=never", "--authfile", m_registry.authfile()}, watched_image);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  RecordProperty("pull_never_refused_ms", static_cast<int>(took.count()));
  expect_one_line(never, "IMAGE: " + watched_image + " is not in local storage and --pull=never forbids pulling it",
                  "--pull=never");
  EXPECT_EQ(watched.connections(), 0) << "--pull=never never reaches the registry";
  EXPECT_FALSE(contains(never.err, "bcvk: pulling")) << never.err;
  expect_nothing_left("e2e-reg-fail");

  // A full disk under podman's storage (a 64 MiB tmpfs of its own; the image takes 360 MiB).
  {
    const PrivateStorage small(m_registry.dir() + "/small-storage", 64);
    ASSERT_TRUE(small.mounted()) << "the small storage is a tmpfs, or the disk is not what fills";
    const auto full = bcvk_within(300, {"images", "pull", "--authfile", m_registry.authfile(), image});
    expect_one_line(full, "the disk holding podman's storage (" + m_registry.dir() + "/small-storage/graph) is full",
                    "a full disk");
    EXPECT_FALSE(small.has(image)) << "no half image is left in storage";
  }
  EXPECT_EQ(run_podman_mounts(), "");
}

TEST_F(Registry, APullShowsProgressOnATerminalAndACutOrInterruptedOneLeavesNothing) {
  ASSERT_EQ(m_registry.push(k_image, m_registry.host() + "/bcvk/os:1").status, 0);
  TcpRelay slow(m_registry.port(), k_slow_bytes_per_second);
  m_registry.trust_port(slow.port());
  const std::string image = "127.0.0.1:" + std::to_string(slow.port()) + "/bcvk/os:1";
  const PrivateStorage storage(m_registry.dir() + "/storage");
  const auto removed = removed_at_exit({"e2e-reg-int", "e2e-reg-cut"});

  // On a terminal: one line redrawn in place, with the layers and bytes so far; Ctrl-C ends it.
  {
    TerminalSession terminal(
        {"ephemeral", "run", "--rm", "--name", "e2e-reg-int", "--authfile", m_registry.authfile(), image});
    ASSERT_TRUE(terminal.wait_for(" MiB of ", 120s)) << terminal.screen();
    EXPECT_TRUE(contains(terminal.screen(), "pulling " + image + ": 0/1 layers, ")) << terminal.screen();
    EXPECT_TRUE(contains(terminal.screen(), "\r\x1b[K")) << "the line is redrawn in place";
    EXPECT_FALSE(contains(terminal.screen(), "Copying blob")) << "bcvk draws its own line, not podman's bars";
    terminal.type("\x03");
    EXPECT_EQ(terminal.wait_exit(60s), 130) << terminal.screen();
    EXPECT_FALSE(contains(terminal.screen(), "bcvk: pulled")) << terminal.screen();
    expect_nothing_left("e2e-reg-int");
    EXPECT_FALSE(storage.has(image)) << "an interrupted pull stores no image";
    EXPECT_FALSE(podman_pulling(image)) << "podman was stopped with bcvk";
    EXPECT_FALSE(storage.temporary_files_left()) << "podman removed what it had downloaded";
  }

  // The registry dies halfway through a pull: one clear line, nothing left.
  {
    Background pull({"ephemeral", "run", "--rm", "--name", "e2e-reg-cut", "--authfile", m_registry.authfile(), image});
    ASSERT_TRUE(eventually([&] { return slow.bytes_down() > 8 * 1024 * 1024; }, 120s)) << pull.err();
    m_registry.kill();
    ASSERT_EQ(pull.wait_exit(300s), 125) << pull.err();
    const auto errors = error_lines(pull.err());
    ASSERT_EQ(errors.size(), 1U) << pull.err();
    EXPECT_TRUE(contains(errors[0], "cannot pull " + image + ": ")) << errors[0];
    EXPECT_TRUE(contains(errors[0], "cannot be reached")) << errors[0];
    EXPECT_TRUE(contains(pull.err(), "bcvk: pulling " + image + "\n")) << "piped: one line at the start, no bar";
    EXPECT_FALSE(contains(pull.err(), "\x1b")) << "no terminal sequences into a pipe";
    expect_nothing_left("e2e-reg-cut");
    EXPECT_FALSE(storage.has(image));
    EXPECT_FALSE(podman_pulling(image));
    EXPECT_FALSE(storage.temporary_files_left());
  }
}

TEST_F(Registry, PulledImagesBootAndAKeptVmKeepsTheImageItWasMadeFrom) {
  const std::string one = build_version("one");
  const std::string two = build_version("two");
  const std::string three = build_version("three");
  const std::string image = m_registry.host() + "/bcvk/os:latest";
  forget_image(image);
  ASSERT_EQ(m_registry.push(one, image).status, 0);
  const auto removed = removed_at_exit({"e2e-reg-kept", "e2e-reg-look", "e2e-reg-new"});
  const std::string show = "echo VERSION=$(cat /etc/bcvk-registry-version)";

  // Pulled with --authfile (piped: one line at the start and one at the end), booted, kept.
  const auto first = bcvk_within(k_boot_budget_s, {"ephemeral", "run", "--name", "e2e-reg-kept", "-K", "--memory", "1G",
                                                   "--authfile", m_registry.authfile(), "--execute", show, image});
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(field(first.out, "VERSION"), "one");
  EXPECT_TRUE(contains(first.err, "bcvk: pulling " + image + "\n")) << first.err;
  EXPECT_TRUE(contains(first.err, "bcvk: pulled " + image + " in ")) << first.err;
  const auto kept = nlohmann::json::parse(bcvk_cli({"ephemeral", "inspect", "e2e-reg-kept"}).out);
  EXPECT_EQ(kept["image"], image);
  EXPECT_EQ(kept["image_id"], image_id_of(one));
  const std::string repo_digest = kept["image_repo_digest"];
  EXPECT_EQ(repo_digest, m_registry.host() + "/bcvk/os@" + std::string(kept["image_digest"]));
  EXPECT_EQ(run({"podman", "image", "inspect", "--format", "{{.Id}}", repo_digest}).out, image_id_of(one) + "\n")
      << "the recorded repo digest names exactly the image that was booted";
  // images list: the pulled image with where it came from, its architecture and size.
  const auto images = nlohmann::json::parse(bcvk_cli({"images", "list", "--format", "json"}).out);
  bool listed_image = false;
  for (const auto& img : images) {
    if (img["id"] == image_id_of(one)) {
      listed_image = true;
      EXPECT_EQ(img["architecture"], "amd64");
      EXPECT_EQ(img["os"], "linux");
      EXPECT_GT(img["size"].get<std::uint64_t>(), 100U << 20);
      EXPECT_NE(img["repo_digests"].dump().find(repo_digest), std::string::npos) << img.dump();
    }
  }
  EXPECT_TRUE(listed_image) << images.dump();
  const auto table = bcvk_cli({"images", "list"}).out;
  EXPECT_TRUE(contains(table, "DIGEST") && contains(table, "linux/amd64")) << table;
  const auto listed = nlohmann::json::parse(bcvk_cli({"ephemeral", "ps", "-a", "--format", "json"}).out);
  bool listed_kept = false;
  for (const auto& vm : listed) {
    if (vm["name"] == "e2e-reg-kept") {
      listed_kept = true;
      EXPECT_EQ(vm["image_digest"], kept["image_digest"]);
      EXPECT_EQ(vm["image_repo_digest"], repo_digest);
    }
  }
  EXPECT_TRUE(listed_kept) << listed.dump();
  EXPECT_TRUE(contains(slurp(state_dir() + "/instances/e2e-reg-kept/domain.xml"),
                       "<bcvk:image-repo-digest>" + repo_digest + "</bcvk:image-repo-digest>"));

  // The tag moves. The default policy boots what local storage has under the name.
  ASSERT_EQ(m_registry.push(two, image).status, 0);
  const auto look = [&](std::vector<std::string> options) {
    std::vector<std::string> args{"ephemeral", "run", "-d", "--name", "e2e-reg-look", "--memory", "1G"};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(image);
    const auto r = bcvk_within(600, args);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto seen = nlohmann::json::parse(bcvk_cli({"ephemeral", "inspect", "e2e-reg-look"}).out);
    // libvirt's copy of bcvk's metadata, as virsh and virt-manager show it.
    const auto xml = run({"virsh", "-c", "qemu:///system", "dumpxml", "e2e-reg-look"}).out;
    EXPECT_TRUE(contains(xml, "<bcvk:image-digest>" + seen.value("image_digest", "?") + "</bcvk:image-digest>")) << xml;
    EXPECT_EQ(bcvk_cli({"ephemeral", "rm", "-f", "e2e-reg-look"}).status, 0);
    expect_nothing_left("e2e-reg-look");
    return std::make_pair(r, std::string(seen.value("image_id", "")));
  };
  const auto [by_default, default_id] = look({});
  EXPECT_EQ(default_id, image_id_of(one)) << "missing: the local image";
  EXPECT_FALSE(contains(by_default.err, "pulling")) << by_default.err;

  // --pull=newer boots the new content, seen from inside the guest.
  const auto newer =
      bcvk_within(k_boot_budget_s, {"ephemeral", "run", "--rm", "--name", "e2e-reg-new", "--memory", "1G",
                                    "--pull=newer", "--authfile", m_registry.authfile(), "--execute", show, image});
  ASSERT_EQ(newer.status, 0) << newer.err;
  EXPECT_EQ(field(newer.out, "VERSION"), "two");
  expect_nothing_left("e2e-reg-new");

  // After `podman login` (root's own auth file), --pull=always takes the newest push.
  ASSERT_EQ(m_registry.push(three, image).status, 0);
  const std::string login = std::string("printf %s '") + TestRegistry::k_password + "' | podman login -u " +
                            TestRegistry::k_user + " --password-stdin " + m_registry.host();
  ASSERT_EQ(run({"sh", "-c", login}).status, 0);
  const auto [always, always_id] = look({"--pull=always"});
  EXPECT_EQ(always_id, image_id_of(three)) << always.err;
  EXPECT_TRUE(contains(always.err, "bcvk: pulled " + image)) << always.err;

  // The kept VM boots the image it was made from, whatever the tag names now.
  ASSERT_EQ(bcvk_cli({"ephemeral", "start", "e2e-reg-kept"}).status, 0);
  const auto again = bcvk_within(k_boot_budget_s, {"ephemeral", "ssh", "e2e-reg-kept", show});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(field(again.out, "VERSION"), "one");
  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", "-f", "e2e-reg-kept"}).status, 0);
  expect_nothing_left("e2e-reg-kept");
}
