// Pulling: the policy, podman's arguments, what podman prints while it pulls (read byte by byte as
// it may arrive), the one line of each failure, the image's identity, and which image a run boots.
#include <gtest/gtest.h>

#include <map>

#include "bcvk/cli/cli.hpp"
#include "bcvk/host/image_choice.hpp"
#include "bcvk/host/image_store.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/pull_options.hpp"
#include "bcvk/vm/pull_report.hpp"
#include "bcvk/vm/run_options.hpp"

using namespace bcvk;

namespace {

// What podman 4.3 writes on a terminal for a one-layer image (captured, shortened): bars redrawn
// after '\r' with the cursor moved up, then the config, the manifest and the ID.
const std::string k_terminal_pull = "Trying to pull 127.0.0.1:5443/bcvk/test:1...\r\n"
                                    "Getting image source signatures\r\n"
                                    "Copying blob b3e055352dc1 [>-----------] 3.7MiB / 144.7MiB\r\n"
                                    "\x1b[1A\x1b[JCopying blob b3e055352dc1 [=====>------] 81.8MiB / 144.7MiB\r\n";
const std::string k_terminal_done = "\x1b[1A\x1b[JCopying blob b3e055352dc1 done  \r\n"
                                    "Copying config 8247903386 [======] 440.0b / 440.0b\r\n"
                                    "\x1b[1A\x1b[JCopying config 8247903386 done  \r\n"
                                    "Writing manifest to image destination\r\n"
                                    "Storing signatures\r\n";

PullReport read_bytewise(const std::string& text) {
  PullReport r;
  for (const char c : text) {
    r.feed(std::string_view(&c, 1));
  }
  return r;
}

} // namespace

TEST(PullPolicy, PodmansFourWordsAndNothingElse) {
  for (const auto& word : k_pull_policies) {
    EXPECT_EQ(to_string(parse_pull_policy(word)), word);
  }
  try {
    parse_pull_policy("Always\x1b[2J");
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "--pull: unsupported value 'Always\\x1b[2J': use missing, always, newer or never");
  }
}

TEST(PullPolicy, RunOptionsCarryThePolicyAndTheRegistryAccess) {
  RunOptions o;
  o.image = "quay.io/fedora/fedora-bootc:42";
  const RunConfig defaults = validate_run_options(o, 2);
  EXPECT_EQ(defaults.pull, PullPolicy::missing);
  EXPECT_EQ(defaults.registry, (RegistryAccess{"", true, ""}));
  o.pull = "newer";
  o.authfile = "/root/ci-auth.json";
  o.tls_verify = false;
  const RunConfig c = validate_run_options(o, 2);
  EXPECT_EQ(c.pull, PullPolicy::newer);
  EXPECT_EQ(c.registry, (RegistryAccess{"/root/ci-auth.json", false, ""}));
  o.authfile = "";
  EXPECT_THROW(validate_run_options(o, 2), UsageError) << "an empty --authfile is a mistake, not the default";
  o.authfile = "a\nb";
  EXPECT_THROW(validate_run_options(o, 2), UsageError);
}

TEST(PullPolicy, TlsVerifyIsAFlagThatNeverTakesTheImage) {
  EXPECT_EQ(parse_run_arguments({"--tls-verify", "quay.io/a/b:1", "--rm"}, 2).image, "quay.io/a/b:1");
  EXPECT_TRUE(parse_run_arguments({"--tls-verify", "quay.io/a/b:1"}, 2).registry.tls_verify);
  EXPECT_FALSE(parse_run_arguments({"--tls-verify=false", "quay.io/a/b:1", "--rm"}, 2).registry.tls_verify);
  EXPECT_EQ(parse_run_arguments({"--authfile", "/a.json", "--pull=always", "h:5000/os"}, 2).registry.authfile,
            "/a.json");
}

TEST(ImageReference, TransportsAreNotImages) {
  for (const char* ref : {"docker://quay.io/a/b:1", "oci-archive:/tmp/x.tar", "oci-archive:x.tar", "dir:/srv/img",
                          "containers-storage:localhost/x", "docker-daemon:x:1", "host:port/x"}) {
    EXPECT_THROW(check_image_reference(ref), UsageError) << ref;
  }
  for (const char* ref : {"fedora-bootc:42", "quay.io/a/b:1", "127.0.0.1:5000/a/b", "localhost/x@sha256:00",
                          "localhost:5000/x:1", "[::1]:5000/x", "[fe80::1]/x:1", "docker:5000/img", "docker:latest",
                          "registry.example.com/ns/img:tag@sha256:00"}) {
    EXPECT_NO_THROW(check_image_reference(ref)) << ref;
  }
}

