#include "bcvk/vm/pull_report.hpp"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdlib>
#include <utility>

#include "bcvk/util/size.hpp"
#include "bcvk/util/terminal_text.hpp"

namespace bcvk {
namespace {

constexpr std::size_t k_max_line = 4096;        // podman's lines are short; a longer one is cut
constexpr std::size_t k_max_quoted_error = 300; // of podman's words in bcvk's one line
constexpr std::size_t k_max_blobs = 1000;       // layers counted; images have dozens at most

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// "... 81.8MiB / 144.7MiB" (and a speed or time after it in newer podman versions).
void read_bar_sizes(std::string_view rest, PulledBlob& b) {
  const auto close = rest.find(']');
  const auto slash = rest.find(" / ", close == std::string_view::npos ? 0 : close);
  if (slash == std::string_view::npos) {
    return;
  }
  std::string_view left = trim(rest.substr(0, slash));
  if (const auto space = left.rfind(' '); space != std::string_view::npos) {
    left = left.substr(space + 1);
  }
  std::string_view right = trim(rest.substr(slash + 3));
  right = right.substr(0, right.find(' '));
  const auto copied = parse_bar_size(left);
  const auto total = parse_bar_size(right);
  if (copied && total) {
    b.copied = std::min(*copied, *total);
    b.total = *total;
  }
}

std::string quoted(const std::string& podman_words) {
  std::string out = podman_words.substr(0, k_max_quoted_error);
  return podman_words.size() > k_max_quoted_error ? out + "..." : out;
}

// From `key` on ("unauthorized: authentication required"): what the registry answered, for the
// parenthesis after bcvk's own words.
std::string cause_in(const std::string& error, std::string_view key) {
  const auto at = error.find(key);
  if (at == std::string::npos) {
    return quoted(error);
  }
  const auto end = error.find_first_of("\"", at);
  return quoted(error.substr(at, end == std::string::npos ? std::string::npos : end - at));
}

// What follows the last ": " ("connection refused"), the whole text when there is none.
std::string last_clause_in(const std::string& error) {
  const auto colon = error.rfind(": ");
  return quoted(colon == std::string::npos ? error : error.substr(colon + 2));
}

// A character that continues a name's component: a match next to one is part of another name.
bool continues_name(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

// Stand-ins for the image and its repository: bytes podman's text cannot hold (it went through
// the terminal filter).
constexpr char k_image_mark = '\x01';
constexpr char k_repository_mark = '\x02';

// `text` with each whole occurrence of the image's reference, then of its repository, replaced by
// its mark. Only names with a '/' are looked for: a short name ("host") could be a word of the
// message itself ("no such host"), and podman quotes short names qualified anyway.
std::string without_names(std::string text, const std::string& image) {
  const std::pair<std::string, char> names[] = {{image, k_image_mark}, {repository_of(image), k_repository_mark}};
  for (const auto& [name, mark] : names) {
    if (name.find('/') == std::string::npos) {
      continue;
    }
    for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
      const bool alone = (at == 0 || !continues_name(text[at - 1])) &&
                         (at + name.size() == text.size() || !continues_name(text[at + name.size()]));
      if (alone) {
        text.replace(at, name.size(), 1, mark);
      }
    }
  }
  return text;
}

std::string with_names(std::string text, const std::string& image) {
  std::string out;
  for (const char c : text) {
    out += c == k_image_mark ? image : c == k_repository_mark ? repository_of(image) : std::string(1, c);
  }
  return out;
}

} // namespace

std::optional<std::uint64_t> parse_bar_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0 || digits > 20) {
    return std::nullopt;
  }
  const std::string number(text.substr(0, digits));
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  const std::string_view unit = text.substr(digits);
  double scale = 0;
  if (unit == "b" || unit == "B") {
    scale = 1;
  } else if (unit == "KiB") {
    scale = 1024.0;
  } else if (unit == "MiB") {
    scale = 1024.0 * 1024;
  } else if (unit == "GiB") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "TiB") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  const double bytes = value * scale;
  if (bytes > 1e18) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(std::llround(bytes));
}

