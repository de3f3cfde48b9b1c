#pragma once
// A real registry for e2e tests, on 127.0.0.1 only: Debian's docker-registry (the CNCF
// distribution registry) with TLS from a CA made for the test and htpasswd logins, the CA placed
// where podman looks for it (/etc/containers/certs.d/127.0.0.1:PORT/), and a TCP relay in front
// of it that can slow a pull down (so that it can be cut or interrupted halfway) or present the
// registry under a port podman has no CA for. Everything is removed when the objects go.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.hpp"

namespace bcvk::e2e {

inline int listen_on_loopback(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  ::listen(fd, 16);
  return fd;
}

// A loopback port nothing listens on (taken from the kernel, then let go).
inline int closed_loopback_port() {
  int port = 0;
  ::close(listen_on_loopback(port));
  return port;
}

inline bool connects(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Forwards 127.0.0.1:port() to 127.0.0.1:target, each connection's download held to
// `bytes_per_second` (0: as fast as it goes). Counts connections and bytes sent to clients.
class TcpRelay {
public:
  TcpRelay(int target, std::size_t bytes_per_second) : m_target(target), m_rate(bytes_per_second) {
    m_listen = listen_on_loopback(m_port);
    m_acceptor = std::thread([this] { accept_loop(); });
  }
  ~TcpRelay() {
    m_stop = true;
    m_acceptor.join();
    {
      const std::lock_guard lock(m_mutex);
      for (const int fd : m_fds) {
        ::shutdown(fd, SHUT_RDWR);
      }
    }
    for (auto& t : m_pumps) {
      t.join();
    }
    for (const int fd : m_fds) {
      ::close(fd);
    }
    ::close(m_listen);
  }
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  int port() const { return m_port; }
  int connections() const { return m_connections; }
  std::uint64_t bytes_down() const { return m_bytes_down; }

private:
  void accept_loop() {
    while (!m_stop) {
      pollfd p{m_listen, POLLIN, 0};
      if (::poll(&p, 1, 100) != 1) {
        continue;
      }
      const int client = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        continue;
      }
      ++m_connections;
      const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<std::uint16_t>(m_target));
      const std::lock_guard lock(m_mutex);
      m_fds.push_back(client);
      m_fds.push_back(upstream);
      if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::shutdown(client, SHUT_RDWR);
        continue;
      }
      m_pumps.emplace_back([this, client, upstream] { pump(client, upstream, false); });
      m_pumps.emplace_back([this, client, upstream] { pump(upstream, client, true); });
    }
  }

  // Copies until either side ends, then ends both (which also ends the other direction's pump).
  void pump(int from, int to, bool download) {
    char buf[16384];
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t sent = 0;
    while (!m_stop) {
      const ssize_t n = ::read(from, buf, sizeof buf);
      if (n <= 0) {
        break;
      }
      if (::send(to, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) {
        break;
      }
      if (download) {
        m_bytes_down += static_cast<std::uint64_t>(n);
        sent += static_cast<std::uint64_t>(n);
        if (m_rate > 0) {
          std::this_thread::sleep_until(start + std::chrono::microseconds(sent * 1000000 / m_rate));
        }
      }
    }
    ::shutdown(from, SHUT_RDWR);
    ::shutdown(to, SHUT_RDWR);
  }

  int m_target;
  std::size_t m_rate;
  int m_port = 0;
  int m_listen = -1;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_connections{0};
  std::atomic<std::uint64_t> m_bytes_down{0};
  std::mutex m_mutex;
  std::vector<int> m_fds;
  std::vector<std::thread> m_pumps;
  std::thread m_acceptor;
};

// A registry on 127.0.0.1 with TLS and one user, started for one test.
class TestRegistry {
public:
  static constexpr const char* k_user = "tester";
  static constexpr const char* k_password = "e2e-s3cret";

