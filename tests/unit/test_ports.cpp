// Port choice for the SSH forwards: never one another instance claims.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "bcvk/util/error.hpp"
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/instance/ports.hpp"

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
  a.save(sa);
  auto b = InstanceDir::create(VmName::parse("beta")); // no state yet: still being created
  auto c = InstanceDir::create(VmName::parse("gamma"));
  InstanceState sc;
  sc.name = "gamma"; // --network none: no port
  c.save(sc);
  const PortRegistryLock lock;
  EXPECT_EQ(claimed_ssh_ports(), (std::set<unsigned>{41000}));
  EXPECT_TRUE(fs::exists(m_root / "ports.lock"));
}
