// mint: the command users type on the host (cli/app.h has the commands).
#include <string>
#include <vector>

#include "app.h"

int main(int argc, char** argv) {
  return mint::cli::Main(std::vector<std::string>(argv + 1, argv + argc));
}