TEST(PullArguments, OptionsThenTheImageAfterTheirEnd) {
  EXPECT_EQ(podman_pull_arguments("quay.io/a/b:1", {}), (std::vector<std::string>{"--", "quay.io/a/b:1"}));
  EXPECT_EQ(podman_pull_arguments("h:5000/b", {"/a.json", false, ""}),
            (std::vector<std::string>{"--authfile", "/a.json", "--tls-verify=false", "--", "h:5000/b"}));
}

TEST(ImageReference, RegistryAndRepository) {
  EXPECT_EQ(registry_of("quay.io/fedora/fedora-bootc:42"), "quay.io");
  EXPECT_EQ(registry_of("127.0.0.1:5443/bcvk/test:1"), "127.0.0.1:5443");
  EXPECT_EQ(registry_of("localhost/bcvk-test"), "localhost");
  EXPECT_EQ(registry_of("fedora/fedora-bootc"), std::nullopt) << "a search registry decides";
  EXPECT_EQ(registry_of("fedora-bootc:42"), std::nullopt);
  EXPECT_EQ(repository_of("127.0.0.1:5443/bcvk/test:1"), "127.0.0.1:5443/bcvk/test");
  EXPECT_EQ(repository_of("127.0.0.1:5443/bcvk/test"), "127.0.0.1:5443/bcvk/test") << "a port is not a tag";
  EXPECT_EQ(repository_of("quay.io/a/b:1@sha256:00"), "quay.io/a/b");
}

TEST(PullReport, ReadsTheBarsOfATerminalWhereverTheBytesAreCut) {
  const PullReport r = read_bytewise(k_terminal_pull);
  ASSERT_EQ(r.blobs().size(), 1U);
  EXPECT_EQ(r.blobs()[0].id, "b3e055352dc1");
  EXPECT_FALSE(r.blobs()[0].finished);
  EXPECT_EQ(r.copied_bytes(), *parse_bar_size("81.8MiB"));
  EXPECT_EQ(r.total_bytes(), *parse_bar_size("144.7MiB"));
  EXPECT_EQ(pull_status("127.0.0.1:5443/bcvk/test:1", r, std::chrono::seconds(12)),
            "pulling 127.0.0.1:5443/bcvk/test:1: 0/1 layers, 81.8 MiB of 144.7 MiB (12 s)");

  const PullReport done = read_bytewise(k_terminal_pull + k_terminal_done);
  EXPECT_TRUE(done.blobs()[0].finished);
  EXPECT_EQ(done.copied_bytes(), done.total_bytes()) << "a finished layer counts whole";
  EXPECT_EQ(done.last_message(), "Storing signatures");
  EXPECT_EQ(pull_status("x", done, std::chrono::seconds(20)),
            "pulling x: 1/1 layers, 144.7 MiB of 144.7 MiB, storing the image (20 s)");
}

TEST(PullReport, SeveralBarsRedrawnAsABlock) {
  // Two layers at once: the block of bars goes up two lines and is drawn again.
  const PullReport r = read_bytewise("Copying blob aaaa [>---] 1.0MiB / 10.0MiB\r\n"
                                     "Copying blob bbbb [>---] 2.0MiB / 20.0MiB\r\n"
                                     "\x1b[2A\x1b[JCopying blob aaaa done  \r\n"
                                     "Copying blob bbbb [==>-] 15.0MiB / 20.0MiB\r\n"
                                     "Copying blob cccc skipped: already exists  \r\n");
  ASSERT_EQ(r.blobs().size(), 3U);
  EXPECT_EQ(r.copied_bytes(), (10ULL + 15) << 20);
  EXPECT_EQ(r.total_bytes(), 30ULL << 20);
  EXPECT_EQ(pull_status("x", r, std::chrono::seconds(2)), "pulling x: 2/3 layers, 25 MiB of 30 MiB (2 s)");
}

