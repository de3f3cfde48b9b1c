#include <gtest/gtest.h>

#include <sstream>

#include "bcvk/util/error.hpp"
#include "bcvk/host/host_inputs.hpp"
#include "bcvk/host/hypervisor.hpp"
#include "bcvk/host/image_store.hpp"
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/host/storage_view.hpp"
#include "bcvk/util/table.hpp"

using namespace bcvk;

TEST(InstanceStateJson, RoundTrips) {
  InstanceState s;
  s.name = "vm";
  s.image = "localhost/img";
  s.image_id = "abc";
  s.created = "2026-11-22T00:00:00Z";
  s.domain_uuid = "6b1c7a52-3f0e-4d7b-9a61-0c2e5f4d8e17";
  s.phase = Phase::running;
  s.auto_remove = true;
  s.image_mounted = true;
  s.memory_bytes = 1ULL << 30;
  s.vcpus = 2;
  s.root_size_bytes = 256ULL << 20;
  s.systemd_version = 252;
  s.labels = {{"team", "qa"}, {"note", "a \"b\"\n"}};
  s.read_only_binds = {{"/etc/conf", "conf", true, {}}};
  s.read_write_binds = {{"/srv/work", "work", false, "/workspace"}};
  s.disks = {{"/var/d.qcow2", "data", "qcow2"}};
  s.ports = {parse_port("8080:80"), parse_port("0.0.0.0:5353:53/udp")};
  s.serial_outputs = {{"log", "/var/log/guest.log"}};
  const InstanceState back = state_from_json(state_to_json(s));
  EXPECT_EQ(back.read_only_binds, s.read_only_binds);
  EXPECT_EQ(back.read_write_binds, s.read_write_binds) << "host paths are checked again at every start";
  EXPECT_EQ(back.disks, s.disks);
  EXPECT_EQ(back.ports, s.ports);
  EXPECT_EQ(back.serial_outputs, s.serial_outputs);
  EXPECT_EQ(back.name, s.name);
  EXPECT_EQ(back.phase, Phase::running);
  EXPECT_TRUE(back.auto_remove);
  EXPECT_TRUE(back.image_mounted);
  EXPECT_EQ(back.memory_bytes, s.memory_bytes);
  EXPECT_EQ(back.systemd_version, 252);
  EXPECT_EQ(back.labels.size(), 2U);
  EXPECT_EQ(back.domain_uuid, s.domain_uuid);
  EXPECT_EQ(back.root_size_bytes, s.root_size_bytes) << "a kept VM boots again with its size";
}

TEST(InstanceStateJson, CorruptStateIsAnError) {
  EXPECT_THROW(state_from_json("{not json"), Error);
  EXPECT_THROW(state_from_json(R"({"domain_uuid": "web"})"), Error) << "a UUID or nothing";
  EXPECT_EQ(state_from_json(R"({"name": "old"})").domain_uuid, "") << "an older bcvk's record: by name";
  EXPECT_EQ(state_from_json(R"({"name": "old"})").root_size_bytes, 0U) << "an older bcvk's record: no limit";
  EXPECT_THROW(state_from_json(R"({"root_size_bytes": 1e30})"), Error);
  // Found by fuzzing: a number out of range for its field was converted without a check (UB).
  for (const char* bad : {R"({"ssh_port": 2e36})", R"({"ssh_port": -1})", R"({"ssh_port": 65536})", R"({"vcpus": 1.5})",
                          R"({"memory_bytes": "1G"})", R"({"systemd_version": 1e300})"}) {
    EXPECT_THROW(state_from_json(bad), Error) << bad;
  }
  EXPECT_EQ(state_from_json(R"({"ssh_port": 20022, "vcpus": 2})").ssh_port, 20022U);
}

