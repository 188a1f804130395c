// `mint store add URL` against servers on this machine's loopback, in this process: an HTTP
// server (an image, a 404, a body cut short) and a TFTP server (RFC 1350 with the blksize and
// tsize options, which records the block size the client asked for). mint-fetch is the one
// this build made (MINT_FETCH).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "app.h"
#include "fetch.h"
#include "store.h"

namespace mint::cli {
namespace {

std::string Image(size_t size, uint8_t seed) {
  std::string bytes(size, '\0');
  uint32_t x = 2463534242u ^ seed;
  for (char& c : bytes) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return bytes;
}

int Bound(int type, uint16_t* port) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  timeval timeout{2, 0};  // nothing here waits long: a stuck test fails instead
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// HTTP/1.0, one connection at a time: GET /NAME serves files_[NAME]; "/short/NAME" announces
// the whole length and sends half; anything else is a 404.
class HttpServer {
 public:
  explicit HttpServer(std::map<std::string, std::string> files) : files_(std::move(files)) {
    fd_ = Bound(SOCK_STREAM, &port_);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HttpServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void Serve() {
    while (!stop_) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      std::string request;
      char buffer[1024];
      ssize_t n;
      while (request.find("\r\n\r\n") == std::string::npos &&
             (n = ::recv(client, buffer, sizeof(buffer), 0)) > 0)
        request.append(buffer, static_cast<size_t>(n));
      std::string path = request.substr(4, request.find(' ', 4) - 4);
      bool cut = path.rfind("/short/", 0) == 0;
      auto file = files_.find(cut ? path.substr(7) : path.substr(1));
      std::string reply;
      if (file == files_.end()) {
        reply = "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
      } else {
        reply = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(file->second.size()) +
                "\r\n\r\n" +
                file->second.substr(0, cut ? file->second.size() / 2 : std::string::npos);
      }
      for (size_t sent = 0; sent < reply.size();) {
        ssize_t w = ::send(client, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
        if (w <= 0) break;
        sent += static_cast<size_t>(w);
      }
      ::close(client);
    }
  }

  std::map<std::string, std::string> files_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// TFTP (RFC 1350, options of RFC 2347-2349): one read request at a time, octet mode, answered
// from a socket of its own (the transfer's TID) with an OACK for blksize and tsize.
class TftpServer {
 public:
  explicit TftpServer(std::map<std::string, std::string> files) : files_(std::move(files)) {
    fd_ = Bound(SOCK_DGRAM, &port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TftpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string Url(const std::string& name) const {
    return "tftp://127.0.0.1:" + std::to_string(port_) + "/" + name;
  }
  int asked_blksize() const { return asked_blksize_; }
  int blocks_sent() const { return blocks_sent_; }

 private:
  void Serve() {
    std::vector<char> packet(70000);
    while (!stop_) {
      sockaddr_in peer{};
      socklen_t len = sizeof(peer);
      ssize_t n = ::recvfrom(fd_, packet.data(), packet.size(), 0,
                             reinterpret_cast<sockaddr*>(&peer), &len);
      if (n < 4 || packet[1] != 1) continue;  // only RRQ
      std::vector<std::string> fields;        // filename, mode, then option/value pairs
      for (size_t at = 2; at < static_cast<size_t>(n);) {
        std::string field(packet.data() + at);
        at += field.size() + 1;
        fields.push_back(field);
      }
      Transfer(peer, fields);
    }
  }

  void Transfer(const sockaddr_in& peer, const std::vector<std::string>& fields) {
    uint16_t tid = 0;
    int fd = Bound(SOCK_DGRAM, &tid);
    ::connect(fd, reinterpret_cast<const sockaddr*>(&peer), sizeof(peer));
    auto file = files_.find(fields.empty() ? "" : fields[0]);
    if (file == files_.end()) {
      std::string error("\0\5\0\1no such file\0", 17);
      ::send(fd, error.data(), error.size(), 0);
      ::close(fd);
      return;
    }
    size_t blksize = 512;
    std::string oack("\0\6", 2);
    for (size_t i = 2; i + 1 < fields.size(); i += 2) {
      if (fields[i] == "blksize") {
        asked_blksize_ = std::atoi(fields[i + 1].c_str());
        blksize = static_cast<size_t>(asked_blksize_);
        oack += "blksize" + std::string(1, '\0') + fields[i + 1] + std::string(1, '\0');
      } else if (fields[i] == "tsize") {
        oack += "tsize" + std::string(1, '\0') + std::to_string(file->second.size()) +
                std::string(1, '\0');
      }
    }
    char ack[516];
    if (oack.size() > 2) {
      ::send(fd, oack.data(), oack.size(), 0);
      if (::recv(fd, ack, sizeof(ack), 0) < 4) return (void)::close(fd);  // ACK of block 0
    }
    const std::string& data = file->second;
    for (uint16_t block = 1;; ++block) {
      size_t offset = (block - 1) * blksize;
      size_t size = offset >= data.size() ? 0 : std::min(blksize, data.size() - offset);
      std::string packet("\0\3", 2);
      packet += static_cast<char>(block >> 8);
      packet += static_cast<char>(block & 0xff);
      packet.append(data, std::min(offset, data.size()), size);
      ::send(fd, packet.data(), packet.size(), 0);
      ++blocks_sent_;
      if (::recv(fd, ack, sizeof(ack), 0) < 4) break;
      if (size < blksize) break;
    }
    ::close(fd);
  }

  std::map<std::string, std::string> files_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> asked_blksize_{0};
  std::atomic<int> blocks_sent_{0};
  std::thread thread_;
};

std::string HexOf(const std::string& bytes) {
  return HexDigest(Sha256Of({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}));
}

class StoreUrl : public testing::Test {
 protected:
  void SetUp() override {
    ::setenv("MINT_FETCH", MINT_FETCH_HELPER, 1);
    dir_ =
        std::filesystem::temp_directory_path() / ("mint-store-url-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    store_ = (dir_ / "store.img").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // mint store add ARGS... on the test's store file: its status, stdout and stderr.
  int Add(std::vector<std::string> args, std::string* out = nullptr, std::string* err = nullptr) {
    std::vector<std::string> argv = {"store", "--store-file", store_, "--store-size", "16M", "add"};
    argv.insert(argv.end(), args.begin(), args.end());
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    int status = Main(argv);
    std::string o = testing::internal::GetCapturedStdout();
    std::string e = testing::internal::GetCapturedStderr();
    if (out) *out = o;
    if (err) *err = e;
    return status;
  }
  std::string Ls() {
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    Main({"store", "--store-file", store_, "ls"});
    testing::internal::GetCapturedStderr();
    return testing::internal::GetCapturedStdout();
  }

  std::filesystem::path dir_;
  std::string store_;
};

TEST_F(StoreUrl, HttpImageCheckedAgainstPublishedSums) {
  std::string kernel = Image(3 << 20, 1), initrd = Image(700000, 2);
  HttpServer http(
      {{"vmlinuz", kernel},
       {"initrd.gz", initrd},
       {"SHA256SUMS", HexOf(kernel) + "  vmlinuz\n" + HexOf(initrd) + " *initrd.gz\n"}});
  std::string out, err;
  ASSERT_EQ(Add({http.Url("/vmlinuz"), http.Url("/initrd.gz"), "--sums", http.Url("/SHA256SUMS")},
                &out, &err),
            0)
      << err;
  EXPECT_NE(out.find("stored " + HexOf(kernel).substr(0, 12) + " " + http.Url("/vmlinuz") +
                     " (3.0 MiB, SHA-256 as expected)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("stored " + HexOf(initrd).substr(0, 12)), std::string::npos) << out;
  EXPECT_NE(err.find("mint: fetched " + http.Url("/vmlinuz") + ": 3.0 MiB in "), std::string::npos)
      << err;
  std::string listed = Ls();
  EXPECT_NE(listed.find(http.Url("/vmlinuz")), std::string::npos) << listed;
  EXPECT_NE(listed.find("2 image(s)"), std::string::npos) << listed;
}

TEST_F(StoreUrl, WrongSha256IsRefusedNamingBothAndNothingIsStored) {
  std::string kernel = Image(1 << 20, 3);
  std::string wrong = HexOf("something else");
  HttpServer http({{"vmlinuz", kernel}});
  std::string err;
  EXPECT_EQ(Add({http.Url("/vmlinuz"), "--sha256", wrong}, nullptr, &err), 1);
  EXPECT_NE(err.find("its SHA-256 is " + HexOf(kernel) + ", not the " + wrong + " expected"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("nothing stored"), std::string::npos) << err;
  EXPECT_NE(Ls().find("0 image(s)"), std::string::npos);
}

TEST_F(StoreUrl, AnImageMissingFromTheSumsStopsAllBeforeAnyFetch) {
  std::string kernel = Image(1 << 20, 6);
  HttpServer http({{"vmlinuz", kernel}, {"SHA256SUMS", HexOf(kernel) + "  vmlinuz\n"}});
  std::string err;
  EXPECT_EQ(Add({http.Url("/vmlinuz"), http.Url("/initrd.gz"), "--sums", http.Url("/SHA256SUMS")},
                nullptr, &err),
            1);
  EXPECT_NE(err.find(http.Url("/SHA256SUMS") + " has no entry for initrd.gz"), std::string::npos)
      << err;
  EXPECT_EQ(err.find("fetched " + http.Url("/vmlinuz")), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(store_));  // refused before the store was even opened
}

TEST_F(StoreUrl, ServerErrorsAreNamed) {
  std::string kernel = Image(1 << 20, 4);
  HttpServer http({{"vmlinuz", kernel}});
  std::string err;
  EXPECT_EQ(Add({http.Url("/missing"), "--sha256", HexOf(kernel)}, nullptr, &err), 1);
  EXPECT_NE(err.find(http.Url("/missing") + ": the server answered HTTP 404"), std::string::npos)
      << err;
  EXPECT_EQ(Add({http.Url("/short/vmlinuz"), "--sha256", HexOf(kernel)}, nullptr, &err), 1);
  EXPECT_NE(err.find("the transfer ended early"), std::string::npos) << err;
  EXPECT_NE(Ls().find("0 image(s)"), std::string::npos);
}

TEST_F(StoreUrl, RefusedBeforeFetching) {
  std::string err;
  EXPECT_EQ(Add({"http://127.0.0.1:9/vmlinuz"}, nullptr, &err), 1);
  EXPECT_NE(err.find("needs the SHA-256 it must have"), std::string::npos) << err;
  EXPECT_EQ(Add({"ftp://127.0.0.1/vmlinuz", "--sha256", HexOf("x")}, nullptr, &err), 1);
  EXPECT_NE(err.find("not ftp://"), std::string::npos) << err;
  EXPECT_EQ(
      Add({"http://127.0.0.1:9/a", "http://127.0.0.1:9/b", "--sha256", HexOf("x")}, nullptr, &err),
      1);
  EXPECT_NE(err.find("--sha256 names one image's SHA-256"), std::string::npos) << err;
  EXPECT_EQ(Add({"http://127.0.0.1:9/vmlinuz", "--sha256", "12ab"}, nullptr, &err), 1);
  EXPECT_NE(err.find("'12ab' is not a SHA-256"), std::string::npos) << err;
}

TEST_F(StoreUrl, TftpUsesTheLargestBlocks) {
  std::string kernel = Image(1000000, 5);  // 16 blocks of 65464 bytes, the last one short
  TftpServer tftp({{"vmlinuz", kernel}});
  std::string out, err;
  ASSERT_EQ(Add({tftp.Url("vmlinuz"), "--sha256", HexOf(kernel)}, &out, &err), 0) << err;
  EXPECT_EQ(tftp.asked_blksize(), 65464);
  EXPECT_EQ(tftp.blocks_sent(), 16);
  EXPECT_NE(out.find("SHA-256 as expected"), std::string::npos) << out;
  EXPECT_EQ(Add({tftp.Url("nothere"), "--sha256", HexOf(kernel)}, nullptr, &err), 1);
  EXPECT_NE(err.find(tftp.Url("nothere")), std::string::npos) << err;
}

TEST(FetchHelper, MintFetchNamesWhereItLooked) {
  ::setenv("MINT_FETCH", "/nonexistent/mint-fetch", 1);
  auto helper = FindFetchHelper();
  ASSERT_FALSE(helper);
  EXPECT_NE(helper.error().message.find("MINT_FETCH=/nonexistent/mint-fetch"), std::string::npos);
  ::unsetenv("MINT_FETCH");
}

}  // namespace
}  // namespace mint::cli
