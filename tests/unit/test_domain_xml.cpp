#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../common/golden_specs.hpp"
#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/util/xml.hpp"

using namespace bcvk;

namespace {

constexpr const char* k_schema = "/usr/share/libvirt/schemas/domain.rng";

std::string golden_path(const std::string& name) {
  return std::string(BCVK_GOLDEN_DIR) + "/" + name + ".xml";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GoldenXml : public ::testing::TestWithParam<golden::NamedSpec> {};

} // namespace

// Regenerate with BCVK_REGENERATE_GOLDEN=1, then review the diff by hand.
TEST_P(GoldenXml, MatchesGoldenFile) {
  const auto& [name, spec] = GetParam();
  const std::string xml = render_domain_xml(spec);
  if (std::getenv("BCVK_REGENERATE_GOLDEN") != nullptr) {
    std::ofstream(golden_path(name)) << xml;
  }
  ASSERT_TRUE(std::filesystem::exists(golden_path(name))) << "missing golden file; regenerate it";
  EXPECT_EQ(xml, slurp(golden_path(name)));
}

TEST_P(GoldenXml, GoldenFileIsValidAgainstLibvirtSchema) {
  const auto& name = GetParam().name;
  const xml::Doc doc = xml::parse(slurp(golden_path(name)), name);
  EXPECT_EQ(xml::relaxng_errors(doc.get(), k_schema), "") << name;
}

TEST_P(GoldenXml, MetadataRoundTrips) {
  const auto& spec = GetParam().spec;
  const auto meta = parse_instance_metadata(render_domain_xml(spec));
  ASSERT_TRUE(meta.has_value());
  EXPECT_EQ(meta->image, spec.metadata.image);
  EXPECT_EQ(meta->image_id, spec.metadata.image_id);
  EXPECT_EQ(meta->arch, spec.metadata.arch);
  EXPECT_EQ(meta->created, spec.metadata.created);
  EXPECT_EQ(meta->auto_remove, spec.metadata.auto_remove);
  EXPECT_EQ(meta->detached, spec.metadata.detached);
  EXPECT_EQ(meta->labels, spec.metadata.labels);
  ASSERT_EQ(meta->mounts.size(), spec.metadata.mounts.size());
  for (std::size_t i = 0; i < meta->mounts.size(); ++i) {
    EXPECT_EQ(meta->mounts[i].tag, spec.metadata.mounts[i].tag);
    EXPECT_EQ(meta->mounts[i].read_only, spec.metadata.mounts[i].read_only);
  }
}

INSTANTIATE_TEST_SUITE_P(Specs, GoldenXml, ::testing::ValuesIn(golden::golden_specs()),
                         golden::test_name<::testing::TestParamInfo<golden::NamedSpec>>);

TEST(DomainXml, IsDeterministic) {
  const auto spec = golden::golden_specs().back().spec;
  EXPECT_EQ(render_domain_xml(spec), render_domain_xml(spec));
}

TEST(DomainXml, EscapesEverySpecialCharacter) {
  const auto specs = golden::golden_specs();
  const auto& esc = specs.back().spec;
  const std::string xml = render_domain_xml(esc);
  EXPECT_NE(xml.find("<title>bcvk: localhost/ünïcode-image:&lt;tag&gt;&amp;\"'</title>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("&lt;angle&gt; &amp; 'quotes'"), std::string::npos);
  EXPECT_NE(xml.find("Zoë &lt;zoe@example.org&gt;"), std::string::npos);
  EXPECT_EQ(xml.find("<angle>"), std::string::npos);
  // Parsing gives back exactly what went in.
  const xml::Doc doc = xml::parse(xml, "rendered");
  xmlNode* root = xmlDocGetRootElement(doc.get());
  EXPECT_EQ(xml::text_of(xml::child(root, "title")), esc.title);
  EXPECT_EQ(xml::text_of(xml::child(root, "description")), esc.description);
}

TEST(DomainXml, ShapeOfTheMinimalDomain) {
  const std::string xml = render_domain_xml(golden::minimal_spec("vm"));
  for (const char* needle : {" type=\"kvm\"", "machine=\"q35\"", "<source type=\"memfd\"/>",
                             "<access mode=\"shared\"/>", "<driver type=\"virtiofs\"", "<target dir=\"rootfs\"/>",
                             "<memballoon model=\"virtio\" freePageReporting=\"on\">", "<stats period=\"2\"/>",
                             "<controller type=\"usb\" model=\"none\"/>", "<memory unit=\"KiB\">4194304</memory>",
                             "restrict=on", "<log file=\"/var/lib/bcvk/instances/vm/console.log\""}) {
    EXPECT_NE(xml.find(needle), std::string::npos) << needle;
  }
  for (const char* absent : {"<graphics", "<video", "<input", "<hostdev", "hostfwd", "<sysinfo"}) {
    EXPECT_EQ(xml.find(absent), std::string::npos) << absent;
  }
}

TEST(DomainXml, SshForwardListensOnLoopbackOnly) {
  const auto specs = golden::golden_specs();
  const std::string xml = render_domain_xml(specs[1].spec);
  EXPECT_NE(xml.find("hostfwd=tcp:127.0.0.1:40022-:22"), std::string::npos);
  EXPECT_NE(xml.find("io.systemd.credential.binary:ssh.authorized_keys.root="), std::string::npos);
  EXPECT_NE(xml.find("<smbios mode=\"sysinfo\"/>"), std::string::npos);
}

TEST(DomainXml, ForeignDomainHasNoBcvkMetadata) {
  EXPECT_FALSE(parse_instance_metadata("<domain type='kvm'><name>x</name></domain>").has_value());
}

TEST(DomainXml, RelaxNgRejectsInvalidDomains) {
  const xml::Doc doc = xml::parse("<domain type='kvm'><memory>1</memory></domain>", "bad");
  EXPECT_NE(xml::relaxng_errors(doc.get(), k_schema), "");
}

// A domain XML saved by an older bcvk (no <backingStore/>) is sealed on `start` as today's is, and
// gives the formats its disks were attached with.
TEST(DomainXml, ASavedXmlWithoutBackingStoresIsSealedAndNamesItsDiskFormats) {
  VmSpec spec = golden::minimal_spec("bcvk-old");
  spec.disks = {{"/srv/a.raw", "raw", "a"}, {"/srv/b.qcow2", "qcow2", "b"}};
  std::string old = render_domain_xml(spec);
  for (std::size_t at; (at = old.find("<backingStore/>")) != std::string::npos;) {
    old.erase(at, std::string("<backingStore/>").size());
  }
  const SealedDisks sealed = seal_file_disks(old);
  EXPECT_EQ(sealed.formats, (std::map<std::string, std::string>{{"/srv/a.raw", "raw"}, {"/srv/b.qcow2", "qcow2"}}));
  const auto count = [](const std::string& xml) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = xml.find("<backingStore/>", at)) != std::string::npos; ++at) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count(sealed.xml), 2U);
  EXPECT_EQ(count(seal_file_disks(sealed.xml).xml), 2U) << "sealing twice adds nothing";
  const xml::Doc doc = xml::parse(sealed.xml, "sealed");
  EXPECT_EQ(xml::relaxng_errors(doc.get(), k_schema), "");
}

