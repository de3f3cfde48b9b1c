#include <gtest/gtest.h>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/util/size.hpp"

using namespace bcvk;

namespace {

RunOptions base() {
  RunOptions o;
  o.image = "localhost/test";
  return o;
}

// Asserts that validation fails with a message containing `fragment`.
void expect_usage_error(const RunOptions& o, const std::string& fragment) {
  try {
    validate_run_options(o, 4);
    ADD_FAILURE() << "expected an error containing: " << fragment;
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

} // namespace

TEST(ValidateRunOptions, Defaults) {
  const RunConfig c = validate_run_options(base(), 6);
  EXPECT_EQ(c.image, "localhost/test");
  EXPECT_EQ(c.memory_bytes, 4 * k_gib);
  EXPECT_EQ(c.vcpus, 6U);
  EXPECT_FALSE(c.name.has_value());
  EXPECT_EQ(c.network.mode, NetworkMode::isolated);
  EXPECT_FALSE(c.ssh_timeout_seconds.has_value()) << "no --ssh-timeout: the wait picks its own cap";
  EXPECT_EQ(c.root_size_bytes, 10 * k_gib) << "every guest's writes are capped";
}

TEST(ValidateRunOptions, RootSize) {
  auto o = base();
  o.root_size = "256M";
  EXPECT_EQ(validate_run_options(o, 4).root_size_bytes, 256 * k_mib);
  o.root_size = "1.5T";
  EXPECT_EQ(validate_run_options(o, 4).root_size_bytes, 1536 * k_gib);
  o.root_size = "63M";
  expect_usage_error(o, "--root-size: size '63M' is out of range: use 64 MiB to 15 TiB");
  o.root_size = "16T";
  expect_usage_error(o, "--root-size: size '16T' is out of range");
  o.root_size = "0";
  expect_usage_error(o, "--root-size");
}

TEST(ValidateRunOptions, HostCpuCountIsClampedToTheLimit) {
  EXPECT_EQ(validate_run_options(base(), 0).vcpus, 1U);
  EXPECT_EQ(validate_run_options(base(), 1000).vcpus, 256U);
}

TEST(ValidateRunOptions, MemoryAndVcpus) {
  auto o = base();
  o.memory = "1.5G";
  o.vcpus = "3";
  const auto c = validate_run_options(o, 4);
  EXPECT_EQ(c.memory_bytes, 1536 * k_mib);
  EXPECT_EQ(c.vcpus, 3U);
}

TEST(ValidateRunOptions, ItypeOverridesMemoryAndVcpus) {
  auto o = base();
  o.memory = "8G";
  o.vcpus = "4";
  o.itype = "u1.micro";
  const auto c = validate_run_options(o, 4);
  EXPECT_EQ(c.memory_bytes, k_gib);
  EXPECT_EQ(c.vcpus, 1U);
}

TEST(ValidateRunOptions, BadValues) {
  auto o = base();
  o.memory = "64M";
  expect_usage_error(o, "--memory: size '64M' is out of range: use 128 MiB to 1 TiB");
  o = base();
  o.memory = "2TB";
  expect_usage_error(o, "--memory: size '2TB' is out of range");
  o = base();
  o.vcpus = "0";
  expect_usage_error(o, "--vcpus: invalid count '0': use a whole number from 1 to 256");
  o.vcpus = "257";
  expect_usage_error(o, "--vcpus: invalid count '257'");
  o.vcpus = "two";
  expect_usage_error(o, "--vcpus: invalid count 'two'");
  o = base();
  o.itype = "x1.big";
  expect_usage_error(o, "--itype: unknown instance type 'x1.big'");
  o = base();
  o.name = "no spaces";
  expect_usage_error(o, "--name: invalid VM name 'no spaces'");
  o = base();
  o.image = "";
  expect_usage_error(o, "IMAGE: no image given");
  o = base();
  o.add_swap = "lots";
  expect_usage_error(o, "--add-swap: invalid size 'lots'");
  o = base();
  o.ssh_timeout_seconds = 0;
  expect_usage_error(o, "--ssh-timeout");
}

TEST(ValidateRunOptions, ConflictingModes) {
  auto o = base();
  o.detach = true;
  o.tty = true;
  expect_usage_error(o, "--detach cannot be combined with --tty/--interactive");
  o = base();
  o.debug = true;
  o.detach = true;
  expect_usage_error(o, "--debug cannot be combined with --detach");
}

TEST(ParseBind, NameDefaultsToBasename) {
  EXPECT_EQ(parse_bind("--bind", "/home/user/project", false), (BindSpec{"/home/user/project", "project", false, {}}));
  EXPECT_EQ(parse_bind("--bind", "/home/user/project/", false),
            (BindSpec{"/home/user/project/", "project", false, {}}));
  EXPECT_EQ(parse_bind("--ro-bind", "/etc/myconfig:config", true), (BindSpec{"/etc/myconfig", "config", true, {}}));
}

TEST(ParseBind, Errors) {
  EXPECT_THROW(parse_bind("--bind", "", false), UsageError);
  EXPECT_THROW(parse_bind("--bind", ":name", false), UsageError);
  EXPECT_THROW(parse_bind("--bind", "/x:bad name", false), UsageError);
  EXPECT_THROW(parse_bind("--bind", "/", false), UsageError);
  try {
    parse_bind("--ro-bind", "/srv/a b", true);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--ro-bind: invalid mount name 'a b'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("HOST_PATH:NAME"), std::string::npos);
  }
}

TEST(ParseBind, AnAbsoluteTargetIsAGuestPath) {
  EXPECT_EQ(parse_bind("--bind", "/home/u/code:/workspace", false),
            (BindSpec{"/home/u/code", "workspace", false, "/workspace"}));
  EXPECT_EQ(parse_bind("--ro-bind", "/srv/cfg:/opt/app-cfg/", true).guest_path, "/opt/app-cfg");
  EXPECT_EQ(parse_bind("--ro-bind", "/srv/cfg:/opt/.hidden", true).name, "hidden");
  EXPECT_THROW(parse_bind("--bind", "/srv/cfg:/opt/my app", false), UsageError) << "white space never reaches a unit";
}

TEST(ParseBind, GuestPathsOverTheGuestsOwnSystemAreRefused) {
  const std::pair<const char*, const char*> bad[] = {
      {"/", "is the guest's root file system"},
      {"/usr", "is inside /usr"},
      {"/usr/local/src", "is inside /usr"},
      {"/etc/foo", "is inside /etc"},
      {"/proc/x", "is inside /proc"},
      {"/sys", "is inside /sys"},
      {"/dev/shm/x", "is inside /dev"},
      {"/run", "is the guest's runtime directory"},
      {"/run/virtiofs-mnt-other", "is where bcvk mounts shares given a NAME"},
      {"/a/../etc", "is not normalised (empty, '.' or '..' component): write it as /etc"},
      {"/a//b", "write it as /a/b"},
      {"/a/./b", "write it as /a/b"},
      {"/a/b/..", "write it as /a"},
      {"/..", "is the guest's root file system"},
      {"/a/..", "is the guest's root file system"},
      {"/a\nb", "has a character other than"},
      {"/a$(x)", "has a character other than"},
      {"/a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z-a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y",
       "is too long for the name of its mount unit"},
  };
  for (const auto& [path, why] : bad) {
    try {
      check_guest_mount_path("--bind", path);
      ADD_FAILURE() << path << " was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << path << ": " << e.what();
    }
  }
  EXPECT_NO_THROW(check_guest_mount_path("--bind", "/run/mydata"));
  EXPECT_NO_THROW(check_guest_mount_path(
      "--bind", "/a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z-a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x"))
      << "252 bytes with .mount: still a unit name";
  EXPECT_NO_THROW(check_guest_mount_path("--bind", "/usrdata"));
  EXPECT_NO_THROW(check_guest_mount_path("--bind", "/var/lib/app"));
}

TEST(ValidateRunOptions, GuestPathSharesGetDistinctNames) {
  auto o = base();
  o.binds = {"/a/data:/srv/data", "/b/data:/opt/data", "/c:data2"};
  o.ro_binds = {"/d:/x/hoststorage"};
  o.bind_storage_ro = true;
  const auto c = validate_run_options(o, 4);
  ASSERT_EQ(c.binds.size(), 4U);
  EXPECT_EQ(c.binds[0].name, "data");
  EXPECT_EQ(c.binds[1].name, "data-2") << "a derived name never collides";
  EXPECT_EQ(c.binds[3].name, "hoststorage-2") << "--bind-storage-ro keeps its name";
  o = base();
  o.binds = {"/a:/srv/data", "/c:data"};
  const auto named_later = validate_run_options(o, 4);
  EXPECT_EQ(named_later.binds[0].name, "data-2") << "a NAME given later still wins over a derived one";
  EXPECT_EQ(named_later.binds[1].name, "data");
  o = base();
  o.binds = {"/a:/srv/data"};
  o.ro_binds = {"/b:/srv/data/"};
  expect_usage_error(o, "--ro-bind: guest path '/srv/data' is used twice");
}

TEST(ValidateRunOptions, PortForwards) {
  auto o = base();
  o.ports = {"8080:80", "127.0.0.2:8443:443/tcp", "5353:53/udp"};
  const auto c = validate_run_options(o, 4);
  ASSERT_EQ(c.ports.size(), 3U);
  EXPECT_EQ(c.ports[0], (PortForward{"127.0.0.1", 8080, 80, PortProtocol::tcp}));
  EXPECT_EQ(to_string(c.ports[1]), "127.0.0.2:8443:443/tcp");
  EXPECT_EQ(c.ports[2].protocol, PortProtocol::udp);
  o.network = "none";
  expect_usage_error(o, "--port: a VM with --network none has no network device");
  o = base();
  o.network = "isolated";
  o.ports = {"8080:80"};
  EXPECT_NO_THROW(validate_run_options(o, 4)) << "forwards are inbound: isolated keeps them";
  o.ports = {"8080:80", "0.0.0.0:8080:81"};
  expect_usage_error(o, "host port 8080/tcp is forwarded twice");
  o.ports = {"8080:80", "8080:80/udp"};
  EXPECT_NO_THROW(validate_run_options(o, 4));
  const std::pair<const char*, const char*> bad[] = {
      {"80", "use [HOST_ADDR:]HOST_PORT:GUEST_PORT"},
      {"1:2:3:4", "use [HOST_ADDR:]HOST_PORT:GUEST_PORT"},
      {"0:80", "invalid host port '0'"},
      {"8080:65536", "invalid guest port '65536'"},
      {"8080:80/sctp", "unknown protocol 'sctp'"},
      {"::1:8080:80", "use [HOST_ADDR:]HOST_PORT:GUEST_PORT"},
      {"localhost:8080:80", "invalid host address 'localhost'"},
      {"8080:-80", "invalid guest port"},
      {"8080:80\n", "--port"},
  };
  for (const auto& [text, fragment] : bad) {
    o = base();
    o.ports = {text};
    expect_usage_error(o, fragment);
  }
}

TEST(ValidateRunOptions, DuplicateMountNames) {
  auto o = base();
  o.binds = {"/a/src", "/b/src"};
  expect_usage_error(o, "--bind: mount name 'src' is used twice");
  o = base();
  o.binds = {"/a/x:data"};
  o.ro_binds = {"/b/y:data"};
  expect_usage_error(o, "--ro-bind: mount name 'data' is used twice");
  o = base();
  o.bind_storage_ro = true;
  o.binds = {"/a:hoststorage"};
  expect_usage_error(o, "reserved for --bind-storage-ro");
  o = base();
  o.ro_binds = {"/a:hoststorage"};
  // Without --bind-storage-ro it would be shared as the storage view.
  expect_usage_error(o, "--ro-bind: the mount name 'hoststorage' is reserved");
  o = base();
  o.ro_binds = {"/srv/hoststorage"};
  expect_usage_error(o, "reserved for --bind-storage-ro"); // a base name is one the user chose
  o = base();
  o.ro_binds = {"/d:/x/hoststorage"};
  EXPECT_EQ(validate_run_options(o, 4).binds[0].name, "hoststorage-2") << "a derived name steps aside";
}

TEST(ParseDiskFile, NameDefaultsToStem) {
  EXPECT_EQ(parse_disk_file("/tmp/testdisk.raw"), (DiskFileSpec{"/tmp/testdisk.raw", "testdisk", ""}));
  EXPECT_EQ(parse_disk_file("/tmp/d.qcow2:data"), (DiskFileSpec{"/tmp/d.qcow2", "data", ""}));
  EXPECT_THROW(parse_disk_file("/tmp/x:" + std::string(21, 'a')), UsageError);
  EXPECT_THROW(parse_disk_file(":x"), UsageError);
}

TEST(ParseSerialOut, NameAndFile) {
  EXPECT_EQ(parse_serial_out("log:/tmp/out.txt"), (SerialOutSpec{"log", "/tmp/out.txt"}));
  EXPECT_THROW(parse_serial_out("nofile"), UsageError);
  EXPECT_THROW(parse_serial_out(":/tmp/x"), UsageError);
  EXPECT_THROW(parse_serial_out("name:"), UsageError);
}

TEST(ParseKeyValue, LabelsAndEnv) {
  EXPECT_EQ(parse_key_value("--label", "k=v=w"), (KeyValue{"k", "v=w"}));
  EXPECT_EQ(parse_key_value("--label", "k="), (KeyValue{"k", ""}));
  EXPECT_THROW(parse_key_value("--label", "novalue"), UsageError);
  EXPECT_THROW(parse_key_value("--label", "=v"), UsageError);
  EXPECT_EQ(parse_key_value("--env", "FOO_1=bar baz"), (KeyValue{"FOO_1", "bar baz"}));
  EXPECT_THROW(parse_key_value("--env", "1FOO=x"), UsageError);
  EXPECT_THROW(parse_key_value("--env", "FO-O=x"), UsageError);
}

TEST(ParseNetwork, Modes) {
  EXPECT_EQ(parse_network(""), (NetworkChoice{NetworkMode::isolated, ""}));
  EXPECT_EQ(parse_network("none"), (NetworkChoice{NetworkMode::none, ""}));
  EXPECT_EQ(parse_network("user"), (NetworkChoice{NetworkMode::user, ""}));
  EXPECT_EQ(parse_network("bridge=br0"), (NetworkChoice{NetworkMode::bridge, "br0"}));
  EXPECT_EQ(parse_network("mynet"), (NetworkChoice{NetworkMode::libvirt_network, "mynet"}));
  EXPECT_EQ(parse_network("network=mynet"), (NetworkChoice{NetworkMode::libvirt_network, "mynet"}));
  EXPECT_THROW(parse_network("slirp4netns:port_handler=slirp4netns"), UsageError);
  EXPECT_THROW(parse_network("bridge="), UsageError);
}

TEST(ValidateRunOptions, KeepsKargsInOrder) {
  auto o = base();
  o.kargs = {"b=2", "a=1", "quiet"};
  EXPECT_EQ(validate_run_options(o, 1).kargs, (std::vector<std::string>{"b=2", "a=1", "quiet"}));
  o.kargs = {""};
  expect_usage_error(o, "--karg: invalid kernel argument ''");
}
