#include "bcvk/host/libvirt_events.hpp"

#include <libvirt/libvirt.h>

#include <mutex>
#include <thread>

namespace bcvk {
namespace {

class EventLoop {
public:
  static EventLoop& instance() {
    static EventLoop loop;
    return loop;
  }
  void start() {
    std::call_once(m_started, [this] {
      virEventRegisterDefaultImpl();
      // A periodic no-op timer keeps the loop iterating so the thread never blocks forever.
      virEventAddTimeout(
          250, [](int, void*) {}, nullptr, nullptr);
      m_thread = std::thread([] {
        while (virEventRunDefaultImpl() == 0) {
        }
      });
      m_thread.detach();
    });
  }

private:
  std::once_flag m_started;
  std::thread m_thread;
};

} // namespace

void init_libvirt_events() {
  EventLoop::instance().start();
}

} // namespace bcvk