TEST(PullReport, WarningsInBothOfPodmansForms) {
  PullReport piped;
  piped.feed("time=\"2026-12-02T14:51:55Z\" level=warning msg=\"Failed, retrying in 1s ... (2/3)\"\n");
  EXPECT_EQ(piped.last_message(), "Failed, retrying in 1s ... (2/3)");
  PullReport on_terminal;
  on_terminal.feed("\x1b[33mWARN\x1b[0m[0003] Failed, retrying in 1s ... (2/3)\r\n");
  EXPECT_EQ(on_terminal.last_message(), "Failed, retrying in 1s ... (2/3)");
}

TEST(PullReport, LinesWithoutATerminalAndLayersAlreadyStored) {
  PullReport r;
  r.feed("Trying to pull quay.io/a/b:1...\nGetting image source signatures\nCopying blob sha256:aa\n");
  EXPECT_EQ(pull_status("quay.io/a/b:1", r, std::chrono::seconds(3)), "pulling quay.io/a/b:1: 0/1 layers (3 s)");
  r.feed("Copying blob sha256:bb skipped: already exists\nCopying blob sha256:aa done\nCopying config sha256:cc");
  r.finish();
  ASSERT_EQ(r.blobs().size(), 2U);
  EXPECT_TRUE(r.blobs()[1].skipped);
  EXPECT_EQ(r.copied_bytes(), 0U) << "no sizes were printed";
  EXPECT_EQ(pull_status("q", r, std::chrono::seconds(4)), "pulling q: 2/2 layers, storing the image (4 s)");

  PullReport before_any_layer;
  before_any_layer.feed("Trying to pull quay.io/a/b:1...");
  before_any_layer.finish();
  EXPECT_EQ(pull_status("quay.io/a/b:1", before_any_layer, std::chrono::seconds(1)),
            "pulling quay.io/a/b:1: Trying to pull quay.io/a/b:1... (1 s)");
}

TEST(PullReport, TheErrorLineAndWhatARegistryCannotSmuggleIn) {
  PullReport r;
  r.feed("time=\"2026-12-02T14:51:55Z\" level=warning msg=\"Failed, retrying in 1s ... (2/3). Error: x\"\n");
  EXPECT_EQ(r.error(), "") << "a retry is not the end";
  r.feed("Error: initializing source docker://h/x:1: reading manifest 1 in h/x: \x1b]52;c;aGk=\x07"
         "unauthorized: \x1b[31mauthentication required\x1b[0m\r\n");
  EXPECT_EQ(r.error(), "initializing source docker://h/x:1: reading manifest 1 in h/x: unauthorized: "
                       "authentication required")
      << "escape sequences are dropped";
  PullReport charset;
  charset.feed("Error: \x1b(Bplain \x1bPq#0\x1b\\text\n");
  EXPECT_EQ(charset.error(), "plain text") << "a charset choice and a DCS string leave nothing behind";
  PullReport bell;
  bell.feed("Error: a\x07"
            "b\x9b"
            "c\n");
  EXPECT_EQ(bell.error().find_first_of("\x07\x9b"), std::string::npos) << bell.error();
  PullReport endless;
  endless.feed("Error: " + std::string(100000, 'x'));
  endless.finish();
  EXPECT_LE(endless.error().size(), 4096U);
}

TEST(PullReport, BarSizes) {
  EXPECT_EQ(parse_bar_size("440.0b"), 440U);
  EXPECT_EQ(parse_bar_size("1.5KiB"), 1536U);
  EXPECT_EQ(parse_bar_size("2GiB"), 2ULL << 30);
  EXPECT_EQ(parse_bar_size("MiB"), std::nullopt);
  EXPECT_EQ(parse_bar_size("12.0MB"), std::nullopt);
  EXPECT_EQ(parse_bar_size("1e30TiB"), std::nullopt);
  EXPECT_EQ(parse_bar_size("99999999999999999999TiB"), std::nullopt);
}

