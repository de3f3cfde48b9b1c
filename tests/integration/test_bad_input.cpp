// The bad-input table: every hostile name, spec, path or value a user (or a script fed by someone
// else) can hand bcvk, run through the real binary on libvirt's test driver. Each row must end with
// exit status 125, exactly one line on stderr naming the problem, and nothing created or touched:
// no instance directory, no mount, no image mount, no file outside, the victim files intact.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "bcvk/host/process.hpp"
#include "bcvk/host/root_layer.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

struct Row {
  Row(std::vector<std::string> a, std::string w, std::optional<std::string> s = std::nullopt)
      : args(std::move(a)), words(std::move(w)), state_dir(std::move(s)) {}
  std::vector<std::string> args;
  std::string words;                    // must appear in the one stderr line
  std::optional<std::string> state_dir; // BCVK_STATE_DIR for this row (default: the sandbox's)
};

std::size_t line_count(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

class BadInput : public ::testing::Test {
protected:
  void SetUp() override {
    m_root = fs::temp_directory_path() / ("bcvk-bad-input-" + std::to_string(::getpid()));
    fs::remove_all(m_root);
    fs::create_directories(m_root / "state/instances");
    fs::permissions(m_root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
    fs::create_directories(m_root / "victim");
    std::ofstream(m_root / "victim/precious") << "keep me";
    std::ofstream(m_root / "victim/lock") << "";
    fs::create_directories(m_root / "dir");
    std::ofstream(m_root / "file") << "data";
    std::ofstream(m_root / "state/disk.raw") << std::string(4096, '\0');
    fs::create_symlink(m_root / "victim/precious", m_root / "link");
    ::mkfifo((m_root / "fifo").c_str(), 0600);
    fs::create_directories(m_root / "open");
    fs::permissions(m_root / "open", fs::perms::all); // 0777 without the sticky bit
    // NoCloud seeds: a good one, one whose user-data is a link out, one without meta-data, one
    // whose meta-data does not parse, one with a FIFO; Ignition configs.
    for (const char* seed :
         {"seed-ok", "seed-link", "seed-no-meta", "seed-bad-yaml", "seed-fifo", "seed-second-name"}) {
      fs::create_directories(m_root / seed);
      if (std::string(seed) != "seed-no-meta") {
        std::ofstream(m_root / seed / "meta-data")
            << (std::string(seed) == "seed-bad-yaml" ? "a: [1,\n" : "instance-id: x\n");
      }
    }
    for (const char* seed : {"seed-ok", "seed-no-meta", "seed-bad-yaml"}) {
      std::ofstream(m_root / seed / "user-data") << "#cloud-config\n";
    }
    fs::create_symlink(m_root / "victim/precious", m_root / "seed-link/user-data");
    ::mkfifo((m_root / "seed-fifo/user-data").c_str(), 0600);
    std::ofstream(m_root / "seed-second-name/copy") << "#cloud-config\n";
    fs::create_hard_link(m_root / "seed-second-name/copy", m_root / "seed-second-name/user-data");
    // A seed directory everyone may write, holding another user's user-data.
    fs::create_directories(m_root / "seed-shared");
    fs::permissions(m_root / "seed-shared", fs::perms::all | fs::perms::sticky_bit);
    std::ofstream(m_root / "seed-shared/meta-data") << "instance-id: x\n";
    std::ofstream(m_root / "seed-shared/user-data") << "#cloud-config\n";
    ::chown((m_root / "seed-shared/user-data").c_str(), 65534, 65534);
    std::ofstream(m_root / "ok.ign") << R"({"ignition": {"version": "3.4.0"}})";
    std::ofstream(m_root / "yaml.ign") << "variant: fcos\nversion: 1.5.0\n";
    std::ofstream(m_root / "noversion.ign") << R"({"storage": {}})";
    fs::create_symlink(m_root / "ok.ign", m_root / "link.ign");
    // Unit directories with a link, a FIFO, a linked system/ and a bad [Install] target.
    fs::create_directories(m_root / "units-link/system");
    fs::create_symlink(m_root / "victim/precious", m_root / "units-link/system/a.service");
    fs::create_directories(m_root / "units-fifo/system");
    ::mkfifo((m_root / "units-fifo/system/a.service").c_str(), 0600);
    fs::create_directories(m_root / "units-sublink/system");
    fs::create_directory_symlink(m_root / "victim", m_root / "units-sublink/system/a.service.d");
    fs::create_directories(m_root / "units-systemlink");
    fs::create_directory_symlink(m_root / "dir", m_root / "units-systemlink/system");
    fs::create_directories(m_root / "units-nosystem");
    fs::create_directories(m_root / "units-badwanted/system");
    std::ofstream(m_root / "units-badwanted/system/a.service")
        << "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=../../../etc/cron.d/x.target\n";
    // State directories bcvk must refuse rather than use or chmod.
    // A directory another user owns: they could swap what is in it for a link at any time.
    fs::create_directories(m_root / "foreign/share");
    std::ofstream(m_root / "foreign/disk.raw") << std::string(4096, '\0');
    fs::create_directories(m_root / "foreign/units/system");
    fs::create_hard_link(m_root / "file", m_root / "file-second-name");
    // Disk files in a root-owned directory that another user could still rewrite.
    std::ofstream(m_root / "theirs.raw") << std::string(4096, '\0');
    ::chown((m_root / "theirs.raw").c_str(), 65534, 65534);
    std::ofstream(m_root / "open.raw") << std::string(4096, '\0');
    fs::permissions(m_root / "open.raw", fs::perms(0666));
    SystemProcessRunner runner;
    runner.run({"qemu-img", "create", "-q", "-f", "raw", p("base.raw"), "1M"});
    runner.run({"qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", p("base.raw"), p("overlay.qcow2")});
    fs::create_directories(m_root / "openstate/instances");
    fs::permissions(m_root / "openstate/instances", fs::perms::all);
    fs::create_directories(m_root / "open/state");
    fs::create_directories(m_root / "sticky/theirs");
    fs::permissions(m_root / "sticky", fs::perms::all | fs::perms::sticky_bit);
    ::chown((m_root / "sticky/theirs").c_str(), 65534, 65534);
    ::chown((m_root / "foreign").c_str(), 65534, 65534);
    // A block device the host uses: a mounted file system on a loop device, as a VM's root is.
    // Outside m_root, which must hold no mount.
    m_busy = fs::temp_directory_path() / ("bcvk-bad-input-busy-" + std::to_string(::getpid()));
    fs::create_directories(m_busy / "mounted");
    create_root_layer((m_busy / "root.img").string(), 64ULL << 20, runner);
    mount_root_layer((m_busy / "root.img").string(), (m_busy / "mounted").string());
    for (const auto& entry : fs::directory_iterator("/sys/block")) {
      std::ifstream backing(entry.path() / "loop/backing_file");
      std::string file;
      if (std::getline(backing, file) && file == (m_busy / "root.img").string()) {
        m_busy_device = "/dev/" + entry.path().filename().string();
      }
    }
    ASSERT_FALSE(m_busy_device.empty()) << "no loop device backs " << m_busy / "root.img";
    ::setenv("BCVK_CONNECT", "test:///default", 1);
  }
  void TearDown() override {
    ::umount2((m_busy / "mounted").c_str(), 0);
    fs::remove_all(m_busy);
    fs::remove_all(m_root);
    ::unsetenv("BCVK_CONNECT");
    ::unsetenv("BCVK_STATE_DIR");
  }

  std::string p(const std::string& rel) const { return (m_root / rel).string(); }

  void expect_refused(const Row& row) {
    ::setenv("BCVK_STATE_DIR", row.state_dir.value_or(p("state")).c_str(), 1);
    std::vector<std::string> argv{BCVK_BINARY};
    argv.insert(argv.end(), row.args.begin(), row.args.end());
    SystemProcessRunner runner;
    const auto r = runner.run(argv);
    std::string shown;
    for (const auto& a : row.args) {
      shown += "[" + a + "] ";
    }
    EXPECT_EQ(r.status, 125) << shown << r.err;
    EXPECT_EQ(line_count(r.err), 1U) << shown << r.err;
    EXPECT_EQ(r.err.rfind("bcvk: error: ", 0), 0U) << shown << r.err;
    EXPECT_NE(r.err.find(row.words), std::string::npos) << shown << "expected '" << row.words << "' in: " << r.err;
    EXPECT_EQ(r.out, "") << shown;
    expect_nothing_created(shown);
  }

  void expect_nothing_created(const std::string& shown) {
    EXPECT_TRUE(fs::is_empty(m_root / "state/instances")) << shown << ": an instance directory was created";
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mountinfo, line)) {
      EXPECT_EQ(line.find(m_root.string()), std::string::npos) << shown << ": left a mount: " << line;
    }
    std::ifstream precious(m_root / "victim/precious");
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(precious)), {}), "keep me") << shown;
    EXPECT_TRUE(fs::exists(m_root / "victim/lock")) << shown;
    EXPECT_EQ(std::distance(fs::directory_iterator(m_root / "open"), {}), 1) << shown
                                                                             << ": created a file in a shared "
                                                                                "directory";
    EXPECT_TRUE(fs::is_empty(m_root / "dir")) << shown;
    EXPECT_EQ(fs::status("/tmp").permissions(), fs::perms::all | fs::perms::sticky_bit) << shown << ": /tmp changed";
    EXPECT_EQ(fs::status(m_root / "foreign").permissions(), fs::perms::owner_all | fs::perms::group_read |
                                                                fs::perms::group_exec | fs::perms::others_read |
                                                                fs::perms::others_exec)
        << shown;
  }

  std::vector<std::string> run(std::vector<std::string> options) const {
    std::vector<std::string> args{"ephemeral", "run"};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back("localhost/no-such-image");
    return args;
  }

  fs::path m_root;
  fs::path m_busy;
  std::string m_busy_device;
};