  TestRegistry() : m_dir("/var/tmp/bcvk-e2e-registry-" + std::to_string(::getpid())) {
    namespace fs = std::filesystem;
    sweep_trust_left_by_dead_runs();
    fs::remove_all(m_dir);
    fs::create_directories(m_dir + "/data");
    const std::string d = m_dir;
    m_port = closed_loopback_port();
    const std::vector<std::vector<std::string>> steps{
        {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.crt",
         "-days", "2", "-subj", "/CN=bcvk e2e CA"},
        {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/server.key", "-out", d + "/server.csr",
         "-subj", "/CN=127.0.0.1"},
        {"openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key",
         "-CAcreateserial", "-out", d + "/server.crt", "-days", "2", "-extfile", d + "/san.cnf"},
    };
    std::ofstream(d + "/san.cnf") << "subjectAltName=IP:127.0.0.1\n";
    for (const auto& step : steps) {
      const auto r = run(step);
      if (r.status != 0) {
        m_problem = "openssl failed: " + r.err;
        return;
      }
    }
    const auto htpasswd = run({"htpasswd", "-Bbn", k_user, k_password});
    if (htpasswd.status != 0) {
      m_problem = "htpasswd failed: " + htpasswd.err;
      return;
    }
    std::ofstream(d + "/htpasswd") << htpasswd.out;
    std::ofstream(d + "/config.yml") << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                                     << "    rootdirectory: " << d << "/data\nhttp:\n  addr: 127.0.0.1:" << m_port
                                     << "\n  tls:\n    certificate: " << d << "/server.crt\n    key: " << d
                                     << "/server.key\nauth:\n  htpasswd:\n    realm: bcvk-e2e\n    path: " << d
                                     << "/htpasswd\n";
    trust_port(m_port);
    start();
  }
  ~TestRegistry() {
    stop();
    std::error_code ec;
    for (const int port : m_trusted) {
      std::filesystem::remove_all(certs_dir(port), ec);
    }
    run({"podman", "logout", host()}); // whatever a test logged in with
    std::filesystem::remove_all(m_dir, ec);
  }
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  // Why the registry could not be set up, "" when it runs.
  const std::string& problem() const { return m_problem; }
  int port() const { return m_port; }
  std::string host() const { return "127.0.0.1:" + std::to_string(m_port); }
  std::string authfile() const { return m_dir + "/auth.json"; }
  const std::string& dir() const { return m_dir; }

  // Puts the test CA where podman looks for the registry at 127.0.0.1:port.
  void trust_port(int port) {
    std::filesystem::create_directories(certs_dir(port));
    std::filesystem::copy_file(m_dir + "/ca.crt", certs_dir(port) + "/ca.crt",
                               std::filesystem::copy_options::overwrite_existing);
    std::ofstream(certs_dir(port) + "/" + k_marker) << ::getpid() << "\n"; // podman reads only *.crt/.cert/.key
    m_trusted.push_back(port);
    add_credentials(port);
  }
  // podman finds credentials by HOST:PORT: the file holds them for each name of the registry.
  void add_credentials(int port) {
    m_credential_ports.push_back(port);
    std::ofstream auth(authfile());
    auth << R"({"auths":{)";
    for (std::size_t i = 0; i < m_credential_ports.size(); ++i) {
      auth << (i == 0 ? "" : ",") << R"("127.0.0.1:)" << m_credential_ports[i] << R"(":{"auth":")"
           << base64(std::string(k_user) + ":" + k_password) << R"("})";
    }
    auth << "}}\n";
  }

  // Pushes a local image under `reference` (podman push, with the test's credentials).
  ProcessResult push(const std::string& local, const std::string& reference) const {
    return run({"podman", "push", "-q", "--authfile", authfile(), local, reference});
  }

  void start() {
    m_process = std::make_unique<Background>(
        std::vector<std::string>{"/usr/bin/docker-registry", "serve", m_dir + "/config.yml"}, false);
    if (!eventually([this] { return connects(m_port); }, std::chrono::seconds(20))) {
      m_problem = "the registry did not listen on " + host() + ": " + m_process->err();
    }
  }
  // Kills the registry at once, as a crash or a pulled cable would end it.
  void kill() {
    if (m_process) {
      m_process->signal(SIGKILL);
      m_process->wait_exit(std::chrono::seconds(10));
    }
  }
  void stop() {
    if (m_process) {
      m_process->signal(SIGTERM);
      if (m_process->wait_exit(std::chrono::seconds(10)) < 0) {
        kill();
      }
      m_process.reset();
    }
  }