TEST(PullFailure, EachCauseSaysWhatToDo) {
  const std::string image = "127.0.0.1:5443/bcvk/test:1";
  const RegistryAccess plain;
  // podman 4.3's words, as seen against a registry on 127.0.0.1.
  EXPECT_EQ(pull_failure_message(image,
                                 "initializing source docker://127.0.0.1:5443/bcvk/test:1: reading manifest 1 in "
                                 "127.0.0.1:5443/bcvk/test: unauthorized: authentication required",
                                 plain, "/var/lib/containers/storage"),
            "cannot pull 127.0.0.1:5443/bcvk/test:1: 127.0.0.1:5443 asks for credentials (unauthorized: "
            "authentication required): log in with 'podman login 127.0.0.1:5443' or pass --authfile FILE");
  EXPECT_NE(pull_failure_message(image, "unauthorized: authentication required", {"/ci/auth.json", true, ""}, "")
                .find("the credentials in /ci/auth.json were refused"),
            std::string::npos);
  EXPECT_EQ(pull_failure_message(image,
                                 "initializing source docker://127.0.0.1:5443/bcvk/test:1: pinging container "
                                 "registry 127.0.0.1:5443: Get \"https://127.0.0.1:5443/v2/\": x509: certificate "
                                 "signed by unknown authority",
                                 plain, ""),
            "cannot pull 127.0.0.1:5443/bcvk/test:1: the certificate of 127.0.0.1:5443 is not trusted (x509: "
            "certificate signed by unknown authority): put the registry's CA in "
            "/etc/containers/certs.d/127.0.0.1:5443/ca.crt, or pass --tls-verify=false for a test registry");
  EXPECT_NE(pull_failure_message(image,
                                 "reading manifest 1 in 127.0.0.1:5443/bcvk/test: manifest unknown: manifest "
                                 "unknown",
                                 plain, "")
                .find("127.0.0.1:5443 has no such image or tag"),
            std::string::npos);
  EXPECT_EQ(pull_failure_message(image,
                                 "pinging container registry 127.0.0.1:5999: Get \"https://127.0.0.1:5999/v2/\": "
                                 "dial tcp 127.0.0.1:5999: connect: connection refused",
                                 plain, ""),
            "cannot pull 127.0.0.1:5443/bcvk/test:1: 127.0.0.1:5443 cannot be reached (connection refused): check "
            "the address and that the registry is up, then run again");
  EXPECT_NE(pull_failure_message(
                image, "reading blob sha256:aa: Get \"https://h/v2/x/blobs/sha256:aa\": unexpected EOF", plain, "")
                .find("cannot be reached (unexpected EOF)"),
            std::string::npos)
      << "a registry that went away in the middle of a pull";
  EXPECT_EQ(pull_failure_message(image,
                                 "writing blob: storing blob to file \"/var/tmp/storage1/1\": write /var/tmp/x: no "
                                 "space left on device",
                                 plain, "/var/lib/containers/storage"),
            "cannot pull 127.0.0.1:5443/bcvk/test:1: the disk holding podman's storage (/var/lib/containers/storage) "
            "is full: free space (e.g. 'podman image prune') and run again");
  EXPECT_NE(pull_failure_message("h:5000/x",
                                 "Get \"https://h:5000/v2/\": http: server gave HTTP response to HTTPS "
                                 "client",
                                 plain, "")
                .find("--tls-verify=false"),
            std::string::npos);
  EXPECT_EQ(pull_failure_message("x", "something new", plain, ""),
            "cannot pull x: something new (check the name, or build the image locally and use its local name)");
  EXPECT_LT(pull_failure_message("x", std::string(5000, 'y'), plain, "").size(), 500U) << "one readable line";
  // What the registry said decides, not the words of the image's own name.
  const std::string odd = "quay.io/acme/unauthorized-certificate-tools:9";
  EXPECT_NE(pull_failure_message(odd,
                                 "initializing source docker://" + odd +
                                     ": reading manifest 9 in quay.io/acme/unauthorized-certificate-tools: manifest "
                                     "unknown: manifest unknown",
                                 plain, "")
                .find("quay.io has no such image or tag"),
            std::string::npos);
  EXPECT_NE(pull_failure_message("IMAGE", "IMAGE IMAGE: connection refused", plain, "").find("cannot be reached"),
            std::string::npos)
      << "an image named like the placeholder ends";
  // A short name that is also a word of the message ("host") leaves the message's words alone.
  const std::string short_name = pull_failure_message(
      "host", "pinging container registry docker.io: dial tcp: lookup registry-1.docker.io: no such host", plain, "");
  EXPECT_NE(short_name.find("the registry cannot be reached (no such host)"), std::string::npos) << short_name;
  EXPECT_NE(
      pull_failure_message("fedora", "reading manifest latest in docker.io/library/fedora: unauthorized: x", plain, "")
          .find("'podman login REGISTRY'"),
      std::string::npos)
      << "a short name's registry is not named: the command shows where it goes";
  EXPECT_NE(pull_failure_message(odd, "initializing source docker://" + odd + ": unauthorized: authentication required",
                                 plain, "")
                .find("(unauthorized: authentication required)"),
            std::string::npos)
      << "the registry's answer is quoted, not the image's name";
  // A certificate that a CA would not fix gets other advice than an unknown CA.
  const std::string expired = pull_failure_message(
      image,
      "pinging container registry 127.0.0.1:5443: Get \"https://127.0.0.1:5443/v2/\": x509: certificate has "
      "expired or is not yet valid: current time 2026-12-02 is after 2026-12-01",
      plain, "");
  EXPECT_NE(expired.find("the TLS connection to 127.0.0.1:5443 failed"), std::string::npos) << expired;
  EXPECT_EQ(expired.find("put the registry's CA"), std::string::npos) << expired;
  EXPECT_NE(pull_failure_message(image, "Get \"https://h/v2/\": tls: first record does not look like a TLS handshake",
                                 plain, "")
                .find("speaks plain HTTP"),
            std::string::npos);
  EXPECT_NE(pull_failure_message("localhost/mine",
                                 "pinging container registry localhost: dial tcp [::1]:443: "
                                 "connect: connection refused",
                                 plain, "")
                .find("not in local storage, and no registry answers on localhost"),
            std::string::npos);
}

