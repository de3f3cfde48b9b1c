#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "bcvk/host/bootc_layout.hpp"
#include "bcvk/util/error.hpp"
#include "../common/pe_file.hpp"

using namespace bcvk;
using test_support::make_pe;
namespace fs = std::filesystem;

namespace {

class ImageTree : public ::testing::Test {
protected:
  void SetUp() override {
    m_root = fs::temp_directory_path() / ("bcvk-layout-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(m_root);
  }
  void TearDown() override { fs::remove_all(m_root); }
  void write(const std::string& rel, const std::string& content = "x") {
    fs::create_directories((m_root / rel).parent_path());
    std::ofstream(m_root / rel, std::ios::binary) << content;
  }
  std::string root() const { return m_root.string(); }
  RootedTree tree() const { return RootedTree::open(root(), "image img"); }
  void link(const std::string& rel, const std::string& target) {
    fs::create_directories((m_root / rel).parent_path());
    fs::create_symlink(target, m_root / rel);
  }
  fs::path m_root;
};

} // namespace

TEST_F(ImageTree, FindsTheKernelPair) {
  write("usr/lib/modules/6.1.0-test/vmlinuz");
  write("usr/lib/modules/6.1.0-test/initramfs.img");
  write("usr/lib/modules/6.1.0-test/modules.dep");
  const auto boot = find_boot_artifacts(tree(), "img");
  EXPECT_EQ(boot.kernel_version, "6.1.0-test");
  EXPECT_EQ(boot.kernel, "/usr/lib/modules/6.1.0-test/vmlinuz");
  EXPECT_EQ(boot.initrd, "/usr/lib/modules/6.1.0-test/initramfs.img");
  EXPECT_TRUE(boot.uki.empty());
}

TEST_F(ImageTree, NoKernelNamesWhatWasExpected) {
  write("usr/bin/true");
  try {
    find_boot_artifacts(tree(), "localhost/x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("image localhost/x has no kernel"), std::string::npos) << e.what();
  }
}

TEST_F(ImageTree, HalfAPairIsReported) {
  write("usr/lib/modules/6.1/vmlinuz");
  try {
    find_boot_artifacts(tree(), "img");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/usr/lib/modules/6.1/vmlinuz (its initramfs.img is missing)"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(ImageTree, SeveralKernelsAreAnErrorListingThem) {
  for (const char* v : {"6.1", "6.2"}) {
    write(std::string("usr/lib/modules/") + v + "/vmlinuz");
    write(std::string("usr/lib/modules/") + v + "/initramfs.img");
  }
  try {
    find_boot_artifacts(tree(), "img");
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("has 2 kernels"), std::string::npos) << msg;
    EXPECT_NE(msg.find("/usr/lib/modules/6.1/vmlinuz"), std::string::npos);
    EXPECT_NE(msg.find("/usr/lib/modules/6.2/vmlinuz"), std::string::npos);
  }
}

TEST_F(ImageTree, FallsBackToAUki) {
  write("boot/EFI/Linux/fedora-6.8.efi", make_pe({{".linux", "KERNEL"}, {".initrd", "INITRD"}}));
  const auto boot = find_boot_artifacts(tree(), "img");
  EXPECT_EQ(boot.uki, "/boot/EFI/Linux/fedora-6.8.efi");
  const std::string k = root() + "/k";
  const std::string i = root() + "/i";
  extract_uki(tree(), boot.uki, k, i);
  std::ifstream kin(k), iin(i);
  std::string kernel((std::istreambuf_iterator<char>(kin)), {});
  std::string initrd((std::istreambuf_iterator<char>(iin)), {});
  EXPECT_EQ(kernel, "KERNEL");
  EXPECT_EQ(initrd, "INITRD");
}

TEST_F(ImageTree, UkiWithoutInitrdSectionIsAnError) {
  write("usr/lib/modules/6.8/uki.efi", make_pe({{".linux", "KERNEL"}}));
  const auto boot = find_boot_artifacts(tree(), "img");
  EXPECT_THROW(extract_uki(tree(), boot.uki, root() + "/k", root() + "/i"), Error);
}

TEST_F(ImageTree, GuestSystemdVersion) {
  EXPECT_FALSE(guest_systemd_version(tree()).has_value());
  write("usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so");
  EXPECT_EQ(guest_systemd_version(tree()), 252);
}

TEST_F(ImageTree, GuestSystemdVersionFedoraLayout) {
  write("usr/lib64/systemd/libsystemd-shared-256.11-1.fc41.so");
  EXPECT_EQ(guest_systemd_version(tree()), 256);
}

TEST(PeSections, RejectsNonPe) {
  EXPECT_THROW(parse_pe_sections("not a pe file at all, certainly not one with enough bytes to look at"), Error);
  EXPECT_THROW(parse_pe_sections(std::string(64, '\0')), Error);
}

TEST(PeSections, ListsSectionsWithTrueSizes) {
  const auto sections = parse_pe_sections(make_pe({{".osrel", "ID=x"}, {".linux", std::string(1000, 'k')}}));
  ASSERT_EQ(sections.size(), 2U);
  EXPECT_EQ(sections[0].name, ".osrel");
  EXPECT_EQ(sections[0].size, 4U);
  EXPECT_EQ(sections[1].name, ".linux");
  EXPECT_EQ(sections[1].size, 1000U);
}

// A UKI is read by its headers only: the sections may lie anywhere in the file, never past its end.
TEST(PeSections, HeadersAloneSufficeAndSectionsMustLieWithinTheFile) {
  const std::string pe = make_pe({{".linux", std::string(200000, 'k')}, {".initrd", std::string(300000, 'i')}});
  const std::string_view head = std::string_view(pe).substr(0, 4096);
  const auto sections = parse_pe_sections(head, pe.size());
  ASSERT_EQ(sections.size(), 2U);
  EXPECT_EQ(sections[1].name, ".initrd");
  EXPECT_GT(sections[1].offset, head.size()) << "a section the head does not hold";
  EXPECT_THROW(parse_pe_sections(head, sections[1].offset + sections[1].size - 1), Error) << "past the end";
}

// The image is untrusted: its kernel files are used only while every link stays inside it.
class HostileImage : public ImageTree {
protected:
  void SetUp() override {
    ImageTree::SetUp();
    m_host = m_root.string() + "-host";
    fs::create_directories(m_host + "/6.1");
    std::ofstream(m_host + "/secret") << "host secret";
    std::ofstream(m_host + "/6.1/vmlinuz") << "host kernel";
    std::ofstream(m_host + "/6.1/initramfs.img") << "host initrd";
    std::ofstream(m_host + "/libsystemd-shared-999.so") << "";
  }
  void TearDown() override {
    fs::remove_all(m_host);
    ImageTree::TearDown();
  }
  void expect_refused(const std::string& what) {
    try {
      find_boot_artifacts(tree(), "img");
      FAIL() << "accepted " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("link that leads out of image img"), std::string::npos) << e.what();
    }
  }
  std::string m_host;
};

TEST_F(HostileImage, KernelLinkedToAHostFileIsRefused) {
  link("usr/lib/modules/6.1/vmlinuz", m_host + "/secret");
  write("usr/lib/modules/6.1/initramfs.img");
  expect_refused("an absolute kernel link");
}

TEST_F(HostileImage, KernelClimbingOutWithDotDotIsRefused) {
  write("usr/lib/modules/6.1/vmlinuz");
  link("usr/lib/modules/6.1/initramfs.img", "../../../../../../../../../../" + m_host.substr(1) + "/secret");
  expect_refused("a relative link climbing out");
}

TEST_F(HostileImage, ModulesDirectoryLinkedToTheHostIsRefused) {
  link("usr/lib/modules", m_host);
  expect_refused("a modules directory on the host");
}

TEST_F(HostileImage, UkiLinkedOutIsRefused) {
  link("boot/EFI/Linux/x.efi", m_host + "/secret");
  expect_refused("a UKI link");
}

TEST_F(HostileImage, LinksThatStayInsideAreFine) {
  write("usr/lib/kernel/vmlinuz-6.1", "KERNEL");
  write("usr/lib/modules/6.1/initramfs.img", "INITRD");
  link("usr/lib/modules/6.1/vmlinuz", "../../kernel/vmlinuz-6.1");
  const auto boot = find_boot_artifacts(tree(), "img");
  const std::string out = root() + "/copied";
  tree().copy_out(boot.kernel, LinkPolicy::beneath, out, 0644, 1024);
  std::ifstream in(out);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "KERNEL");
  EXPECT_THROW(tree().copy_out(boot.kernel, LinkPolicy::beneath, out + "2", 0644, 3), Error) << "size bound";
  EXPECT_FALSE(fs::exists(out + "2")) << "nothing left behind";
}

TEST_F(HostileImage, SystemdProbeStaysInTheImage) {
  link("usr/lib/systemd", m_host);
  link("usr/lib64", "/" + m_host.substr(1));
  EXPECT_FALSE(guest_systemd_version(tree()).has_value()) << "read the host's directory";
}
