// bcvk VMs in the tools people already use: virt-manager's list and console (on a virtual X
// display, read back by OCR), the guest display itself, and libvirt's own view of it.
#include "e2e_support.hpp"

#include <sstream>

#include <nlohmann/json.hpp>

using namespace bcvk::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A guard for the suite only, above bcvk's own hard cap for an emulated guest (900 s): bcvk's
// limits, which follow the guest's progress, are what end a slow boot.
constexpr int k_boot_budget_s = 1200;

class Ecosystem : public ::testing::Test {
protected:
  void SetUp() override { use_test_environment(); }
};

// Screenshots are kept for people to look at: build/tests/e2e-artifacts/.
std::string artifacts_dir() {
  const std::string dir = fs::path(BCVK_BINARY).parent_path().string() + "/tests/e2e-artifacts";
  fs::create_directories(dir);
  return dir;
}

std::string ocr(const std::string& png) {
  const std::string big = png + ".ocr.png";
  run({"convert", png, "-scale", "200%", big});
  const auto text = run({"tesseract", big, "-"});
  fs::remove(big);
  return text.out;
}

} // namespace

TEST_F(Ecosystem, VirtManagerListsTheVmByTitleAndItsConsoleShowsTheLoginPrompt) {
  const std::string vm = "e2e-gfx";
  const auto removed = removed_at_exit({vm});
  const auto started = bcvk_within(k_boot_budget_s, {"ephemeral", "run", "-d", "--rm", "--name", vm, "--graphics",
                                                     "vnc", "--memory", "1G", k_image});
  ASSERT_EQ(started.status, 0) << started.err;

  // The display listens on no TCP port (VNC has no password here), only on a socket in the
  // domain's private directory, which only root and QEMU's user may enter.
  const auto display = run({"virsh", "-c", "qemu:///system", "domdisplay", vm});
  ASSERT_TRUE(display.out.starts_with("vnc+unix://")) << display.out;
  const std::string socket =
      display.out.substr(std::string("vnc+unix://").size(), display.out.find('\n') - std::string("vnc+unix://").size());
  EXPECT_EQ(fs::status(fs::path(socket).parent_path()).permissions() & fs::perms::others_all, fs::perms::none)
      << socket;
  // QEMU's only TCP listener is the VM's SSH forward on 127.0.0.1.
  const std::string ssh_port =
      std::to_string(nlohmann::json::parse(bcvk_cli({"ephemeral", "inspect", vm}).out).at("ssh_port").get<unsigned>());
  std::istringstream listeners(run({"ss", "-ltnpH"}).out);
  for (std::string line; std::getline(listeners, line);) {
    if (contains(line, "qemu")) {
      EXPECT_TRUE(contains(line, " 127.0.0.1:" + ssh_port + " ")) << "QEMU listens where it should not: " << line;
    }
  }
  const auto title = run({"virsh", "-c", "qemu:///system", "desc", "--title", vm});
  EXPECT_EQ(title.out, "bcvk: " + k_image + " (" + vm + ")\n");
  const auto desc = run({"virsh", "-c", "qemu:///system", "desc", vm});
  EXPECT_TRUE(contains(desc.out, "removes it with all its state")) << desc.out;

  // The guest's own display: its login prompt, read back from libvirt's screenshot.
  const std::string shot = artifacts_dir() + "/guest-display.png";
  std::string text;
  EXPECT_TRUE(eventually(
      [&] {
        const std::string ppm = artifacts_dir() + "/guest-display.ppm";
        if (run({"virsh", "-c", "qemu:///system", "screenshot", vm, ppm}).status != 0) {
          return false;
        }
        run({"convert", ppm, shot});
        fs::remove(ppm);
        text = ocr(shot);
        return contains(text, "login:");
      },
      std::chrono::seconds(k_boot_budget_s)))
      << "what the display showed last: " << text;

  // virt-manager on a virtual X display: the VM listed by its title, its console showing the guest.
  const auto shots = run({"xvfb-run", "-a", "-s", "-screen 0 1280x900x24", "dbus-launch", "--exit-with-session", "bash",
                          std::string(BCVK_SOURCE_DIR) + "/tests/e2e/virt_manager_shots.sh", vm, artifacts_dir()});
  EXPECT_EQ(shots.status, 0) << shots.err;
  EXPECT_TRUE(contains(shots.out, "list: ok")) << shots.out << slurp(artifacts_dir() + "/virt-manager-list.txt");
  EXPECT_TRUE(contains(shots.out, "console: ok")) << shots.out << slurp(artifacts_dir() + "/virt-manager-console.txt");
  EXPECT_TRUE(fs::exists(artifacts_dir() + "/virt-manager-console.png"));
  // Below the window's menu and toolbar, the console area holds more than a blank background.
  const auto colours = run({"convert", artifacts_dir() + "/virt-manager-console.png", "-crop", "1280x800+0+80",
                            "+repage", "-format", "%k", "info:"});
  EXPECT_GT(std::stol("0" + colours.out), 1) << "the console is blank (one colour)";

  EXPECT_EQ(bcvk_cli({"ephemeral", "stop", vm}).status, 0);
  expect_nothing_left(vm);
}