TEST(Mountinfo, UnescapesOctal) {
  EXPECT_EQ(unescape_mountinfo("/a\\040b"), "/a b");
  EXPECT_EQ(unescape_mountinfo("/tab\\011x"), "/tab\tx");
  EXPECT_EQ(unescape_mountinfo("/plain"), "/plain");
  EXPECT_EQ(unescape_mountinfo("/end\\"), "/end\\");
}

TEST(Mountinfo, ParsesIdsParentsAndTheMountsOwnReadOnlyFlag) {
  std::istringstream text(
      "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
      "40 22 0:40 / /var/lib/bcvk/instances/a/ro/share ro,nosuid,nodev,relatime - ext4 /dev/vda1 rw\n"
      "41 40 0:41 / /var/lib/bcvk/instances/a/ro/share/al/x\\040y/efi rw,nosuid - fuse.sshfs u@h rw\n"
      "42 22 0:42 / /var/lib/bcvk/instances/a/overlay/root rw,nosuid,nodev - overlay overlay rw,lowerdir=/l\n"
      "43 22 0:43 / /var/lib/bcvk/instances/a/boot/vmlinuz ro - ext4 /dev/vda1 rw\n"
      "44 22 0:44 / /var/lib/bcvk/instances/ab/boot/vmlinuz ro - ext4 /dev/vda1 rw\n"
      "garbage\n");
  const auto mounts = parse_mountinfo(text);
  ASSERT_EQ(mounts.size(), 6U);
  EXPECT_EQ(mounts[1].id, 40U);
  EXPECT_EQ(mounts[1].parent_id, 22U);
  EXPECT_EQ(mounts[1].device, "0:40");
  EXPECT_TRUE(mounts[1].read_only);
  EXPECT_FALSE(mounts[2].read_only) << "the file system's own options (after '-') do not count";
  EXPECT_EQ(mounts[2].mount_point, "/var/lib/bcvk/instances/a/ro/share/al/x y/efi");
  EXPECT_FALSE(mounts[0].read_only);
  EXPECT_TRUE(mounts[4].read_only);

  // What release acts on: the mounts made in the instance, never a view's submount, never another
  // instance's whose name starts alike; deepest first.
  std::vector<std::string> outermost;
  for (const auto& m : outermost_mounts_below(mounts, "/var/lib/bcvk/instances/a")) {
    outermost.push_back(m.mount_point);
  }
  EXPECT_EQ(outermost,
            (std::vector<std::string>{"/var/lib/bcvk/instances/a/boot/vmlinuz",
                                      "/var/lib/bcvk/instances/a/overlay/root", "/var/lib/bcvk/instances/a/ro/share"}));
  EXPECT_TRUE(outermost_mounts_below(mounts, "/elsewhere").empty());
}

TEST(LibvirtCapabilities, QemusUserAndGroupAreTheDacBaseLabelsNumbers) {
  const std::string caps = R"(<capabilities><host><uuid>x</uuid>
      <secmodel><model>none</model><doi>0</doi></secmodel>
      <secmodel><model>dac</model><doi>0</doi>
        <baselabel type='kvm'>+64055:+107</baselabel><baselabel type='qemu'>+64055:+107</baselabel>
      </secmodel></host></capabilities>)";
  EXPECT_EQ(dac_label_of(caps), (DacLabel{64055, 107}));
  EXPECT_EQ(dac_label_of("<capabilities><host><secmodel><model>none</model></secmodel></host></capabilities>"),
            std::nullopt)
      << "no DAC model (the test driver)";
  for (const char* label : {"qemu:kvm", "+64055:", "+64055", "+1:+-1", "+1:+1234567890", "qemu:+107", ":+107"}) {
    EXPECT_EQ(dac_label_of(std::string("<capabilities><host><secmodel><model>dac</model><baselabel type='kvm'>") +
                           label + "</baselabel></secmodel></host></capabilities>"),
              std::nullopt)
        << label << ": only a plain number is taken";
  }
  EXPECT_THROW(dac_label_of("<capabilities"), Error);
}