// A VM kept by a bcvk that gave domains no UUID gets one in its saved XML before it boots again;
// one that has one keeps its place, replaced. And the UUID is read back from a saved XML.
TEST(DomainXml, ASavedXmlGetsTheInstancesUuid) {
  VmSpec spec = golden::minimal_spec("bcvk-old");
  spec.uuid.clear();
  const std::string old = render_domain_xml(spec);
  ASSERT_EQ(old.find("<uuid>"), std::string::npos);
  EXPECT_EQ(domain_uuid_of(old), std::nullopt);
  const std::string ours = "6b1c7a52-3f0e-4d7b-9a61-0c2e5f4d8e17";
  const std::string with = with_domain_uuid(old, ours);
  EXPECT_EQ(domain_uuid_of(with), ours);
  EXPECT_NE(with.find("<name>bcvk-old</name>\n  <uuid>" + ours + "</uuid>"), std::string::npos) << with;
  const xml::Doc doc = xml::parse(with, "with a UUID");
  EXPECT_EQ(xml::relaxng_errors(doc.get(), k_schema), "");
  const std::string other = "0d6f3a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6";
  const std::string replaced = with_domain_uuid(with, other);
  EXPECT_EQ(domain_uuid_of(replaced), other);
  EXPECT_EQ(replaced.find(ours), std::string::npos) << "one <uuid>, the new one";
  EXPECT_EQ(domain_uuid_of("<domain><uuid>not-a-uuid</uuid></domain>"), std::nullopt);
}
