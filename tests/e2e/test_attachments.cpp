// Everything attached to a guest, checked from inside it in one boot: shares, disks, swap, host
// storage, injected units, serial outputs, outbound networking, and the logs afterwards.
#include "e2e_support.hpp"
#include "loopback.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "bcvk/instance/ports.hpp"

using namespace bcvk::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class Attachments : public ::testing::Test {
protected:
  void SetUp() override {
    use_test_environment();
    m_dir = fs::path("/var/tmp") / ("bcvk-e2e-attach-" + std::to_string(::getpid()));
    fs::create_directories(m_dir / "rw");
    fs::create_directories(m_dir / "ro");
    fs::create_directories(m_dir / "units/system");
    std::ofstream(m_dir / "rw/from-host.txt") << "hello from the host\n";
    std::ofstream(m_dir / "ro/config.txt") << "read only\n";
    std::ofstream(m_dir / "units/system/bcvk-e2e-hello.service")
        << "[Unit]\nDescription=e2e injected unit\n[Service]\nType=oneshot\nRemainAfterExit=yes\n"
           "ExecStart=/bin/sh -c 'echo injected > /run/bcvk-e2e-hello'\n[Install]\nWantedBy=multi-user.target\n";
    std::ofstream(m_dir / "units/system/srv-e2e.mount")
        << "[Unit]\nDescription=e2e injected mount\n[Mount]\nWhat=tmpfs\nWhere=/srv/e2e\nType=tmpfs\n"
           "[Install]\nWantedBy=local-fs.target\n";
    // A socket-activated service answering a fixed string: what --port forwards to.
    std::ofstream(m_dir / "units/system/bcvk-e2e-echo.socket")
        << "[Unit]\nDescription=e2e port target\n[Socket]\nListenStream=8000\nAccept=yes\n"
           "[Install]\nWantedBy=sockets.target\n";
    std::ofstream(m_dir / "units/system/bcvk-e2e-echo@.service")
        << "[Unit]\nDescription=e2e port answer\n[Service]\nExecStart=/bin/echo reached-through-port\n"
           "StandardOutput=socket\n";
    std::ofstream(m_dir / "serial.out") << "kept from before\n"; // appended to, never truncated
    run({"truncate", "-s", "64M", (m_dir / "data.raw").string()});
    run({"qemu-img", "create", "-q", "-f", "qcow2", (m_dir / "data.qcow2").string(), "32M"});
  }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string path(const std::string& rel) const { return (m_dir / rel).string(); }
  fs::path m_dir;
};

} // namespace

