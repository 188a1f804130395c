// Images from the network for the store (`mint store add URL`, docs/store.md): runs mint-fetch
// (fetch/main.cc, libcurl) and collects what it fetched. The checks on the bytes (the SHA-256
// they must have) are the caller's, with lib/remote_image.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "result.h"

namespace mint {

struct FetchOptions {
  uint64_t max_bytes = 1ull << 30;  // a larger body is refused, naming the limit
  int timeout_s = 30;               // to connect, and the longest stall mid-transfer
  int tftp_blksize = 65464;         // TFTP's block size option (RFC 2348), as the papers used
  // Called as bytes arrive: fetched so far, and the total (0 while the server has not said).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// Where mint-fetch is: $MINT_FETCH if set, else beside the running mint, else in
// ../lib/mint/ from it (an installed mint: /usr/lib/mint/mint-fetch). The error lists
// where it looked.
Result<std::string> FindFetchHelper();

// The bytes at `url` (CheckFetchUrl first); the error is mint-fetch's, naming the URL: HTTP
// status, a transfer that ended early, a server that stopped answering, a body over max_bytes.
Result<std::vector<uint8_t>> FetchUrl(const std::string& url, const FetchOptions& options = {});

}  // namespace mint
