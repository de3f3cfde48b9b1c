#pragma once
// How a failure reaches the user's terminal.
#include <exception>
#include <string>

namespace bcvk {

// "bcvk: error: MESSAGE\n", then the details of a bcvk Error line by line. Every line is passed
// through printable(): messages quote names from images and the command line, and details quote
// what a guest wrote, none of which may send control sequences to the terminal.
std::string error_report(const std::exception& e);

} // namespace bcvk