void PullReport::feed(std::string_view bytes) {
  // Lines end at '\n' or '\r' (a bar redraws itself after '\r'). Escape sequences (the cursor
  // movements that redraw a block of bars, and whatever a registry's message could smuggle in)
  // are dropped by the filter every guest text goes through; it keeps '\n', so a '\r' becomes one.
  std::string text(bytes);
  std::replace(text.begin(), text.end(), '\r', '\n');
  take_text(m_filter.feed(text));
}

void PullReport::finish() {
  take_text(m_filter.finish());
  take_line(m_line);
  m_line.clear();
}

void PullReport::take_text(const std::string& text) {
  for (const char c : text) {
    if (c == '\n') {
      take_line(m_line);
      m_line.clear();
    } else if (m_line.size() < k_max_line) {
      m_line += c;
    }
  }
}

PulledBlob* PullReport::blob(const std::string& id) {
  if (const auto it = m_index.find(id); it != m_index.end()) {
    return &m_blobs[it->second];
  }
  if (m_blobs.size() >= k_max_blobs) {
    return nullptr; // no image has that many layers: the rest are not counted
  }
  m_index.emplace(id, m_blobs.size());
  m_blobs.push_back(PulledBlob{id});
  return &m_blobs.back();
}

void PullReport::take_line(const std::string& raw) {
  const std::string safe = terminal_safe(raw, Charset::ascii);
  const std::string_view line = trim(safe);
  if (line.empty()) {
    return;
  }
  static constexpr std::string_view k_blob = "Copying blob ";
  if (starts_with(line, k_blob)) {
    std::string_view rest = line.substr(k_blob.size());
    const std::string id(rest.substr(0, rest.find(' ')));
    rest = trim(rest.substr(id.size()));
    PulledBlob* b = blob(id);
    if (b == nullptr) {
      return;
    }
    if (starts_with(rest, "skipped")) {
      b->finished = b->skipped = true;
    } else if (starts_with(rest, "done")) {
      b->finished = true;
      b->copied = b->total;
    } else {
      read_bar_sizes(rest, *b);
    }
    return;
  }
  if (starts_with(line, "Error: ")) {
    m_error = std::string(line.substr(7));
    return;
  }
  // podman's retries are warnings, logged as `time="..." level=warning msg="..."` into a pipe and
  // as `WARN[0003] ...` on a terminal: shown by what they say.
  if (starts_with(line, "time=") && contains(line, "level=warning")) {
    const auto msg = line.find("msg=");
    m_last_message = std::string(msg == std::string_view::npos ? line : trim(line.substr(msg + 4)));
    std::erase(m_last_message, '"');
    return;
  }
  if (starts_with(line, "WARN[")) {
    const auto close = line.find(']');
    m_last_message = std::string(trim(line.substr(close == std::string_view::npos ? 0 : close + 1)));
    return;
  }
  if (!starts_with(line, "Copying config ")) {
    m_last_message = std::string(line);
  }
}

std::uint64_t PullReport::copied_bytes() const {
  std::uint64_t sum = 0;
  for (const auto& b : m_blobs) {
    sum += b.copied;
  }
  return sum;
}

std::uint64_t PullReport::total_bytes() const {
  std::uint64_t sum = 0;
  for (const auto& b : m_blobs) {
    sum += b.total;
  }
  return sum;
}

std::string pull_status(const std::string& image, const PullReport& report, std::chrono::seconds elapsed) {
  std::string text = "pulling " + image;
  const auto& blobs = report.blobs();
  if (!blobs.empty()) {
    const auto finished = std::count_if(blobs.begin(), blobs.end(), [](const PulledBlob& b) { return b.finished; });
    text += ": " + std::to_string(finished) + "/" + std::to_string(blobs.size()) + " layers";
    if (report.total_bytes() > 0) {
      text += ", " + format_size(report.copied_bytes()) + " of " + format_size(report.total_bytes());
    }
    if (finished == static_cast<std::ptrdiff_t>(blobs.size())) {
      text += ", storing the image"; // podman writes the layers into local storage last
    }
  } else if (!report.last_message().empty()) {
    text += ": " + report.last_message();
  }
  return text + " (" + std::to_string(elapsed.count()) + " s)";
}

