// Port choice for the SSH forwards: never one another instance claims.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "bcvk/util/error.hpp"
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/instance/ports.hpp"
#include "bcvk/host/port_probe.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

TEST(ChoosePort, SkipsClaimedCandidates) {
  std::vector<unsigned> candidates{40001, 40002, 40003};
  std::size_t next = 0;
  const auto port = choose_port(
      {40001, 40002}, [&] { return candidates[next++]; }, 8);
  EXPECT_EQ(port, 40003U);
}

TEST(ChoosePort, GivesUpAfterTheAttempts) {
  EXPECT_THROW(choose_port(
                   {40001}, [] { return 40001U; }, 5),
               Error);
}

TEST(PickLoopbackPort, ReturnsABindablePort) {
  const unsigned port = pick_loopback_port();
  EXPECT_GT(port, 1023U);
  EXPECT_LE(port, 65535U);
}

class PortRegistry : public ::testing::Test {
protected:
  void SetUp() override {
    m_root = fs::temp_directory_path() / ("bcvk-ports-test-" + std::to_string(::getpid()));
    fs::create_directories(m_root);
    ::setenv("BCVK_STATE_DIR", m_root.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("BCVK_STATE_DIR");
    fs::remove_all(m_root);
  }
  fs::path m_root;
};

TEST_F(PortRegistry, EveryInstanceClaimsItsRecordedPort) {
  auto a = InstanceDir::create(VmName::parse("alpha"));
  InstanceState sa;
  sa.name = "alpha";
  sa.ssh_port = 41000;
  sa.ports = {parse_port("8080:80"), parse_port("0.0.0.0:5353:53/udp")};
  a.save(sa);
  auto b = InstanceDir::create(VmName::parse("beta")); // no state yet: still being created
  auto c = InstanceDir::create(VmName::parse("gamma"));
  InstanceState sc;
  sc.name = "gamma"; // --network none: no port
  c.save(sc);
  const PortRegistryLock lock;
  EXPECT_EQ(claimed_ports(), (std::map<unsigned, std::string>{{41000, "alpha"}, {8080, "alpha"}, {5353, "alpha"}}));
  EXPECT_EQ(a.load().ports, sa.ports) << "--port forwards survive the state file";
  EXPECT_TRUE(fs::exists(m_root / "ports.lock"));
}

TEST(RequireFreePort, RefusesAPortInUseAndAForeignAddress) {
  const unsigned port = pick_loopback_port();
  EXPECT_NO_THROW(require_free_port(parse_port(std::to_string(port) + ":80")));
  Fd held(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ASSERT_EQ(::bind(held.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(held.get(), 1), 0);
  try {
    require_free_port(parse_port(std::to_string(port) + ":80"));
    FAIL() << "a port with a listener was taken as free";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port) + "/tcp is already in use"),
              std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(require_free_port(parse_port(std::to_string(port) + ":80/udp"))) << "UDP is a separate space";
  try {
    require_free_port(parse_port("192.0.2.1:" + std::to_string(port) + ":80"));
    FAIL() << "an address of another host was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("is not an address of this host"), std::string::npos) << e.what();
  }
}
