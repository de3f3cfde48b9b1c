// The test-only stopping points: inert unless BCVK_TEST_STOP_AT names the point, then they stop
// the process right there for a test to kill.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "bcvk/util/fault_point.hpp"

using namespace bcvk;

// In a child: were the points not inert, the child would stop, and the test sees that at once
// instead of hanging itself.
TEST(FaultPoint, InertUnlessNamed) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::unsetenv(k_fault_point_env);
    fault_point("image-mounted");
    ::setenv(k_fault_point_env, "root-mounted", 1);
    fault_point("image-mounted");
    fault_point("root-mounted-not");
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, WUNTRACED), child);
  if (WIFSTOPPED(status)) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    FAIL() << "a point that was not named stopped the process";
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(FaultPoint, TheNamedPointStopsTheProcess) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setenv(k_fault_point_env, "domain-created", 1);
    fault_point("domain-created");
    ::_exit(0); // only reached once continued
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, WUNTRACED), child);
  EXPECT_TRUE(WIFSTOPPED(status));
  ::kill(child, SIGKILL);
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
}