TEST(LibvirtCapabilities, UefiFirmwareIsOfferedWhenTheFirmwareEnumNamesEfi) {
  const std::string with = R"(<domainCapabilities><arch>aarch64</arch><os supported='yes'>
      <enum name='firmware'><value>efi</value></enum>
      <loader supported='yes'><value>/usr/share/AAVMF/AAVMF_CODE.fd</value></loader></os></domainCapabilities>)";
  EXPECT_TRUE(offers_efi_firmware(with));
  // Without qemu-efi-aarch64: the enum is there but empty.
  const std::string without = R"(<domainCapabilities><arch>aarch64</arch><os supported='yes'>
      <enum name='firmware'/><loader supported='yes'/></os></domainCapabilities>)";
  EXPECT_FALSE(offers_efi_firmware(without));
  EXPECT_FALSE(offers_efi_firmware("<domainCapabilities><os><enum name='other'><value>efi</value></enum></os>"
                                   "</domainCapabilities>"));
  EXPECT_THROW(offers_efi_firmware("<domainCapabilities"), Error);
}

// A bootc host: / is a deployment, /var a bind of the stateroot's var, /sysroot the whole file
// system. The state directory has one position whichever name reaches it.
TEST(Mountinfo, APathsPositionInItsFileSystemIsTheSameByEveryName) {
  std::istringstream in(
      "20 1 252:3 /ostree/deploy/default/deploy/abc.0 / rw,relatime shared:1 - xfs /dev/vda3 rw\n"
      "21 20 252:3 / /sysroot ro,relatime shared:2 - xfs /dev/vda3 rw\n"
      "22 20 252:3 /ostree/deploy/default/var /var rw,relatime shared:3 - xfs /dev/vda3 rw\n"
      "23 20 0:25 / /tmp rw shared:4 - tmpfs tmpfs rw\n"
      "24 20 252:3 /ostree/deploy/default/var/lib/bcvk/instances /srv/vms rw shared:5 - xfs /dev/vda3 rw\n"
      "25 20 0:26 / /mnt rw shared:6 - tmpfs tmpfs rw\n"
      "26 25 252:3 /ostree/deploy/default /mnt/deploy rw shared:7 - xfs /dev/vda3 rw\n");
  const auto mounts = parse_mountinfo(in);
  const FsPosition state{"252:3", "/ostree/deploy/default/var/lib/bcvk"};
  EXPECT_EQ(fs_position(mounts, "/var/lib/bcvk"), state);
  EXPECT_EQ(fs_position(mounts, "/sysroot/ostree/deploy/default/var/lib/bcvk"), state);
  EXPECT_EQ(fs_position(mounts, "/srv/vms"), (FsPosition{"252:3", "/ostree/deploy/default/var/lib/bcvk/instances"}));
  EXPECT_EQ(fs_position(mounts, "/tmp/x"), (FsPosition{"0:25", "/x"}));
  EXPECT_EQ(fs_position(mounts, "/"), (FsPosition{"252:3", "/ostree/deploy/default/deploy/abc.0"}));

  EXPECT_TRUE(share_shows(mounts, "/sysroot", state)) << "the whole file system holds /var's";
  EXPECT_TRUE(share_shows(mounts, "/sysroot/ostree", state));
  EXPECT_TRUE(share_shows(mounts, "/mnt", state)) << "through a mount below the shared directory";
  EXPECT_FALSE(share_shows(mounts, "/sysroot/boot", state));
  EXPECT_FALSE(share_shows(mounts, "/tmp", state));
  EXPECT_FALSE(share_shows(mounts, "/srv/vms", state)) << "inside the state directory, not holding it";
  EXPECT_FALSE(share_shows(mounts, "/usr", state)) << "the deployment is elsewhere in the file system";
  EXPECT_FALSE(share_shows(mounts, "/srv", state)) << "by default, only what holds the position";
  EXPECT_TRUE(share_shows(mounts, "/srv", state, true)) << "/srv/vms shows the state directory's instances/";
  EXPECT_FALSE(share_shows(mounts, "/tmp", state, true));
}