TEST_F(Attachments, EverySharedThingWorksFromInsideTheGuest) {
  LoopbackServer server;
  const std::string port = std::to_string(server.port());
  // What --bind-storage-ro must not share: a podman secret of the host. What it must: the image.
  std::ofstream(path("secret.txt")) << "e2e-secret-value";
  run({"podman", "secret", "rm", "bcvk-e2e-secret"});
  ASSERT_EQ(run({"podman", "secret", "create", "bcvk-e2e-secret", path("secret.txt")}).status, 0);
  const AtScopeExit secret_gone([] { run({"podman", "secret", "rm", "bcvk-e2e-secret"}); });
  const auto image = run({"podman", "image", "inspect", "--format", "{{.Id}} {{.GraphDriver.Data.UpperDir}}", k_image});
  const std::string image_id = image.out.substr(0, image.out.find(' '));
  const std::string top_layer = fs::path(image.out.substr(image.out.find(' ') + 1)).parent_path().filename();
  ASSERT_EQ(top_layer.size(), 64U) << image.out;
  const std::string probe =
      "echo STORAGE_ENTRIES=$(ls /run/virtiofs-mnt-hoststorage | tr '\\n' ,); "
      "echo STORAGE_IMAGE=$(grep -c " +
      image_id +
      " /run/virtiofs-mnt-hoststorage/overlay-images/images.json); "
      "echo STORAGE_LAYER=$(test -d /run/virtiofs-mnt-hoststorage/overlay/" +
      top_layer +
      "/diff/usr/lib/systemd && echo readable); "
      // podman keeps a secret's value base64-encoded: "e2e-secret-value" is stored as this.
      "echo STORAGE_SECRET=$(grep -rl --exclude-dir=diff -e e2e-secret-value -e ZTJlLXNlY3JldC12YWx1ZQ "
      "/run/virtiofs-mnt-hoststorage "
      "2>/dev/null | wc -l); "
      "echo RW_READ=$(cat /run/virtiofs-mnt-work/from-host.txt); "
      "echo from-guest > /run/virtiofs-mnt-work/from-guest.txt && echo RW_WRITE=ok; "
      "echo RO_READ=$(cat /run/virtiofs-mnt-conf/config.txt); "
      "echo RO_WRITE=$(touch /run/virtiofs-mnt-conf/x 2>&1 | grep -o 'Read-only file system'); "
      "echo STORAGE=$(test -d /run/virtiofs-mnt-hoststorage/overlay-images && echo yes); "
      "echo STORAGE_WRITE=$(touch /run/virtiofs-mnt-hoststorage/x 2>&1 | grep -o 'Read-only file system'); "
      "echo DISK_RAW=$(blockdev --getsize64 /dev/disk/by-id/virtio-data); "
      "echo DISK_QCOW2=$(blockdev --getsize64 /dev/disk/by-id/virtio-qdata); "
      "echo SWAP=$(swapon --show=NAME,SIZE --noheadings --bytes | awk '{print $2}'); "
      "echo UNIT=$(systemctl is-active bcvk-e2e-hello.service)-$(cat /run/bcvk-e2e-hello); "
      "echo MOUNT_UNIT=$(systemctl is-active srv-e2e.mount); "
      "echo SERIAL=$(echo to-the-host > /dev/virtio-ports/e2eout && echo sent); "
      "for i in $(seq 30); do r=$(timeout 5 bash -c 'exec 3<>/dev/tcp/10.0.2.2/" +
      port + "; cat <&3' 2>/dev/null) && break; sleep 1; done; echo NET=$r";
  const auto r = bcvk_within(900, {"ephemeral",
                                   "run",
                                   "--name",
                                   "e2e-attach",
                                   "--memory",
                                   "1G",
                                   "--network",
                                   "user",
                                   "--bind",
                                   path("rw") + ":work",
                                   "--ro-bind",
                                   path("ro") + ":conf",
                                   "--bind-storage-ro",
                                   "--mount-disk-file",
                                   path("data.raw") + ":data",
                                   "--mount-disk-file",
                                   path("data.qcow2") + ":qdata",
                                   "--add-swap",
                                   "256M",
                                   "--systemd-units",
                                   path("units"),
                                   "--virtio-serial-out",
                                   "e2eout:" + path("serial.out"),
                                   "--execute",
                                   probe,
                                   k_image});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(field(r.out, "RW_READ"), "hello from the host");
  EXPECT_EQ(field(r.out, "RW_WRITE"), "ok");
  EXPECT_EQ(slurp(path("rw/from-guest.txt")), "from-guest\n") << "the guest's write reaches the host";
  EXPECT_EQ(field(r.out, "RO_READ"), "read only");
  EXPECT_EQ(field(r.out, "RO_WRITE"), "Read-only file system");
  EXPECT_FALSE(fs::exists(path("ro/x")));
  EXPECT_EQ(field(r.out, "STORAGE"), "yes");
  EXPECT_EQ(field(r.out, "STORAGE_WRITE"), "Read-only file system");
  EXPECT_EQ(field(r.out, "STORAGE_ENTRIES"), "overlay,overlay-images,overlay-layers,");
  EXPECT_EQ(field(r.out, "STORAGE_IMAGE"), "1") << "the host's image is listed";
  EXPECT_EQ(field(r.out, "STORAGE_LAYER"), "readable") << "and its files are there";
  EXPECT_EQ(field(r.out, "STORAGE_SECRET"), "0") << "a host secret reached the guest";
  EXPECT_EQ(field(r.out, "DISK_RAW"), std::to_string(64 << 20));
  EXPECT_EQ(field(r.out, "DISK_QCOW2"), std::to_string(32 << 20)) << "qcow2 detected by content";
  const long swap = std::stol("0" + field(r.out, "SWAP"));
  EXPECT_GT(swap, 250L << 20);
  EXPECT_LE(swap, 256L << 20);
  EXPECT_EQ(field(r.out, "UNIT"), "active-injected");
  EXPECT_EQ(field(r.out, "MOUNT_UNIT"), "active");
  EXPECT_EQ(field(r.out, "SERIAL"), "sent");
  EXPECT_EQ(slurp(path("serial.out")), "kept from before\nto-the-host\n");
  EXPECT_EQ(field(r.out, "NET"), "hello-from-host-loopback");

  // The VM was kept: its logs stay readable until it is removed.
  const auto journal = bcvk_cli({"ephemeral", "logs", "e2e-attach"});
  EXPECT_EQ(journal.status, 0) << journal.err;
  EXPECT_TRUE(contains(journal.out, "e2e injected unit")) << journal.out.substr(0, 2000);
  const auto console = bcvk_cli({"ephemeral", "logs", "--console", "e2e-attach"});
  EXPECT_TRUE(contains(console.out, "Linux version"));
  const auto virtiofsd = bcvk_cli({"ephemeral", "logs", "--virtiofsd", "e2e-attach"});
  EXPECT_EQ(virtiofsd.status, 0) << virtiofsd.err;
  EXPECT_TRUE(contains(virtiofsd.out, "e2e-attach-fs")) << virtiofsd.out.substr(0, 500);

  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", "e2e-attach"}).status, 0);
  expect_nothing_left("e2e-attach");
  EXPECT_TRUE(fs::exists(path("data.raw"))) << "the user's disk files are never removed";
}

