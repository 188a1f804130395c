// mint-fetch: fetches one URL (http, https, tftp) with libcurl and writes its bytes to stdout,
// for `mint store add URL` (hostio/fetch.h runs it; docs/store.md). A program of its own
// because mint is linked statically and Debian's libcurl cannot be (its TLS, HTTP/2, IDN, SSH
// and GSSAPI libraries come only as shared objects).
//
// stderr carries lines for the caller: "progress DONE TOTAL" (TOTAL 0 while unknown) at most
// every 200 ms and once at the end, and on failure one "error MESSAGE" line naming the URL.
// Exit status: 0 fetched, 1 failed, 2 bad command line.
#include <curl/curl.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Options {
  std::string url;
  long tftp_blksize = 65464;  // the largest that fits a UDP datagram over IPv4 (RFC 2348)
  uint64_t max_bytes = 4ull << 30;
  long timeout_s = 30;  // connect, and the longest stall of a transfer under way
};

struct Transfer {
  uint64_t max_bytes = 0;
  uint64_t written = 0;
  bool too_large = false;
  bool write_failed = false;
  std::chrono::steady_clock::time_point last_progress{};
};

const char kUsage[] =
    "usage: mint-fetch [--tftp-blksize N] [--max-bytes N] [--timeout S] URL\n"
    "Fetches URL (http://, https://, tftp://) with libcurl and writes its bytes to stdout;\n"
    "progress and errors go to stderr as 'progress DONE TOTAL' and 'error MESSAGE' lines.\n"
    "Run by `mint store add URL` (docs/store.md).\n";

size_t Write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (t->written + bytes > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer: CURLE_WRITE_ERROR
  }
  if (std::fwrite(data, 1, bytes, stdout) != bytes) {
    t->write_failed = true;
    return 0;
  }
  t->written += bytes;
  return bytes;
}

int Progress(void* user, curl_off_t total, curl_off_t done, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  auto now = std::chrono::steady_clock::now();
  if (now - t->last_progress >= std::chrono::milliseconds(200)) {
    t->last_progress = now;
    std::fprintf(stderr, "progress %lld %lld\n", static_cast<long long>(done),
                 static_cast<long long>(total));
  }
  return 0;
}

bool ParseNumber(const char* text, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0') return false;
  *out = value;
  return true;
}

int Usage(const char* problem) {
  std::fprintf(stderr, "mint-fetch: %s\n%s", problem, kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    uint64_t value = 0;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--tftp-blksize" || arg == "--max-bytes" || arg == "--timeout") {
      if (i + 1 >= argc || !ParseNumber(argv[i + 1], &value))
        return Usage((arg + " needs a number").c_str());
      ++i;
      if (arg == "--tftp-blksize") {
        if (value < 8 || value > 65464) return Usage("--tftp-blksize is 8 to 65464 (RFC 2348)");
        options.tftp_blksize = static_cast<long>(value);
      } else if (arg == "--max-bytes") {
        options.max_bytes = value;
      } else {
        if (value < 1 || value > 3600) return Usage("--timeout is 1 to 3600 seconds");
        options.timeout_s = static_cast<long>(value);
      }
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage(("unknown option " + arg).c_str());
    } else if (options.url.empty()) {
      options.url = arg;
    } else {
      return Usage("one URL only");
    }
  }
  if (options.url.empty()) return Usage("no URL");

  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::fprintf(stderr, "error %s: libcurl did not initialise\n", options.url.c_str());
    return 1;
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    std::fprintf(stderr, "error %s: libcurl did not initialise\n", options.url.c_str());
    return 1;
  }
  Transfer transfer;
  transfer.max_bytes = options.max_bytes;
  char message[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, options.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,tftp");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);  // HTTP 4xx/5xx is a failure, not a body
  curl_easy_setopt(curl, CURLOPT_TFTP_BLKSIZE, options.tftp_blksize);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.timeout_s);
  // A server that goes away mid-transfer: less than 1 byte/s for the timeout ends it.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.timeout_s);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "mint-fetch");
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t total = -1;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
  curl_easy_cleanup(curl);
  curl_global_cleanup();
  if (std::fflush(stdout) != 0) transfer.write_failed = true;
  std::fprintf(stderr, "progress %llu %lld\n", static_cast<unsigned long long>(transfer.written),
               static_cast<long long>(total < 0 ? 0 : total));

  const char* url = options.url.c_str();
  if (transfer.too_large) {
    std::fprintf(stderr, "error %s: larger than the %llu bytes allowed\n", url,
                 static_cast<unsigned long long>(options.max_bytes));
    return 1;
  }
  if (transfer.write_failed) {
    std::fprintf(stderr, "error %s: cannot write what was fetched: %s\n", url,
                 std::strerror(errno));
    return 1;
  }
  if (code == CURLE_HTTP_RETURNED_ERROR) {
    std::fprintf(stderr, "error %s: the server answered HTTP %ld\n", url, status);
    return 1;
  }
  if (code == CURLE_PARTIAL_FILE) {
    std::fprintf(
        stderr, "error %s: the transfer ended early: %llu of %lld bytes (the server went away?)\n",
        url, static_cast<unsigned long long>(transfer.written), static_cast<long long>(total));
    return 1;
  }
  if (code != CURLE_OK) {
    std::fprintf(stderr, "error %s: %s\n", url,
                 message[0] != '\0' ? message : curl_easy_strerror(code));
    return 1;
  }
  return 0;
}
