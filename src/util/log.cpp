#include "bcvk/util/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

#include "bcvk/util/error.hpp"

namespace bcvk {

void configure_logging(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    throw UsageError("--log-level: unknown level '" + level + "': use trace, debug, info, warn, error or off");
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  if (std::getenv("NO_COLOR") != nullptr) {
    sink->set_color_mode(spdlog::color_mode::never);
  }
  auto logger = std::make_shared<spdlog::logger>("bcvk", sink);
  logger->set_pattern(parsed <= spdlog::level::debug ? "%H:%M:%S.%e %^%l%$ [%t] %v" : "bcvk: %^%l%$: %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

void log_stage(std::string_view stage) {
  if (!spdlog::should_log(spdlog::level::debug)) {
    return;
  }
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  spdlog::debug("stage: {} (Unix time {}.{:06})", stage, micros / 1000000, micros % 1000000);
}

} // namespace bcvk