TEST(ImageIdentity, TheRepoDigestOfTheReferencesOwnRepository) {
  ImageInfo info;
  info.digest = "sha256:local";
  info.repo_digests = {"quay.io/other/image@sha256:other", "127.0.0.1:5443/bcvk/test@sha256:remote",
                       "127.0.0.1:5443/bcvk/test-two@sha256:no"};
  const auto pulled = identity_of(info, "127.0.0.1:5443/bcvk/test:1");
  EXPECT_EQ(pulled.digest, "sha256:remote");
  EXPECT_EQ(pulled.repo_digest, "127.0.0.1:5443/bcvk/test@sha256:remote");
  info.digest = "sha256:remote-arch";
  info.repo_digests.push_back("127.0.0.1:5443/bcvk/test@sha256:remote-arch");
  EXPECT_EQ(identity_of(info, "127.0.0.1:5443/bcvk/test:1").digest, "sha256:remote-arch")
      << "of a multi-architecture image, the digest of the image stored, not the list's";
  info.digest = "sha256:local";
  const auto built = identity_of(info, "localhost/bcvk-test:latest");
  EXPECT_EQ(built.digest, "sha256:local");
  EXPECT_EQ(built.repo_digest, "");
}

TEST(ImageIdentity, InspectJsonGivesDigestsAndArchitecture) {
  const auto infos = parse_image_inspect_json(R"([{"Id":"abc","Digest":"sha256:d","RepoDigests":["q/r@sha256:d"],
      "Architecture":"arm64","Os":"linux","RepoTags":["q/r:1"],"Size":5,"Labels":{"containers.bootc":"1"}}])");
  ASSERT_EQ(infos.size(), 1U);
  EXPECT_EQ(infos[0].repo_digests, (std::vector<std::string>{"q/r@sha256:d"}));
  EXPECT_EQ(infos[0].architecture, "arm64");
  EXPECT_EQ(infos[0].os, "linux");
  // Labels only in the config (or nowhere): read from it, never from a destroyed temporary.
  const auto in_config = parse_image_inspect_json(R"([{"Id":"a","Config":{"Labels":{"containers.bootc":"1"}}},
      {"Id":"b"}])");
  ASSERT_EQ(in_config.size(), 2U);
  EXPECT_EQ(in_config[0].labels.at("containers.bootc"), "1");
  EXPECT_TRUE(in_config[1].labels.empty());
}

namespace {

// Local storage of names to IDs; a registry that holds `remote` (or fails) for every name.
class TwoPlaces : public ImageStore {
public:
  std::map<std::string, std::string> local;
  std::string remote = "new-id";
  bool registry_down = false;
  bool interrupt = false;
  int pulls = 0;
  std::map<std::string, std::string> architecture_of; // by ID; none: the host's
  std::string pulled_arch;