std::string pull_failure_message(const std::string& image, const std::string& podman_error,
                                 const RegistryAccess& access, const std::string& storage_root) {
  // Where a command needs the registry's name, a short name (which podman resolved through its
  // search registries) shows where it goes.
  const std::string registry = registry_of(image).value_or("the registry");
  const std::string host = registry_of(image).value_or("REGISTRY");
  const std::string start = "cannot pull " + image + ": ";
  // podman quotes the reference and its repository: a repository called "unauthorized-tools" or
  // "certificate-store" must not decide what the registry said. They are judged with the names
  // taken out, and quoted with them put back.
  const std::string said = without_names(podman_error, image);
  const auto cause_of = [&said, &image](std::string_view key) { return with_names(cause_in(said, key), image); };
  const auto last_clause = [&said, &image] { return with_names(last_clause_in(said), image); };
  const auto has = [&said](std::string_view part) { return contains(said, part); };
  if (has("no space left on device")) {
    return start + "the disk holding podman's storage" + (storage_root.empty() ? "" : " (" + storage_root + ")") +
           " is full: free space (e.g. 'podman image prune') and run again";
  }
  if (has("unauthorized") || has("authentication required") || has("401 Unauthorized") ||
      has("invalid username/password") || has("denied: requested access")) {
    const std::string login = access.authfile.empty()
                                  ? "log in with 'podman login " + host + "' or pass --authfile FILE"
                                  : "the credentials in " + access.authfile +
                                        " were refused: write new ones with "
                                        "'podman login --authfile " +
                                        access.authfile + " " + host + "'";
    return start + registry + " asks for credentials (" + cause_of("unauthorized") + "): " + login;
  }
  if (has("x509: certificate signed by unknown authority")) {
    return start + "the certificate of " + registry + " is not trusted (" + cause_of("x509:") +
           "): put the registry's CA in /etc/containers/certs.d/" + host +
           "/ca.crt, or pass --tls-verify=false for a test registry";
  }
  if (has("server gave HTTP response to HTTPS client") || has("first record does not look like a TLS handshake")) {
    return start + registry +
           " speaks plain HTTP, not HTTPS: pass --tls-verify=false if that registry is meant to be used without TLS";
  }
  if (has("x509:") || has("tls: ")) {
    // Expired, made out for another name, or a registry that wants a client certificate: a CA
    // would not help.
    return start + "the TLS connection to " + registry + " failed (" + last_clause() +
           "): check the registry's certificate and name (client certificates go in /etc/containers/certs.d/" + host +
           "/), or pass --tls-verify=false for a test registry";
  }
  if (has("manifest unknown") || has("name unknown") || has("repository name not known") ||
      has("not found: manifest") || has("404 (Not Found)") || has("does not exist")) {
    return start + registry + " has no such image or tag (" + cause_of("manifest unknown") +
           "): check the name and tag ('skopeo list-tags docker://" + repository_of(image) + "' lists the tags)";
  }
  if (has("short-name") || has("no unqualified-search registries")) {
    return start + "it is a short name that no registry is configured for, and no local image has it: give its "
                   "full name (registry/repository:tag), or build it locally";
  }
  if (has("connection refused") || has("no such host") || has("i/o timeout") || has("network is unreachable") ||
      has("connection reset") || has("unexpected EOF") || has("TLS handshake timeout") || has("dial tcp") ||
      has("no route to host") || has(": EOF") || has("broken pipe")) {
    if (registry == "localhost") {
      return start + "it is not in local storage, and no registry answers on localhost (" + last_clause() +
             "): build it, or check its name in 'podman images'";
    }
    return start + registry + " cannot be reached (" + last_clause() +
           "): check the address and that the registry is up, then run again";
  }
  return start + (podman_error.empty() ? std::string("podman pull failed") : quoted(podman_error)) +
         " (check the name, or build the image locally and use its local name)";
}

} // namespace bcvk
