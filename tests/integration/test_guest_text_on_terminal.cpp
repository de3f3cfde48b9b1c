// The guest's journal and console reach the operator's terminal through `bcvk ephemeral logs`:
// on a terminal, escape sequences the guest wrote (clipboard writes, title changes) are rendered
// harmless; into a pipe, the log comes byte for byte as the guest wrote it.
#include <gtest/gtest.h>
#include <libvirt/virterror.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "bcvk/host/process.hpp"
#include "../common/no_images.hpp"
#include "bcvk/instance/owner.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

void quiet_errors(void*, virErrorPtr) {}

const std::string k_hostile = "Dec 02 10:00:00 guest systemd[1]: Started a.service.\n"
                              "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\x07"
                              "CLIPBOARD-LEFT-ALONE "
                              "\x1b]0;owned title\x1b\\"
                              "\x1b[31mred\x1b[0m \x1b[6n"
                              "end\n";

class GuestTextOnTerminal : public ::testing::Test {
protected:
  void SetUp() override {
    virSetErrorFunc(nullptr, quiet_errors);
    m_state = fs::temp_directory_path() / ("bcvk-guest-text-" + std::to_string(::getpid()));
    fs::create_directory(m_state);
    fs::permissions(m_state, fs::perms::owner_all);
    ::setenv("BCVK_STATE_DIR", m_state.c_str(), 1);
    ::setenv("BCVK_CONNECT", "test:///default", 1);
    // A kept instance, stopped, whose guest left escape sequences in its journal and console.
    InstanceState state;
    state.name = m_name;
    state.image_id = "0123456789abcdef";
    state.uri = "test:///default";
    InstanceOwner owner(InstanceDir::create(VmName::parse(m_name)), state, m_store);
    owner.save();
    for (const auto& log : {owner.dir().journal_log(), owner.dir().console_log()}) {
      std::ofstream(log, std::ios::binary) << k_hostile;
    }
    owner.release(Disposition::keep);
  }
  void TearDown() override {
    fs::remove_all(m_state);
    ::unsetenv("BCVK_STATE_DIR");
    ::unsetenv("BCVK_CONNECT");
  }

  // What `bcvk ARGS` writes to a terminal it has as stdout, stdin and stderr; and its status.
  static std::pair<std::string, int> on_a_terminal(const std::vector<std::string>& args) {
    int master = -1;
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    if (pid == 0) {
      std::vector<char*> argv{const_cast<char*>(BCVK_BINARY)};
      for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
      }
      argv.push_back(nullptr);
      ::execv(BCVK_BINARY, argv.data());
      ::_exit(127);
    }
    std::string out;
    char buf[4096];
    while (true) {
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break; // EIO once the child closed its side
      }
    }
    ::close(master);
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::erase(out, '\r'); // the terminal's own "\n" -> "\r\n"
    return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
  }

  fs::path m_state;
  std::string m_name = "guest-text";
  test_support::NoImages m_store;
};

} // namespace

TEST_F(GuestTextOnTerminal, EscapeSequencesFromTheGuestNeverReachTheTerminal) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"ephemeral", "logs", m_name},
                                               std::vector<std::string>{"ephemeral", "logs", "--console", m_name}}) {
    const auto [out, status] = on_a_terminal(args);
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << args[2] << ": " << out;
    EXPECT_EQ(out.find('\x07'), std::string::npos) << out;
    EXPECT_EQ(out.find("owned title"), std::string::npos) << out;
    EXPECT_NE(out.find("Started a.service.\nCLIPBOARD-LEFT-ALONE red end\n"), std::string::npos) << out;
  }
}

TEST_F(GuestTextOnTerminal, IntoAPipeTheLogIsByteForByte) {
  SystemProcessRunner runner;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{BCVK_BINARY, "ephemeral", "logs", m_name},
        std::vector<std::string>{BCVK_BINARY, "ephemeral", "logs", "--console", m_name}}) {
    const auto r = runner.run(args);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, k_hostile) << args[3];
  }
}
