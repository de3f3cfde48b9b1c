// Architecture names in podman's and the kernel's spelling, --arch, and which images a host boots.
#include <gtest/gtest.h>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/architecture.hpp"
#include "bcvk/vm/pull_options.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/vm/verb_options.hpp"

using namespace bcvk;

TEST(Architecture, BothSpellingsNameOneMachine) {
  EXPECT_EQ(podman_architecture("amd64"), "amd64");
  EXPECT_EQ(podman_architecture("x86_64"), "amd64");
  EXPECT_EQ(podman_architecture("arm64"), "arm64");
  EXPECT_EQ(podman_architecture("aarch64"), "arm64");
  EXPECT_EQ(podman_architecture("s390x"), "s390x");
  EXPECT_EQ(podman_architecture("AMD64"), std::nullopt) << "podman's names are lower case";
  EXPECT_EQ(podman_architecture(""), std::nullopt);
  EXPECT_EQ(podman_architecture("sparc"), std::nullopt);
}

TEST(Architecture, TheArchOptionTakesEitherSpellingAndNothingElse) {
  EXPECT_EQ(parse_arch_option("aarch64"), "arm64");
  EXPECT_EQ(parse_arch_option("amd64"), "amd64");
  EXPECT_THROW(parse_arch_option("s390x"), UsageError) << "a name images use, but not one bcvk can be asked for";
  try {
    parse_arch_option("sparc\x1b");
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--arch: unknown architecture 'sparc\\x1b': use amd64 (also x86_64) or arm64 (also aarch64)");
  }
}

TEST(Architecture, Amd64AndArm64BootOnAnyHostAndNothingElseDoes) {
  EXPECT_EQ(architecture_refusal("r/os:1", "amd64", "amd64", ""), std::nullopt);
  EXPECT_EQ(architecture_refusal("r/os:1", "x86_64", "amd64", "amd64"), std::nullopt)
      << "an image that names it as the kernel does";
  EXPECT_EQ(architecture_refusal("r/os:1", "", "amd64", ""), std::nullopt) << "an image that names none";
  EXPECT_EQ(architecture_refusal("r/os:1", "arm64", "amd64", ""), std::nullopt) << "emulated";
  EXPECT_EQ(architecture_refusal("r/os:1", "aarch64", "amd64", "arm64"), std::nullopt);
  EXPECT_EQ(architecture_refusal("r/os:1", "amd64", "arm64", ""), std::nullopt) << "the other way round";
  EXPECT_EQ(architecture_refusal("r/os:1", "amd64", "amd64", "arm64"),
            "IMAGE: r/os:1 is an amd64 image, not the arm64 that --arch asked for: pull its arm64 variant ('bcvk "
            "images pull --arch arm64 r/os:1')");
  EXPECT_EQ(architecture_refusal("r/os:1", "s390x", "amd64", ""),
            "IMAGE: r/os:1 is an s390x image: bcvk boots amd64 and arm64 images only; pull its amd64 or arm64 "
            "variant (--arch) or build the image for one of them");
  EXPECT_EQ(architecture_refusal("r/os:1", "mips\n", "amd64", ""),
            "IMAGE: r/os:1 is an mips\\x0a image: bcvk boots amd64 and arm64 images only; pull its amd64 or arm64 "
            "variant (--arch) or build the image for one of them")
      << "what the image's config says is shown, never printed raw";
}

TEST(Architecture, TheGuestIsTheImagesArchitectureOrTheHostsWhenItNamesNone) {
  EXPECT_EQ(guest_architecture("aarch64", "amd64"), "arm64");
  EXPECT_EQ(guest_architecture("arm64", "amd64"), "arm64");
  EXPECT_EQ(guest_architecture("", "amd64"), "amd64");
  EXPECT_EQ(guest_architecture("", "arm64"), "arm64");
}

TEST(Architecture, EachMachineIsNamedAsBootcNamesIt) {
  EXPECT_EQ(bootc_architecture_name("arm64"), "aarch64");
  EXPECT_EQ(bootc_architecture_name("amd64"), "x86_64");
  EXPECT_EQ(bootc_architecture_name("ppc64le"), "powerpc64") << "bootc's (Rust's) name";
  EXPECT_EQ(bootc_architecture_name("sparc"), "sparc") << "unknown names pass through";
}

TEST(Architecture, TheAskedVariantGoesToPodmanPull) {
  RunOptions run;
  run.image = "r/os:1";
  run.arch = "aarch64";
  const RunConfig config = validate_run_options(run, 2);
  EXPECT_EQ(config.registry.arch, "arm64");
  EXPECT_EQ(podman_pull_arguments("r/os:1", config.registry),
            (std::vector<std::string>{"--arch", "arm64", "--", "r/os:1"}));
  ImagesPullOptions pull;
  pull.image = "r/os:1";
  pull.arch = "x86_64";
  EXPECT_EQ(validate_images_pull_options(pull).registry.arch, "amd64");
  pull.arch = "ia64";
  EXPECT_THROW(validate_images_pull_options(pull), UsageError);
  EXPECT_EQ(podman_pull_arguments("r/os:1", {}), (std::vector<std::string>{"--", "r/os:1"}));
}

TEST(Architecture, AMissingVariantIsNamedAfterAPull) {
  EXPECT_EQ(missing_variant("r/os:1", "amd64", ""), std::nullopt);
  EXPECT_EQ(missing_variant("r/os:1", "x86_64", "amd64"), std::nullopt);
  EXPECT_EQ(missing_variant("r/os:1", "", "arm64"), std::nullopt) << "an image that names none";
  EXPECT_EQ(missing_variant("r/os:1", "amd64", "arm64"),
            "IMAGE: r/os:1 has no arm64 variant (podman stored its amd64 one): use an image built for arm64, or "
            "drop --arch");
}