  bool exists(const std::string& image) override { return local.count(image) != 0 || image == remote; }
  std::string pull(const std::string& image, const RegistryAccess& access, SignalCatcher*) override {
    ++pulls;
    pulled_arch = access.arch;
    if (interrupt) {
      throw Interrupted(2);
    }
    if (registry_down) {
      throw Error("cannot pull " + image + ": the registry cannot be reached");
    }
    local[image] = remote;
    return remote;
  }
  ImageInfo inspect(const std::string& image) override {
    if (local.count(image) == 0 && image != remote) {
      throw Error("no such image");
    }
    ImageInfo info;
    info.id = image == remote ? remote : local[image];
    info.architecture = architecture_of.count(info.id) != 0 ? architecture_of[info.id] : "";
    return info;
  }
  std::string mount(const std::string&) override { return {}; }
  void unmount(const std::string&) override {}
  std::vector<ImageInfo> list_bootc_images() override { return {}; }
  std::string storage_root() override { return {}; }
  std::set<std::string> image_layer_ids() override { return {}; }
};

} // namespace

TEST(ChooseImage, EachPolicy) {
  TwoPlaces store;
  store.local["r/os:1"] = "old-id";
  EXPECT_EQ(choose_image("r/os:1", PullPolicy::missing, {}, store, nullptr).id, "old-id");
  EXPECT_EQ(choose_image("r/os:1", PullPolicy::never, {}, store, nullptr).id, "old-id");
  EXPECT_EQ(store.pulls, 0) << "the local image is what missing and never boot";
  EXPECT_EQ(choose_image("r/os:1", PullPolicy::newer, {}, store, nullptr).id, "new-id");
  store.local["r/os:1"] = "old-id";
  EXPECT_EQ(choose_image("r/os:1", PullPolicy::always, {}, store, nullptr).id, "new-id");
  EXPECT_EQ(store.pulls, 2);
  EXPECT_EQ(choose_image("r/absent:1", PullPolicy::missing, {}, store, nullptr).id, "new-id");
  EXPECT_EQ(store.pulls, 3);
}

TEST(ChooseImage, NeverRefusesAnAbsentImageAndNewerFallsBackOnlyToALocalOne) {
  TwoPlaces store;
  try {
    choose_image("r/absent:1", PullPolicy::never, {}, store, nullptr);
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "IMAGE: r/absent:1 is not in local storage and --pull=never forbids pulling "
                                     "it: pull it first ('bcvk images pull r/absent:1') or drop --pull=never");
  }
  EXPECT_EQ(store.pulls, 0);
  store.registry_down = true;
  store.local["r/os:1"] = "old-id";
  EXPECT_EQ(choose_image("r/os:1", PullPolicy::newer, {}, store, nullptr).id, "old-id");
  EXPECT_THROW(choose_image("r/os:1", PullPolicy::always, {}, store, nullptr), Error);
  EXPECT_THROW(choose_image("r/absent:1", PullPolicy::newer, {}, store, nullptr), Error);
  store.registry_down = false;
  store.interrupt = true;
  EXPECT_THROW(choose_image("r/os:1", PullPolicy::newer, {}, store, nullptr), Interrupted)
      << "Ctrl-C during the pull ends the run; it is not a registry to fall back from";
}

TEST(ChooseImage, ALocalImageOfAnotherArchitectureThanAskedIsPulledAsAsked) {
  TwoPlaces store;
  store.local["r/os:1"] = "old-id";
  store.architecture_of["old-id"] = "amd64";
  RegistryAccess arm;
  arm.arch = "arm64";
  EXPECT_EQ(choose_image("r/os:1", PullPolicy::missing, arm, store, nullptr).id, "new-id");
  EXPECT_EQ(store.pulls, 1);
  EXPECT_EQ(store.pulled_arch, "arm64");
  store.local["r/os:1"] = "old-id";
  EXPECT_EQ(choose_image("r/os:1", PullPolicy::never, arm, store, nullptr).id, "old-id")
      << "never does not pull: the architecture check refuses the local image";
  EXPECT_EQ(store.pulls, 1);
  store.registry_down = true;
  EXPECT_THROW(choose_image("r/os:1", PullPolicy::newer, arm, store, nullptr), Error)
      << "newer does not fall back to a local image of another architecture than asked";
  EXPECT_EQ(store.pulls, 2);
  store.registry_down = false;
  store.local["r/os:1"] = "old-id";
  RegistryAccess amd;
  amd.arch = "amd64";
  EXPECT_EQ(choose_image("r/os:1", PullPolicy::missing, amd, store, nullptr).id, "old-id");
  store.architecture_of["old-id"] = "x86_64";
  EXPECT_EQ(choose_image("r/os:1", PullPolicy::missing, amd, store, nullptr).id, "old-id")
      << "the same machine under the kernel's name";
  EXPECT_EQ(store.pulls, 2);
}
