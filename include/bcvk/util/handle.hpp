#pragma once
// One move-only RAII wrapper for every C handle bcvk touches.
#include <utility>

namespace bcvk {

// Owns a pointer-like C handle and releases it with Free exactly once.
template <typename T, auto Free> class Handle {
public:
  Handle() = default;
  explicit Handle(T* ptr) : m_ptr(ptr) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : m_ptr(std::exchange(other.m_ptr, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset(std::exchange(other.m_ptr, nullptr));
    }
    return *this;
  }
  ~Handle() { reset(); }

  T* get() const { return m_ptr; }
  T* release() { return std::exchange(m_ptr, nullptr); }
  explicit operator bool() const { return m_ptr != nullptr; }
  void reset(T* ptr = nullptr) {
    if (m_ptr != nullptr) {
      Free(m_ptr);
    }
    m_ptr = ptr;
  }

private:
  T* m_ptr = nullptr;
};

// Owns a file descriptor.
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset(std::exchange(other.m_fd, -1));
    }
    return *this;
  }
  ~Fd() { reset(); }

  int get() const { return m_fd; }
  int release() { return std::exchange(m_fd, -1); }
  explicit operator bool() const { return m_fd >= 0; }
  void reset(int fd = -1);

private:
  int m_fd = -1;
};

// Runs a callable when the scope ends unless dismissed; for one-off undo steps.
template <typename F> class ScopeExit {
public:
  explicit ScopeExit(F fn) : m_fn(std::move(fn)) {}
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  ~ScopeExit() {
    if (m_active) {
      m_fn();
    }
  }
  void dismiss() { m_active = false; }

private:
  F m_fn;
  bool m_active = true;
};

} // namespace bcvk