// Isolated (the default): the guest reaches nothing, yet its sshd answers on the loopback forward
// and --port forwards reach a guest service. Also: a share at a guest path of its own, and the
// image's kargs.d arguments ahead of the user's.
TEST_F(Attachments, IsolatedNetworkReachesNothingButKeepsTheSshForward) {
  LoopbackServer server;
  const unsigned forwarded = bcvk::pick_loopback_port();
  const std::string probe =
      "echo CMDLINE=$(cat /proc/cmdline); echo WORKSPACE=$(cat /workspace/config.txt); "
      "echo WORKSPACE_MOUNT=$(findmnt -n -o FSTYPE /workspace)-$(findmnt -n -o OPTIONS /workspace | cut -d, -f1); "
      "echo STREAMED=before-the-wait; sleep 40; r=$(timeout 5 bash -c 'exec 3<>/dev/tcp/10.0.2.2/" +
      std::to_string(server.port()) + "; cat <&3' 2>&1) && echo NET=reached || echo NET=blocked";
  Background vm({"ephemeral", "run", "--rm", "--name", "e2e-isolated", "--memory", "1G", "--port",
                 std::to_string(forwarded) + ":8000", "--systemd-units", path("units"), "--ro-bind",
                 path("ro") + ":/workspace", "--karg", "bcvk.test.order=user", "--execute", probe, k_image});
  ASSERT_TRUE(eventually([] { return domain_exists("e2e-isolated"); }, 60s)) << vm.err();
  const int port = ssh_port_of("e2e-isolated");
  ASSERT_GT(port, 0) << "inspect reports no ssh_port for e2e-isolated";
  const auto inspect = nlohmann::json::parse(bcvk_cli({"ephemeral", "inspect", "e2e-isolated"}).out);
  ASSERT_EQ(inspect["ports"].size(), 1U) << inspect.dump();
  EXPECT_EQ(inspect["ports"][0]["host_address"], "127.0.0.1");
  EXPECT_EQ(inspect["ports"][0]["host_port"], forwarded);
  EXPECT_EQ(inspect["ports"][0]["guest_port"], 8000);
  EXPECT_EQ(inspect["ports"][0]["protocol"], "tcp");
  const auto taken = bcvk_cli(
      {"ephemeral", "run", "--rm", "--name", "e2e-port-taken", "--port", std::to_string(forwarded) + ":80", k_image});
  EXPECT_EQ(taken.status, 125);
  EXPECT_TRUE(contains(taken.err, "host port " + std::to_string(forwarded) + " is claimed by VM e2e-isolated"))
      << taken.err;
  EXPECT_FALSE(domain_exists("e2e-port-taken"));
  EXPECT_FALSE(fs::exists(state_dir() + "/instances/e2e-port-taken"));
  EXPECT_TRUE(eventually([&] { return loopback_banner(static_cast<int>(forwarded)) == "reached-through-port"; }, 600s))
      << "nothing answered on 127.0.0.1:" << forwarded << "; " << vm.err();
  // --execute output is streamed while the command runs: its first line arrives during the 40 s wait.
  EXPECT_TRUE(eventually([&] { return contains(vm.out(), "STREAMED=before-the-wait"); }, 600s)) << vm.err();
  EXPECT_FALSE(contains(vm.out(), "NET=")) << "the first line arrived only when the command ended";
  // sshd is up once the --execute command runs (after multi-user.target), which then waits 40 s.
  EXPECT_TRUE(eventually([&] { return loopback_banner(port).rfind("SSH-2.0-", 0) == 0; }, 60s))
      << "no SSH banner on 127.0.0.1:" << port;
  EXPECT_EQ(vm.wait_exit(600s), 0) << vm.err();
  EXPECT_EQ(field(vm.out(), "NET"), "blocked");
  EXPECT_EQ(field(vm.out(), "WORKSPACE"), "read only");
  EXPECT_EQ(field(vm.out(), "WORKSPACE_MOUNT"), "virtiofs-ro");
  const std::string cmdline = field(vm.out(), "CMDLINE");
  const auto image_arg = cmdline.find("bcvk.test.kargs=from-kargs-d bcvk.test.order=image");
  EXPECT_NE(image_arg, std::string::npos) << "the image's kargs.d arguments: " << cmdline;
  EXPECT_GT(cmdline.find("bcvk.test.order=user"), image_arg) << "the user's --karg comes last and wins: " << cmdline;
  EXPECT_FALSE(contains(cmdline, "bcvk.test.arch=wrong")) << "a kargs.d file for another architecture applied";
  expect_nothing_left("e2e-isolated");
}