TEST(Mountinfo, FindsRootMountOnly) {
  const auto below = mounts_below("/");
  ASSERT_FALSE(below.empty());
  EXPECT_EQ(below.back(), "/") << "deepest first, so / comes last";
  EXPECT_TRUE(mounts_below("/nonexistent-bcvk-dir").empty());
}

TEST(PodmanInspect, ParsesIdsNamesAndLabels) {
  const auto images = parse_image_inspect_json(R"([{"Id":"0bfa","Digest":"sha256:1","RepoTags":["localhost/a:latest"],
    "Created":"2026-11-22T00:00:00Z","Size":123,"Labels":{"containers.bootc":"1"}}])");
  ASSERT_EQ(images.size(), 1U);
  EXPECT_EQ(images[0].id, "0bfa");
  EXPECT_EQ(images[0].names, std::vector<std::string>{"localhost/a:latest"});
  EXPECT_EQ(images[0].labels.at("containers.bootc"), "1");
  EXPECT_EQ(images[0].size, 123U);
  EXPECT_THROW(parse_image_inspect_json("oops"), Error);
}

TEST(Table, AlignsColumns) {
  Table t({"NAME", "STATUS"});
  t.add({"a-long-name", "running"});
  t.add({"b", "stopped"});
  EXPECT_EQ(t.render(), "NAME         STATUS\na-long-name  running\nb            stopped\n");
}

TEST(QemuImgInfo, FormatAndFilesItRefersTo) {
  EXPECT_EQ(parse_qemu_img_info(R"({"format": "raw"})").format, "raw");
  EXPECT_EQ(parse_qemu_img_info(R"({"format": "raw"})").external_file, "");
  EXPECT_EQ(parse_qemu_img_info(R"({"format": "qcow2", "backing-filename": "b.raw",
                                    "full-backing-filename": "/x/b.raw"})")
                .external_file,
            "/x/b.raw");
  EXPECT_EQ(parse_qemu_img_info(R"({"format": "qcow2", "format-specific": {"type": "qcow2",
                                    "data": {"data-file": "/etc/shadow"}}})")
                .external_file,
            "/etc/shadow");
  EXPECT_EQ(parse_qemu_img_info("garbage").format, "unknown");
}

TEST(StorageView, LayerIdsComeFromPodmansLayerDirectoriesAndNothingElse) {
  const std::string a(64, 'a'), b(64, 'b'), c(64, 'c');
  const std::string root = "/var/lib/containers/storage";
  const std::string lines = "overlay " + root + "/overlay/" + a + "/diff <no value>\n" + "overlay " + root +
                            "/overlay/" + b + "/diff " + root + "/overlay/" + c + "/diff:" + root + "/overlay/" + a +
                            "/diff\n\n";
  EXPECT_EQ(image_layer_ids_of(root, lines), (std::set<std::string>{a, b, c}));
  EXPECT_TRUE(image_layer_ids_of(root, "").empty());
  EXPECT_THROW(image_layer_ids_of(root, "vfs " + root + "/vfs/dir/" + a + " <no value>\n"), Error);
  for (const std::string& other :
       {root + "/overlay/../../../etc/diff", root + "/overlay/" + a + "/diff/../x", "/elsewhere/overlay/" + a + "/diff",
        root + "/overlay/" + a.substr(1) + "/diff", root + "/overlay/" + std::string(64, 'A') + "/diff"}) {
    EXPECT_EQ(image_layer_ids_of(root, "overlay " + other + " " + root + "/overlay/" + b + "/diff\n"),
              (std::set<std::string>{b}))
        << other << ": not a layer of this storage, never shared";
  }
  EXPECT_EQ(storage_view_entries({a}),
            (std::vector<std::string>{"overlay-images", "overlay-layers", "overlay/l", "overlay/" + a}));
  EXPECT_THROW(storage_view_entries({"../secrets"}), Error);
}