private:
  static constexpr const char* k_marker = "bcvk-e2e-test-ca";
  static std::string certs_dir(int port) { return "/etc/containers/certs.d/127.0.0.1:" + std::to_string(port); }
  // A run that was killed could not remove its CA: nothing is left trusting it.
  static void sweep_trust_left_by_dead_runs() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/etc/containers/certs.d", ec)) {
      const std::string pid = slurp((entry.path() / k_marker).string());
      if (!pid.empty() && ::kill(std::stoi(pid), 0) != 0) {
        std::filesystem::remove_all(entry.path(), ec);
      }
    }
  }
  static std::string base64(const std::string& in) {
    static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                         static_cast<unsigned char>(in[i + 2]);
      out += {k[(v >> 18) & 63], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
    }
    if (i + 1 == in.size()) {
      const unsigned v = static_cast<unsigned char>(in[i]) << 16;
      out += {k[(v >> 18) & 63], k[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
      const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
      out += {k[(v >> 18) & 63], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
    }
    return out;
  }

  std::string m_dir;
  int m_port = 0;
  std::string m_problem;
  std::vector<int> m_trusted;
  std::vector<int> m_credential_ports;
  std::unique_ptr<Background> m_process;
};

// A podman storage of its own (graphroot, runroot, and the temporary files of a pull) for the
// processes of one test, through CONTAINERS_STORAGE_CONF: every layer of a pull is really
// downloaded, and what a cut pull leaves (or does not) is seen apart from the host's images.
// With `size_mib`, all of it is on a tmpfs of that size, so that a pull fills it.
class PrivateStorage {
public:
  explicit PrivateStorage(const std::string& dir, unsigned size_mib = 0) : m_dir(dir) {
    std::filesystem::create_directories(m_dir);
    if (size_mib > 0) {
      const std::string opts = "size=" + std::to_string(size_mib) + "m,mode=0700";
      m_mounted = ::mount("tmpfs", m_dir.c_str(), "tmpfs", 0, opts.c_str()) == 0;
    }
    std::filesystem::create_directories(m_dir + "/tmp");
    std::ofstream(m_dir + "/storage.conf") << "[storage]\ndriver = \"overlay\"\ngraphroot = \"" << m_dir
                                           << "/graph\"\nrunroot = \"" << m_dir << "/run\"\n";
    ::setenv("CONTAINERS_STORAGE_CONF", (m_dir + "/storage.conf").c_str(), 1);
    ::setenv("TMPDIR", (m_dir + "/tmp").c_str(), 1);
  }
  ~PrivateStorage() {
    run({"podman", "image", "prune", "-a", "-f"});
    ::unsetenv("CONTAINERS_STORAGE_CONF");
    ::unsetenv("TMPDIR");
    // Whatever podman still has mounted in it goes first, then the tmpfs, then the files.
    run({"sh", "-c", "grep -o ' " + m_dir + "/[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l"});
    if (m_mounted) {
      ::umount2(m_dir.c_str(), MNT_DETACH);
    }
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  PrivateStorage(const PrivateStorage&) = delete;
  PrivateStorage& operator=(const PrivateStorage&) = delete;

  bool has(const std::string& image) const { return run({"podman", "image", "exists", image}).status == 0; }
  bool mounted() const { return m_mounted; }
  // The temporary files of pulls (TMPDIR) that are still there.
  bool temporary_files_left() const {
    std::error_code ec;
    return !std::filesystem::is_empty(m_dir + "/tmp", ec);
  }

private:
  std::string m_dir;
  bool m_mounted = false;
};

} // namespace bcvk::e2e
