// How bcvk drives `podman pull`, with a stand-in podman first on PATH: the ID it prints is what
// bcvk boots, its error becomes bcvk's one line, a pipe gets one line at the start and one at the
// end, and a termination signal stops podman (made to, if it does not listen) and reaps it.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bcvk/host/image_pull.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/signals.hpp"
#include "../common/terminal_session.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

class ImagePull : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("bcvk-image-pull-" + std::to_string(::getpid()));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
    m_path = std::getenv("PATH");
    ::setenv("PATH", (m_dir.string() + ":" + m_path).c_str(), 1);
  }
  void TearDown() override {
    ::setenv("PATH", m_path.c_str(), 1);
    fs::remove_all(m_dir);
  }
  // A podman that runs `script` (sh) whatever it is asked, after noting its arguments.
  void fake_podman(const std::string& script) {
    const fs::path file = m_dir / "podman";
    std::ofstream(file) << "#!/bin/sh\necho \"$@\" > " << (m_dir / "args").string() << "\necho $$ > "
                        << (m_dir / "pid").string() << "\n"
                        << script << "\n";
    fs::permissions(file, fs::perms::owner_all);
  }
  std::string noted(const char* name) const {
    std::ifstream in(m_dir / name);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }

  fs::path m_dir;
  std::string m_path;
};

// Running, not gone or a zombie (an orphan's zombie waits for a PID 1 that may not reap).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  const auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

} // namespace

TEST_F(ImagePull, TheIdPodmanPrintsAndOneLineAtEachEndIntoAPipe) {
  fake_podman("echo 'Copying blob sha256:aa' >&2; echo 'Copying blob sha256:aa done' >&2; "
              "echo 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  ::testing::internal::CaptureStderr();
  const std::string id = pull_image_showing_progress("quay.io/a/b:1", {"/etc/auth.json", false, ""},
                                                     "/var/lib/containers/storage", nullptr);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  EXPECT_EQ(noted("args"), "pull --authfile /etc/auth.json --tls-verify=false -- quay.io/a/b:1\n");
  EXPECT_EQ(err.rfind("bcvk: pulling quay.io/a/b:1\nbcvk: pulled quay.io/a/b:1 in ", 0), 0U) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 2) << err;
  EXPECT_EQ(err.find('\x1b'), std::string::npos) << "no redrawing into a pipe";
}

TEST_F(ImagePull, PodmansErrorBecomesTheOneLineThatSaysWhatToDo) {
  fake_podman("echo 'Trying to pull h:5000/x:1...' >&2; "
              "printf 'Error: reading manifest 1 in h:5000/x: \\033]0;owned\\007unauthorized: authentication "
              "required\\n' >&2; exit 125");
  ::testing::internal::CaptureStderr();
  try {
    pull_image_showing_progress("h:5000/x:1", {}, "", nullptr);
    ADD_FAILURE() << "the pull did not fail";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot pull h:5000/x:1: h:5000 asks for credentials (unauthorized: "
                                     "authentication required): log in with 'podman login h:5000' or pass "
                                     "--authfile FILE");
  }
  ::testing::internal::GetCapturedStderr();
  fake_podman("exit 0"); // no ID: not a success
  ::testing::internal::CaptureStderr();
  EXPECT_THROW(pull_image_showing_progress("h:5000/x:1", {}, "", nullptr), Error);
  ::testing::internal::GetCapturedStderr();
}

TEST_F(ImagePull, ASignalStopsPodmanEvenOneThatIgnoresCtrlC) {
  // The stand-in ignores SIGINT and leaves a child of its own, as a hung pull could.
  fake_podman("trap '' INT; sleep 300 & echo $! > " + (m_dir / "child").string() + "; wait");
  SignalCatcher signals;
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ::kill(::getpid(), SIGTERM);
  }).detach();
  ::testing::internal::CaptureStderr();
  const auto started = std::chrono::steady_clock::now();
  try {
    pull_image_showing_progress("quay.io/a/b:1", {}, "", &signals);
    ADD_FAILURE() << "the pull was not interrupted";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signal(), SIGTERM);
  }
  ::testing::internal::GetCapturedStderr();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
  const pid_t podman = std::stoi(noted("pid"));
  const pid_t child = std::stoi(noted("child"));
  EXPECT_NE(::kill(podman, 0), 0) << "podman is reaped, not a zombie";
  for (int i = 0; i < 50 && alive(child); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(alive(child)) << "what podman started is gone with it";
}

namespace {

// podman's pull as it shows on a terminal (one bar, then done), and its inspect of the result.
const char* const k_podman_on_a_terminal =
    "case \"$1\" in\n"
    "pull) printf 'Trying to pull quay.io/a/b:1...\\r\\nCopying blob b3e0 [==>---] 40.0MiB / 100.0MiB\\r\\n' >&2;\n"
    "      sleep 1; printf '\\033[1A\\033[JCopying blob b3e0 done\\r\\n' >&2;\n"
    "      echo 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef ;;\n"
    "image) echo '[{\"Id\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",'\n"
    "       echo '\"Digest\":\"sha256:d\",\"RepoDigests\":[\"quay.io/a/b@sha256:d\"],\"Architecture\":\"amd64\",'\n"
    "       echo '\"Os\":\"linux\",\"Size\":5}]' ;;\n"
    "esac";

} // namespace

TEST_F(ImagePull, ATerminalGetsOneLineRedrawnInPlaceAndTermDumbTheTwoLines) {
  fake_podman(k_podman_on_a_terminal);
  bcvk::test_support::TerminalSession terminal({"images", "pull", "quay.io/a/b:1"});
  ASSERT_EQ(terminal.wait_exit(std::chrono::seconds(60)), 0) << terminal.screen();
  const std::string& drawn = terminal.screen();
  EXPECT_NE(drawn.find("\r\x1b[K| pulling quay.io/a/b:1: "), std::string::npos) << drawn;
  EXPECT_NE(drawn.find("0/1 layers, 40 MiB of 100 MiB ("), std::string::npos) << drawn;
  EXPECT_EQ(drawn.find("Copying blob"), std::string::npos) << "bcvk's line, not podman's bars";
  EXPECT_NE(drawn.find("\r\x1b[Kbcvk: pulled quay.io/a/b:1 in "), std::string::npos) << "the line is cleared first";
  EXPECT_NE(drawn.find("from:   quay.io/a/b@sha256:d"), std::string::npos) << drawn;

  bcvk::test_support::TerminalSession dumb({"images", "pull", "quay.io/a/b:1"}, "dumb");
  ASSERT_EQ(dumb.wait_exit(std::chrono::seconds(60)), 0) << dumb.screen();
  EXPECT_EQ(dumb.screen().find('\x1b'), std::string::npos) << dumb.screen();
  EXPECT_EQ(dumb.screen().rfind("bcvk: pulling quay.io/a/b:1\r\nbcvk: pulled quay.io/a/b:1 in ", 0), 0U)
      << dumb.screen();
}