TEST_F(Attachments, BadHostPathsFailBeforeAnythingIsCreated) {
  std::ofstream(path("plain-file")) << "x";
  run({"qemu-img", "create", "-q", "-f", "vmdk", path("disk.vmdk"), "1M"});
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--bind", path("missing") + ":m"}, "--bind: " + path("missing") + " does not exist"},
      {{"--ro-bind", path("plain-file") + ":p"}, "--ro-bind: " + path("plain-file") + " is not a directory"},
      {{"--mount-disk-file", path("nodisk.raw")}, "--mount-disk-file: " + path("nodisk.raw") + " does not exist"},
      {{"--mount-disk-file", path("disk.vmdk") + ":v"}, "is a vmdk image: use raw or qcow2"},
      {{"--virtio-serial-out", "p:" + path("no/dir/out")},
       "--virtio-serial-out: the directory of " + path("no/dir/out") + " does not exist"},
      {{"--systemd-units", path("rw")}, "has no system/ subdirectory"},
  };
  for (const auto& [opt, message] : cases) {
    std::vector<std::string> args{"ephemeral", "run", "--rm", "--name", "e2e-badpath"};
    args.insert(args.end(), opt.begin(), opt.end());
    args.push_back(k_image);
    const auto r = bcvk_cli(args);
    EXPECT_EQ(r.status, 125) << message;
    EXPECT_TRUE(contains(r.err, message)) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    expect_nothing_left("e2e-badpath");
  }
}
