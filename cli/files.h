// Reading the files a plan names. The only file I/O of the boot path, kept out of libmint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "result.h"

namespace mint::cli {

Result<std::vector<uint8_t>> ReadFile(const std::string& path, const std::string& what);

}  // namespace mint::cli
