#include "remote_image.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "format.h"

namespace mint {

namespace {

bool IsHex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

uint8_t HexValue(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  return static_cast<uint8_t>(std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
}

std::string_view LastComponent(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool LooksLikeUrl(std::string_view text) {
  size_t colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

Result<void> CheckFetchUrl(std::string_view url) {
  if (!LooksLikeUrl(url)) return Fail("'", url, "' is not a URL (scheme://host/path)");
  std::string scheme(url.substr(0, url.find("://")));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https" && scheme != "tftp")
    return Fail(url, ": Mint fetches http://, https:// and tftp:// URLs, not ", scheme, "://");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return Fail(url, ": a URL has no spaces or control characters (percent-encode them)");
  }
  std::string_view rest = url.substr(url.find("://") + 3);
  if (rest.empty() || rest.front() == '/') return Fail(url, ": no host in the URL");
  return {};
}

std::string UrlFileName(std::string_view url) {
  size_t start = url.find("://");
  std::string_view rest = start == std::string_view::npos ? url : url.substr(start + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  size_t path = rest.find('/');
  if (path == std::string_view::npos) return "";
  return std::string(LastComponent(rest.substr(path)));
}

Result<Sha256Digest> ParseSha256Hex(std::string_view text) {
  std::string_view hex = TrimBlanks(text);
  if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), IsHex))
    return Fail("'", text, "' is not a SHA-256 (64 hex digits)");
  Sha256Digest digest{};
  for (size_t i = 0; i < digest.size(); ++i)
    digest[i] = static_cast<uint8_t>(HexValue(hex[2 * i]) << 4 | HexValue(hex[2 * i + 1]));
  return digest;
}

Result<Sha256Digest> FindInSha256Sums(std::string_view sums, std::string_view file_name,
                                      std::string_view sums_name) {
  std::optional<Sha256Digest> found;
  size_t line_no = 0;
  while (!sums.empty()) {
    size_t end = sums.find('\n');
    std::string_view line = sums.substr(0, end);
    sums = end == std::string_view::npos ? std::string_view() : sums.substr(end + 1);
    ++line_no;
    std::string_view text = TrimBlanks(line);
    if (text.empty() || text.front() == '#') continue;
    // sha256sum: 64 hex digits, a blank, then ' ' (text mode) or '*' (binary), then the name.
    if (text.size() < 67 || text[64] != ' ' || (text[65] != ' ' && text[65] != '*'))
      return Fail(sums_name, " line ", std::to_string(line_no),
                  ": not a sha256sum line (HEX, two characters, NAME): '", text.substr(0, 80), "'");
    Sha256Digest digest = MINT_TRY(ParseSha256Hex(text.substr(0, 64)));
    std::string_view name = text.substr(66);
    if (name != file_name && LastComponent(name) != file_name) continue;
    if (found && *found != digest)
      return Fail(sums_name, " gives two different SHA-256 for ", file_name);
    found = digest;
  }
  if (!found) return Fail(sums_name, " has no entry for ", file_name);
  return *found;
}

}  // namespace mint
