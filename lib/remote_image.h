// What `mint store add URL` checks before anything is fetched or stored (docs/store.md,
// "Images from the network"): the URL's scheme and file name, and the SHA-256 an image must
// have, given in hex or looked up in a published SHA256SUMS file. Pure: the fetching itself is
// hostio/fetch.h's.
#pragma once

#include <string>
#include <string_view>

#include "result.h"
#include "store.h"

namespace mint {

// "http://host/x" and friends: anything with a scheme before "://". A path never is one.
bool LooksLikeUrl(std::string_view text);

// The URL, if Mint fetches that scheme (http, https, tftp); the error names the URL and what
// is wrong with it (an unknown scheme, no host, a space or control character).
Result<void> CheckFetchUrl(std::string_view url);

// The last component of the URL's path, without query or fragment: "vmlinuz" for
// "http://h/boot/vmlinuz?x=1". Empty when the path ends in '/' or there is none.
std::string UrlFileName(std::string_view url);

// 64 hex digits (either case, surrounding blanks ignored) -> the digest; the error quotes the text.
Result<Sha256Digest> ParseSha256Hex(std::string_view text);

// The SHA-256 that `sums` (sha256sum's output: "HEX  NAME" or "HEX *NAME" per line; blank lines
// and lines starting with '#' skipped) gives for `file_name`, matched against each entry's
// whole name or its last path component. `sums_name` names the file in errors: a malformed
// line (by number), no entry, or two entries that disagree.
Result<Sha256Digest> FindInSha256Sums(std::string_view sums, std::string_view file_name,
                                      std::string_view sums_name);

}  // namespace mint