TEST_F(BadInput, EveryRowIsRefusedWithOneLineAndLeavesNothing) {
  const std::string name_rule = "invalid VM name";
  const std::vector<Row> rows{
      // VM names reach paths below the state directory: every verb checks them first.
      {{"ephemeral", "rm", "../../victim"}, name_rule},
      {{"ephemeral", "rm", ".."}, name_rule},
      {{"ephemeral", "rm", ""}, name_rule},
      {{"ephemeral", "rm", "a/b"}, name_rule},
      {{"ephemeral", "rm", "--", "-bad"}, name_rule},
      {{"ephemeral", "rm", std::string(64, 'a')}, name_rule},
      {{"ephemeral", "rm", "x\x1b[2J"}, "invalid VM name 'x\\x1b[2J'"},
      {{"ephemeral", "rm", "fine", "../victim"}, name_rule},
      {{"ephemeral", "rm", "-f", "../../victim"}, name_rule},
      {{"ephemeral", "stop", "../../victim"}, name_rule},
      {{"ephemeral", "start", "../../victim"}, name_rule},
      {{"ephemeral", "logs", "../../victim"}, name_rule},
      {{"ephemeral", "logs", "--virtiofsd", "../x"}, name_rule},
      {{"ephemeral", "inspect", "../../victim"}, name_rule},
      {{"ephemeral", "stats", "../../victim"}, name_rule},
      {{"ephemeral", "stats", "--no-stream", "ok", "x\x1b[2J"}, "invalid VM name 'x\\x1b[2J'"},
      {{"ephemeral", "stats", "-a", "ok"}, "stats: give either NAMEs or --all, not both"},
      {{"ephemeral", "stats", "-i", "0"}, "--interval: 0 is out of range: use 1 to 3600 seconds"},
      {{"ephemeral", "stats", "--format", "yaml"}, "yaml"},
      {{"ephemeral", "stats", "--no-stream", "no-such-vm"}, "no ephemeral VM named 'no-such-vm'"},
      {{"ephemeral", "ssh", "../../victim"}, name_rule},
      {{"ephemeral", "ssh-config", "../../victim"}, name_rule},
      {{"ephemeral", "ssh-config", "ok", "a/b"}, name_rule},
      {{"ephemeral", "ssh-config"}, "ssh-config: name the VMs, or use --all"},
      {{"ephemeral", "ssh-config", "--all", "x"}, "ssh-config: give either NAMEs or --all, not both"},
      {{"ephemeral", "rm", "--forget", "../../victim"}, name_rule},
      {{"completion", "tcsh"}, "completion: unknown shell 'tcsh'"},
      // ephemeral commit: the VM's name, the new image's name and the changes are checked first.
      {{"ephemeral", "commit", "../../victim", "localhost/x"}, name_rule},
      {{"ephemeral", "commit", "vm", "Upper/Case"}, "IMAGE: 'Upper/Case' is not a repository name"},
      {{"ephemeral", "commit", "vm", "a/../b"}, "is not a repository name"},
      {{"ephemeral", "commit", "vm", "x\x1b[2J"}, "IMAGE: 'x\\x1b[2J' is not an image reference"},
      {{"ephemeral", "commit", "vm", "x:two words"}, "is not an image reference"},
      {{"ephemeral", "commit", "--", "vm", "-x"}, "IMAGE: '-x' is not an image reference (it starts with '-')"},
      {{"ephemeral", "commit", "vm", "x@sha256:0123"}, "names a digest: a new image has none yet"},
      {{"ephemeral", "commit", "vm", "x:"}, "has a tag that is not one"},
      {{"ephemeral", "commit", "vm", "docker://x"}, "IMAGE: 'docker://x'"},
      {{"ephemeral", "commit", "vm", std::string(300, 'a')}, "longer than the 255 characters"},
      {{"ephemeral", "commit", "--change", "CMD /bin/sh", "vm", "x"}, "only LABEL is supported"},
      {{"ephemeral", "commit", "--change", "LABEL novalue", "vm", "x"}, "'novalue' is not KEY=VALUE"},
      {{"ephemeral", "commit", "--format", "tar", "vm", "x"}, "--format 'tar': the image format is 'oci' or 'docker'"},
      {{"ephemeral", "commit", "no-such-vm", "localhost/x"}, "no ephemeral VM named 'no-such-vm'"},
      {{"ephemeral", "supervise", "../../victim"}, name_rule},
      {run({"--name", ".."}), "--name: invalid VM name"},
      {run({"--name", ""}), "--name: invalid VM name ''"},
      {run({"--name", "a/b"}), "--name: invalid VM name"},
      {run({"--name=-bad"}), "--name: invalid VM name"},
      // Sizes, counts, types.
      {run({"--memory", "64M"}), "--memory: size '64M' is out of range"},
      {run({"--memory", "-1"}), "--memory"},
      {run({"--memory", "1Z"}), "--memory: invalid size '1Z'"},
      {run({"--vcpus", "0"}), "--vcpus: invalid count '0'"},
      {run({"--vcpus", "999"}), "--vcpus: invalid count '999'"},
      {run({"--vcpus", "1.5"}), "--vcpus: invalid count '1.5'"},
      {run({"--itype", "u9.giant"}), "--itype: unknown instance type"},
      {run({"--add-swap", "1K"}), "--add-swap"},
      {run({"--root-size", "1M"}), "--root-size: size '1M' is out of range"},
      {run({"--root-size", "lots"}), "--root-size: invalid size 'lots'"},
      {run({"--initramfs", "tiny"}), "--initramfs: unsupported value 'tiny': use image or minimal"},
      // Shares: never bcvk's own state, never a kernel pseudo file system.
      {run({"--bind", ":name"}), "--bind: ':name' has no host path"},
      {run({"--bind", "/tmp:bad/name"}), "--bind: invalid mount name"},
      {run({"--bind", p("nonexistent") + ":x"}), "does not exist"},
      {run({"--bind", p("file") + ":x"}), "is not a directory"},
      {run({"--bind", p("state") + ":x"}), "bcvk's state directory"},
      {run({"--bind", p("state/instances") + ":x"}), "is inside bcvk's state directory"},
      {run({"--ro-bind", "/:root"}), "contains bcvk's state directory"},
      {run({"--bind", "/proc:p"}), "kernel pseudo file system"},
      {run({"--ro-bind", "/sys/kernel:s"}), "kernel pseudo file system"},
      {run({"--bind", p("dir") + ":a", "--bind", p("dir") + ":a"}), "is used twice"},
      {run({"--ro-bind", p("dir") + ":hoststorage"}), "--ro-bind: the mount name 'hoststorage' is reserved"},
      {run({"--bind", p("dir") + "\n:a"}), "contains a control character (0x0a)"},
      // Guest mount points: never over the guest's own system, never a path a unit name could twist.
      {run({"--bind", p("dir") + ":/"}), "guest path '/' is the guest's root file system"},
      {run({"--bind", p("dir") + ":/usr/lib"}), "guest path '/usr/lib' is inside /usr"},
      {run({"--ro-bind", p("dir") + ":/etc"}), "guest path '/etc' is inside /etc"},
      {run({"--bind", p("dir") + ":/sysroot/ostree"}), "is inside /sysroot"},
      {run({"--bind", p("dir") + ":/run"}), "is the guest's runtime directory"},
      {run({"--bind", p("dir") + ":/run/virtiofs-mnt-x"}), "is where bcvk mounts shares given a NAME"},
      {run({"--bind", p("dir") + ":/work/../etc"}),
       "is not normalised (empty, '.' or '..' component): write it as /etc"},
      {run({"--bind", p("dir") + ":/a\x1b[2Jb"}), "has a character other than letters"},
      {run({"--bind", p("dir") + ":/w", "--ro-bind", p("dir") + ":/w/"}), "guest path '/w' is used twice"},
      // Port forwards: syntax, ranges, duplicates, and a network that cannot carry them.
      {run({"--port", "8080"}), "--port: invalid value '8080': use [HOST_ADDR:]HOST_PORT:GUEST_PORT[/tcp|udp]"},
      {run({"--port", "0:80"}), "--port: invalid host port '0'"},
      {run({"--port", "8080:65536"}), "--port: invalid guest port '65536'"},
      {run({"--port", "8080:80/sctp"}), "--port: unknown protocol 'sctp'"},
      {run({"--port", "999.1.1.1:8080:80"}), "--port: invalid host address '999.1.1.1'"},
      {run({"--port", "8080:80\n"}), "--port: port forward '8080:80\\x0a' contains a control character (0x0a)"},
      {run({"--port", "8080:80", "--port", "127.0.0.1:8080:81"}), "host port 8080/tcp is forwarded twice"},
      {run({"--port", "8080:80", "--network", "none"}), "--port: a VM with --network none has no network device"},
      // Disks.
      {run({"--mount-disk-file", ":x"}), "--mount-disk-file: ':x' has no file"},
      {run({"--mount-disk-file", p("file") + ":bcvk-swap"}), "is reserved for bcvk's own devices"},
      {run({"--mount-disk-file", p("state/disk.raw") + ":d"}), "is inside bcvk's state directory"},
      {run({"--mount-disk-file", "/proc/cmdline:k"}), "kernel pseudo file system"},
      {run({"--mount-disk-file", p("dir") + ":d"}), "is not a file or block device"},
      {run({"--mount-disk-file", m_busy_device + ":d"}), "is in use on the host (mounted, swap"},
      {run({"--mount-disk-file", "\xff:d"}), "is not valid UTF-8"},
      // Serial outputs: libvirt opens them as root, so only a regular file of ours will do.
      {run({"--virtio-serial-out", "nofile"}), "--virtio-serial-out: invalid value 'nofile'"},
      {run({"--virtio-serial-out", "org.bcvk.journal:" + p("out")}), "is reserved for bcvk's own ports"},
      {run({"--virtio-serial-out", "log:" + p("link")}), "is a symbolic link"},
      {run({"--virtio-serial-out", "log:" + p("fifo")}), "is a FIFO"},
      {run({"--virtio-serial-out", "log:/dev/null"}), "is a device"},
      {run({"--virtio-serial-out", "log:" + p("dir")}), "is a directory"},
      {run({"--virtio-serial-out", "log:" + p("state/out.log")}), "is inside bcvk's state directory"},
      {run({"--virtio-serial-out", "log:" + p("open/out.log")}), "can be changed by other users"},
      {run({"--virtio-serial-out", "log:/proc/sys/kernel/out"}), "kernel pseudo file system"},
      {run({"--virtio-serial-out", "log:" + p("nodir/out.log")}), "does not exist"},
      {run({"--virtio-serial-out", "log:" + p("a\tb")}), "contains a control character (0x09)"},
      {run({"--virtio-serial-out", "log:" + p("file-second-name")}), "has 2 hard links"},
      {run({"--virtio-serial-out", "log:" + p("foreign/out.log")}), "belongs to another user (uid 65534)"},
      // virtlogd re-creates the file by name when it rotates it: a shared directory, sticky or not,
      // would let another user plant a link at that moment.
      {run({"--virtio-serial-out", "log:" + p("sticky/out.log")}), "other users can add files to " + p("sticky")},
      {run({"--virtio-serial-out", "log:/tmp/bcvk-bad-input-serial.log"}), "other users can add files to /tmp"},
      // Paths another user could swap for a link before libvirt or virtiofsd open them.
      {run({"--bind", p("foreign/share") + ":s"}), "belongs to another user (uid 65534), who could swap"},
      {run({"--ro-bind", p("open/state") + ":s"}), "can be changed by other users, who could swap"},
      {run({"--bind", p("sticky/theirs") + ":s"}), "belongs to another user in a shared directory"},
      {run({"--mount-disk-file", p("foreign/disk.raw") + ":d"}), "belongs to another user"},
      {run({"--mount-disk-file", p("theirs.raw") + ":d"}), "belongs to uid 65534"},
      {run({"--mount-disk-file", p("open.raw") + ":d"}), "is writable by other users"},
      {run({"--mount-disk-file", p("file-second-name") + ":d"}), "has 2 hard links"},
      {run({"--mount-disk-file", p("overlay.qcow2") + ":d"}), "refers to another file (" + p("base.raw") + ")"},
      {run({"--systemd-units", p("foreign/units")}), "belongs to another user"},
      {run({"--label", "a=\xc2\x9b"}), "contains a control character (U+009b)"},
      // Labels, environment, kernel arguments, commands.
      {run({"--label", "novalue"}), "--label: invalid value 'novalue': use KEY=VALUE"},
      {run({"--label", "a=b\nc"}), "--label: value 'b\\x0ac' contains a control character (0x0a)"},
      {run({"--label", "a=\xff"}), "--label: value '\\xff' is not valid UTF-8"},
      {run({"--label", "a b=c"}), "keys cannot contain white space"},
      {run({"-e", "1X=y"}), "--env: invalid variable name '1X'"},
      {run({"-e", "A=x\x1b"}), "--env: value 'x\\x1b' contains a control character (0x1b)"},
      {run({"-e", "A=\xc0\xaf"}), "is not valid UTF-8"},
      {run({"--karg", "a\nb"}), "--karg: kernel argument 'a\\x0ab' contains a control character"},
      {run({"--karg", "a\rinit=/bin/sh"}), "contains a control character (0x0d)"},
      {run({"--karg", "a\"b"}), "has an unbalanced double quote"},
      {run({"--karg", "x=\" y"}), "has an unbalanced double quote"},
      {run({"--karg", ""}), "--karg: invalid kernel argument ''"},
      {run({"--karg", "\xff"}), "is not valid UTF-8"},
      {run({"--karg", "x=" + std::string(3000, 'a')}), "the kernel keeps only 2047"},
      {run({"--execute", ""}), "--execute: empty command"},
      {run({"--execute", "\n \n"}), "--execute: empty command"},
      // Unit directories: regular files only, links never followed, [Install] targets unit names.
      {run({"--systemd-units", p("units-link")}), "is a symbolic link"},
      {run({"--systemd-units", p("units-fifo")}), "is a FIFO"},
      {run({"--systemd-units", p("units-sublink")}), "is a symbolic link"},
      {run({"--systemd-units", p("units-systemlink")}), "must be a real directory"},
      {run({"--systemd-units", p("units-nosystem")}), "has no system/ subdirectory"},
      {run({"--systemd-units", p("units-badwanted")}),
       "WantedBy= value '../../../etc/cron.d/x.target' is not a unit name"},
      // Provisioning input: read only as plain files, checked as the guest will read them.
      {run({"--cloud-init", p("no-such-seed")}), "--cloud-init: " + p("no-such-seed") + " does not exist"},
      {run({"--cloud-init", p("file")}), "--cloud-init: cannot open " + p("file") + ": Not a directory"},
      {run({"--cloud-init", p("seed-link")}), "--cloud-init: " + p("seed-link") + "/user-data is a symbolic link"},
      {run({"--cloud-init", p("seed-fifo")}), "/user-data is a FIFO"},
      {run({"--cloud-init", p("seed-second-name")}), "has 2 hard links"},
      {run({"--cloud-init", p("seed-no-meta")}), "has no meta-data file: a NoCloud seed needs user-data and meta-data"},
      {run({"--cloud-init", p("seed-bad-yaml")}), "/seed-bad-yaml/meta-data: did not find expected node content"},
      {run({"--cloud-init", p("state")}), "bcvk's state directory"},
      {run({"--cloud-init", "/proc/self"}), "kernel pseudo file system"},
      {run({"--ignition", p("yaml.ign")}), "--ignition: " + p("yaml.ign") + " is not JSON"},
      {run({"--ignition", p("noversion.ign")}), "has no ignition.version"},
      {run({"--ignition", p("link.ign")}), "--ignition: " + p("link.ign") + " is a symbolic link"},
      {run({"--ignition", p("fifo")}), "is a FIFO"},
      {run({"--ignition", p("dir")}), "is a directory"},
      {run({"--ignition", p("no-such.ign")}), "does not exist"},
      {run({"--ignition", p("ok.ign") + "/"}), "names a directory: give the config file"},
      {run({"--ignition", ""}), "--ignition: empty path: give the config file"},
      {run({"--cloud-init", ""}), "--cloud-init: empty path: give the seed directory"},
      {run({"--cloud-init", p("seed-shared")}), "/seed-shared/user-data belongs to another user in a shared directory"},
      {run({"--ignition", p("ok.ign"), "--initramfs", "minimal"}), "Ignition runs in the image's own initramfs"},
      {run({"--assume-ignition"}), "--assume-ignition: it only matters with --ignition FILE"},
      // An image that has only one of the two ways to be provisioned.
      {{"ephemeral", "run", "--cloud-init", p("seed-ok"), "localhost/bcvk-test"},
       "--cloud-init: localhost/bcvk-test has no cloud-init, so nothing in it would read the seed"},
      {{"ephemeral", "run", "--ignition", p("ok.ign"), "localhost/bcvk-test"},
       "--ignition: localhost/bcvk-test does not say it runs Ignition"},
      {{"ephemeral", "run", "--cloud-init", p("seed-ok"), "--ignition", p("ok.ign"), "localhost/bcvk-test-cloud-init"},
       "--ignition: localhost/bcvk-test-cloud-init does not say it runs Ignition"},
      {{"ephemeral", "run", "--cloud-init", p("seed-ok"), "--ignition", p("ok.ign"), "localhost/bcvk-test-ignition"},
       "--cloud-init: localhost/bcvk-test-ignition has no cloud-init"},
      // Image references go to podman as arguments.
      {{"ephemeral", "run", "--", "-q"}, "IMAGE: '-q' is not an image reference (it starts with '-')"},
      {{"ephemeral", "run", "--", "--all"}, "starts with '-'"},
      {{"ephemeral", "run", "img name"}, "IMAGE: 'img name' is not an image reference"},
      {{"ephemeral", "run", "img\n"}, "IMAGE: 'img\\x0a' is not an image reference"},
      {{"ephemeral", "run-ssh", "--", "-q"}, "starts with '-'"},
      // Where the image comes from.
      {run({"--pull", "sometimes"}), "--pull: unsupported value 'sometimes': use missing, always, newer or never"},
      {run({"--pull=never"}), "IMAGE: localhost/no-such-image is not in local storage and --pull=never forbids"},
      {run({"--authfile", ""}), "--authfile: empty path"},
      {run({"--authfile", p("no-such-auth.json")}), "--authfile: cannot read " + p("no-such-auth.json")},
      {run({"--authfile", p("dir")}), "is a directory, not a regular file"},
      {run({"--authfile", p("fifo")}), "not a regular file"},
      {run({"--tls-verify=maybe"}), "Could not convert: --tls-verify = maybe"},
      {run({"--arch", "sparc"}), "--arch: unknown architecture 'sparc': use amd64 (also x86_64) or arm64"},
      {{"images", "pull", "--arch", "", "quay.io/x/y:1"}, "--arch: unknown architecture ''"},
      {{"ephemeral", "run-ssh", "--pull", "later", "localhost/no-such-image"}, "--pull: unsupported value 'later'"},
      {{"images", "pull", "--", "-q"}, "IMAGE: '-q' is not an image reference (it starts with '-')"},
      {{"images", "pull", "--authfile", p("no-such-auth.json"), "quay.io/x/y:1"}, "--authfile: cannot read"},
      // Option combinations.
      {run({"-d", "-t"}), "--detach cannot be combined with --tty/--interactive"},
      {run({"--debug", "-d"}), "--debug cannot be combined with --detach"},
      {run({"-K", "--network", "none"}), "--ssh-keygen: a VM with --network none"},
      {run({"--network", "slirp4netns:x"}), "--network: unsupported value"},
      {run({"--graphics", "sdl"}), "--graphics: unsupported value 'sdl'"},
      {run({"--graphics", "vnc\x1b[2J"}), "--graphics: unsupported value 'vnc\\x1b[2J'"},
      // State directories that others could write (or that are not directories) are refused, not chmod'ed.
      {{"ephemeral", "ps"}, "BCVK_STATE_DIR: /tmp is writable by other users", "/tmp"},
      {run({"--name", "x"}), "BCVK_STATE_DIR: /tmp is writable by other users", "/tmp"},
      {{"ephemeral", "rm", "x"}, "belongs to another user", p("foreign")},
      {{"ephemeral", "ps"}, "is not an absolute path", "relative/state"},
      {{"ephemeral", "ps"}, "is not a directory", p("file")},
      {{"ephemeral", "ps"}, "instances is writable by other users", p("openstate")},
      {{"ephemeral", "ps"}, "can be changed by other users, who could swap", p("open/state")},
  };
  EXPECT_GE(rows.size(), 50U);
  SystemProcessRunner runner;
  const auto mounts_before = runner.run({"podman", "image", "mount"}).out;
  for (const auto& row : rows) {
    expect_refused(row);
  }
  // podman's own variable is checked as --authfile is.
  ::setenv("REGISTRY_AUTH_FILE", p("no-such-auth.json").c_str(), 1);
  expect_refused({run({}), "REGISTRY_AUTH_FILE: cannot read " + p("no-such-auth.json")});
  expect_refused({{"images", "pull", "quay.io/x/y:1"}, "REGISTRY_AUTH_FILE: cannot read"});
  ::unsetenv("REGISTRY_AUTH_FILE");
  EXPECT_EQ(runner.run({"podman", "image", "mount"}).out, mounts_before) << "an image mount was left";
}

} // namespace
