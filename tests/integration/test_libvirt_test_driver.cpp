// Each golden domain is started on libvirt's in-process test driver, which parses and validates it
// like a real hypervisor connection would, then read back through the public API.
#include <gtest/gtest.h>
#include <libvirt/virterror.h>

#include "../common/golden_specs.hpp"
#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/host/hypervisor.hpp"

using namespace bcvk;

namespace {

void quiet_errors(void*, virErrorPtr) {}

class TestDriver : public ::testing::TestWithParam<golden::NamedSpec> {
protected:
  void SetUp() override { virSetErrorFunc(nullptr, quiet_errors); }
};

} // namespace

TEST_P(TestDriver, CreatesTransientDomainAndReadsMetadataBack) {
  const auto& spec = GetParam().spec;
  const Connection conn = Connection::open("test:///default");
  ASSERT_TRUE(is_test_driver(conn.driver())) << conn.driver();
  if (spec.network.backend == NetworkBackend::passt && conn.library_version() < 9002000) {
    // Why bcvk only picks passt on libvirt >= 9.2: older parsers refuse the backend outright.
    EXPECT_THROW(conn.create(render_domain_xml(spec), {}), LibvirtError);
    return;
  }
  const Domain domain = conn.create(render_domain_xml(spec), StartMode{.autodestroy = true});
  EXPECT_EQ(domain.name(), spec.name);
  EXPECT_TRUE(domain.is_active());
  EXPECT_EQ(virDomainIsPersistent(domain.get()), 0) << "bcvk domains are transient";

  const auto found = conn.find(spec.name);
  ASSERT_TRUE(found.has_value());
  const auto meta = parse_instance_metadata(found->xml());
  ASSERT_TRUE(meta.has_value()) << found->xml();
  EXPECT_EQ(meta->image, spec.metadata.image);
  EXPECT_EQ(meta->created, spec.metadata.created);
  EXPECT_EQ(meta->labels, spec.metadata.labels);

  // The same element through libvirt's own metadata API, as `virsh metadata` would read it.
  char* raw = virDomainGetMetadata(domain.get(), VIR_DOMAIN_METADATA_ELEMENT, k_metadata_ns, 0);
  ASSERT_NE(raw, nullptr);
  EXPECT_NE(std::string(raw).find(spec.metadata.created), std::string::npos);
  std::free(raw);
  char* title = virDomainGetMetadata(domain.get(), VIR_DOMAIN_METADATA_TITLE, nullptr, 0);
  ASSERT_NE(title, nullptr);
  EXPECT_EQ(std::string(title), spec.title);
  std::free(title);

  domain.destroy();
  EXPECT_FALSE(conn.find(spec.name).has_value()) << "a destroyed transient domain disappears";
}

INSTANTIATE_TEST_SUITE_P(Golden, TestDriver, ::testing::ValuesIn(golden::golden_specs()),
                         golden::test_name<::testing::TestParamInfo<golden::NamedSpec>>);

TEST(TestDriverFlags, AutodestroyIsDroppedOnlyForTheTestDriver) {
  EXPECT_EQ(domain_start_flags({.autodestroy = true}, "TEST"), VIR_DOMAIN_START_VALIDATE);
  EXPECT_EQ(domain_start_flags({.autodestroy = true}, "QEMU"),
            VIR_DOMAIN_START_VALIDATE | VIR_DOMAIN_START_AUTODESTROY);
  EXPECT_EQ(domain_start_flags({.autodestroy = false}, "QEMU"), VIR_DOMAIN_START_VALIDATE);
}

TEST(TestDriverListing, RunningDomainsAreListedInOneCallWithTheirUuids) {
  const Connection conn = Connection::open("test:///default");
  VmSpec spec = golden::minimal_spec("listed");
  spec.uuid = "0d6f3a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6";
  const Domain vm = conn.create(render_domain_xml(spec), {});
  EXPECT_EQ(vm.uuid(), spec.uuid) << "the domain is made with the UUID bcvk gives it";
  auto running = conn.active_domains();
  ASSERT_TRUE(running.contains("listed"));
  EXPECT_EQ(running.at("listed"), spec.uuid);
  vm.destroy();
  running = conn.active_domains();
  EXPECT_FALSE(running.contains("listed"));
}

TEST(TestDriverErrors, DuplicateNameIsRefused) {
  virSetErrorFunc(nullptr, quiet_errors);
  const Connection conn = Connection::open("test:///default");
  const auto spec = golden::minimal_spec("dup");
  const Domain first = conn.create(render_domain_xml(spec), {});
  EXPECT_THROW(conn.create(render_domain_xml(spec), {}), LibvirtError);
  first.destroy();
}

TEST(TestDriverErrors, BadUriGivesAClearError) {
  virSetErrorFunc(nullptr, quiet_errors);
  try {
    Connection::open("nosuchdriver:///x");
    FAIL();
  } catch (const LibvirtError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect to libvirt at nosuchdriver:///x"), std::string::npos);
  }
}
