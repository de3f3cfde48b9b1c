#include "bcvk/cli/cli.hpp"

int main(int argc, char** argv) {
  return bcvk::run(argc, argv);
}
