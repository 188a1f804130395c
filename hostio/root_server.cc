#include "root_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "boot_config.h"
#include "child.h"
#include "files.h"
#include "format.h"
#include "network.h"
#include "store.h"

namespace mint {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `name` in $PATH, then in the directories Debian puts it in (a lab host's PATH is /bin:/sbin).
Result<std::string> FindProgram(const std::string& name, const std::string& package) {
  std::string dirs = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  dirs += ":/usr/bin:/usr/sbin:/bin:/sbin";
  std::stringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ':');) {
    if (dir.empty()) continue;
    std::string path = dir + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return Fail("no ", name, " in $PATH: a diskless node's root is served by it (`apt-get install ",
              package, "`)");
}

std::string OverlayPath(const std::string& node, const RootServerPaths& paths) {
  return paths.state_dir + "/" + node + ".qcow2";
}
std::string BasePath(const std::string& node, const RootServerPaths& paths) {
  return paths.state_dir + "/" + node + ".base";
}
std::string PidPath(const std::string& node, const RootServerPaths& paths) {
  return paths.run_dir + "/" + node + ".pid";
}

// What an overlay was made over: the image's absolute path, size and modification time. An
// overlay only fits the exact bytes it was made over.
struct BaseIdentity {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string Text() const {
    return path + "\n" + std::to_string(size) + "\n" + std::to_string(mtime_ns) + "\n";
  }
};

bool IsUrl(const std::string& image) {
  return image.starts_with("http://") || image.starts_with("https://");
}

// What qemu opens a root image by: the file itself, or, for a URL, qemu's curl block driver
// (package qemu-block-extra), which reads the ranges asked for as they are asked.
std::string BackingSpec(const BaseIdentity& base) {
  if (!IsUrl(base.path)) return base.path;
  nlohmann::json spec = {{"file.driver", base.path.substr(0, base.path.find(':'))},
                         {"file.url", base.path}};
  return "json:" + spec.dump();
}

// A URL's size, asked of the server by qemu-img (one HEAD and a range request): an address
// that does not answer, or answers without byte ranges, is refused before the boot.
Result<uint64_t> UrlImageSize(const std::string& node, const std::string& url) {
  std::string qemu_img = MINT_TRY(FindProgram("qemu-img", "qemu-utils"));
  BaseIdentity base{url, 0, 0};
  CommandResult info =
      MINT_TRY(RunProgram({qemu_img, "info", "--output=json", "-f", "raw", BackingSpec(base)}));
  if (info.status != 0) {
    while (!info.output.empty() && info.output.back() == '\n') info.output.pop_back();
    return Fail("node ", node, ": root image ", url, ": ", info.output,
                info.output.find("Unknown driver") != std::string::npos
                    ? " (a root from a URL needs qemu's curl driver: `apt-get install "
                      "qemu-block-extra`)"
                    : "");
  }
  auto parsed = nlohmann::json::parse(info.output, nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("virtual-size"))
    return Fail("node ", node, ": root image ", url, ": qemu-img info said ", info.output);
  return parsed["virtual-size"].get<uint64_t>();
}

Result<BaseIdentity> IdentifyImage(const std::string& node, const std::string& image) {
  // A URL is what it names: its size is asked when the overlay is made, and again before each
  // boot (UrlImageSize), not kept.
  if (IsUrl(image)) return BaseIdentity{image, 0, 0};
  std::error_code error;
  fs::path absolute = fs::absolute(image, error);
  struct stat st;
  if (error || ::stat(absolute.c_str(), &st) != 0)
    return Fail("node ", node, ": root image ", image, ": ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Fail("node ", node, ": root image ", image, " is not a file");
  if (st.st_size == 0) return Fail("node ", node, ": root image ", image, " is empty");
  if (::access(absolute.c_str(), R_OK) != 0)
    return Fail("node ", node, ": root image ", image, ": ", std::strerror(errno));
  return BaseIdentity{absolute.string(), static_cast<uint64_t>(st.st_size),
                      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// A live qemu-nbd: one that exited but was not reaped yet (a zombie, state Z in its stat, as a
// daemon's parent may be slow to reap) counts as gone.
bool IsRootServer(int pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  if (!ReadText(proc + "/comm").starts_with("qemu-nbd")) return false;
  std::string stat = ReadText(proc + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// The overlay's state against the image: none yet (false), or made over exactly this image
// (true); an overlay made over anything else is an error naming the reset that drops it.
Result<bool> OverlayFits(const std::string& node, const BaseIdentity& base,
                         const RootServerPaths& paths) {
  std::error_code error;
  const std::string overlay = OverlayPath(node, paths);
  if (!fs::exists(overlay, error)) return false;
  std::string made_over = ReadText(BasePath(node, paths));
  if (made_over == base.Text()) return true;
  std::string old_image = made_over.substr(0, made_over.find('\n'));
  return Fail("node ", node, ": its overlay ", overlay, " (its writes) was made over ",
              old_image.empty() ? std::string("an unknown image") : old_image,
              old_image == base.path ? " before that image changed" : "",
              "; the root image is now ", base.path,
              ", on which those writes would land on the wrong blocks. `mint rootfs reset ", node,
              "` drops them");
}

}  // namespace

RootServerPaths DefaultRootServerPaths() {
  const char* state = std::getenv("MINT_ROOT_STATE_DIR");
  const char* run = std::getenv("MINT_ROOT_RUN_DIR");
  return {state != nullptr && *state != '\0' ? state : "/var/lib/mint/roots",
          run != nullptr && *run != '\0' ? run : "/run/mint/roots"};
}

std::optional<int> RootServerPid(const std::string& node, const RootServerPaths& paths) {
  std::string text = ReadText(PidPath(node, paths));
  int pid = std::atoi(text.c_str());
  if (pid <= 0 || ::kill(pid, 0) != 0 || !IsRootServer(pid)) return std::nullopt;
  return pid;
}

Result<bool> StopRootServer(const std::string& node, const RootServerPaths& paths) {
  std::optional<int> pid = RootServerPid(node, paths);
  ::unlink(PidPath(node, paths).c_str());
  if (!pid) return false;
  ::kill(*pid, SIGTERM);
  auto start = std::chrono::steady_clock::now();
  while (::kill(*pid, 0) == 0 && IsRootServer(*pid)) {
    if (MsSince(start) > 2000) {
      ::kill(*pid, SIGKILL);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

Result<void> CheckRootServable(const NodeRoot& root, const RootServerPaths& paths) {
  BaseIdentity base = MINT_TRY(IdentifyImage(root.export_name, root.image));
  if (!root.sha256.empty() && !IsUrl(root.image)) {
    // Mapped, not read: the kernel's copy out of the page cache is what costs (files.h).
    auto file = MINT_TRY(MappedFile::Map(base.path, "root image"));
    std::string sum = HexDigest(Sha256Of(file->bytes()));
    if (sum != root.sha256)
      return Fail("node ", root.export_name, ": root image ", root.image, " (",
                  std::to_string(base.size), " bytes) has SHA-256 ", sum,
                  ", not the plan's root_sha256 ", root.sha256,
                  ": truncated, damaged or another image; nothing was booted");
  }
  if (IsUrl(root.image)) MINT_TRY(UrlImageSize(root.export_name, root.image));
  MINT_TRY(OverlayFits(root.export_name, base, paths));
  MINT_TRY(FindProgram("qemu-nbd", "qemu-utils"));
  MINT_TRY(FindProgram("qemu-img", "qemu-utils"));
  return {};
}

Result<RootServerStarted> StartRootServer(const NodeRoot& root, const RootServerPaths& paths) {
  auto start = std::chrono::steady_clock::now();
  const std::string& node = root.export_name;
  BaseIdentity base = MINT_TRY(IdentifyImage(node, root.image));
  std::error_code error;
  for (const std::string& dir : {paths.state_dir, paths.run_dir}) {
    fs::create_directories(dir, error);
    if (error) return Fail("node ", node, ": cannot make ", dir, ": ", error.message());
  }
  RootServerStarted started;
  started.image_bytes = IsUrl(base.path) ? MINT_TRY(UrlImageSize(node, base.path)) : base.size;
  started.on_demand = IsUrl(base.path);
  const std::string overlay = OverlayPath(node, paths);
  if (!MINT_TRY(OverlayFits(node, base, paths))) {
    std::string qemu_img = MINT_TRY(FindProgram("qemu-img", "qemu-utils"));
    const std::string temporary = overlay + ".tmp";
    CommandResult made = MINT_TRY(RunProgram({qemu_img, "create", "-q", "-f", "qcow2", "-F", "raw",
                                              "-b", BackingSpec(base), temporary}));
    if (made.status != 0) {
      ::unlink(temporary.c_str());
      return Fail("node ", node, ": cannot make its overlay ", overlay, ": ", made.output);
    }
    MINT_TRY_VOID(WriteFileAtomic(BasePath(node, paths), base.Text()));
    if (::rename(temporary.c_str(), overlay.c_str()) != 0)
      return Fail("node ", node, ": cannot rename ", temporary, ": ", std::strerror(errno));
    started.overlay_created = true;
  }

  MINT_TRY(StopRootServer(node, paths));  // one left from a boot that did not stop it
  std::string qemu_nbd = MINT_TRY(FindProgram("qemu-nbd", "qemu-utils"));
  const std::string pid_path = PidPath(node, paths);
  const std::string log_path = paths.run_dir + "/" + node + ".log";
  // --fork: the parent exits once the server listens. One client (the node); --persistent
  // keeps the server when it disconnects, e.g. while its kernel reconnects.
  std::vector<std::string> argv = {qemu_nbd,
                                   "--fork",
                                   "--persistent",
                                   "--shared=1",
                                   "--pid-file=" + pid_path,
                                   "--bind=" + FormatIpv4(root.address),
                                   "--port=" + std::to_string(root.port),
                                   "--export-name=" + node,
                                   "--discard=unmap"};
  if (IsUrl(base.path)) {
    // On demand: a block is fetched the first time the node reads it, and kept in the overlay
    // (copy-on-read), so a restart reads it from here, not from the network again.
    argv.insert(argv.end(), {"--image-opts",
                             "driver=copy-on-read,file.driver=qcow2,"
                             "file.file.driver=file,file.file.filename=" +
                                 overlay});
  } else {
    argv.insert(argv.end(), {"--format=qcow2", overlay});
  }
  int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) return Fail("node ", node, ": cannot write ", log_path, ": ", std::strerror(errno));
  pid_t child = ::fork();
  if (child < 0) {
    ::close(log);
    return Fail("cannot fork: ", std::strerror(errno));
  }
  if (child == 0) ExecChild(argv, log, log);
  ::close(log);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  std::optional<int> pid = RootServerPid(node, paths);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !pid) {
    std::string said = ReadText(log_path);
    while (!said.empty() && said.back() == '\n') said.pop_back();
    return Fail("node ", node, ": its root server (qemu-nbd on ", FormatIpv4(root.address), ":",
                std::to_string(root.port), ") did not start",
                said.empty() ? std::string() : ": " + said);
  }
  started.pid = *pid;
  started.ms = MsSince(start);
  return started;
}

std::optional<int> RootServerGone(const std::string& node, const RootServerPaths& paths) {
  std::string text = ReadText(PidPath(node, paths));
  int pid = std::atoi(text.c_str());
  if (pid <= 0 || RootServerPid(node, paths)) return std::nullopt;
  return pid;
}

uint64_t RootOverlayBytes(const std::string& node, const RootServerPaths& paths) {
  struct stat st;
  if (::stat(OverlayPath(node, paths).c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

Result<std::vector<RootOverlay>> ListRootOverlays(const RootServerPaths& paths) {
  std::vector<RootOverlay> list;
  std::error_code error;
  if (!fs::is_directory(paths.state_dir, error)) return list;
  for (const auto& entry : fs::directory_iterator(paths.state_dir, error)) {
    if (entry.path().extension() != ".qcow2") continue;
    RootOverlay overlay;
    overlay.node = entry.path().stem().string();
    overlay.path = entry.path().string();
    std::string base = ReadText(BasePath(overlay.node, paths));
    overlay.image = base.substr(0, base.find('\n'));
    overlay.used_bytes = RootOverlayBytes(overlay.node, paths);
    overlay.server = RootServerPid(overlay.node, paths);
    list.push_back(std::move(overlay));
  }
  if (error) return Fail("cannot list ", paths.state_dir, ": ", error.message());
  std::sort(list.begin(), list.end(),
            [](const RootOverlay& a, const RootOverlay& b) { return a.node < b.node; });
  return list;
}

Result<bool> ResetRootOverlay(const std::string& node, const RootServerPaths& paths) {
  if (std::optional<int> pid = RootServerPid(node, paths))
    return Fail("node ", node, "'s root is being served (qemu-nbd, pid ", std::to_string(*pid),
                "): stop the node first (`mint stop ", node, "`)");
  const std::string overlay = OverlayPath(node, paths);
  bool had = ::unlink(overlay.c_str()) == 0;
  if (!had && errno != ENOENT) return Fail("cannot remove ", overlay, ": ", std::strerror(errno));
  ::unlink(BasePath(node, paths).c_str());
  return had;
}

}  // namespace mint
