#include "boot_config.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "child.h"

namespace mint {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

Result<void> MakeDirs(const std::string& dir) {
  if (dir.empty() || Exists(dir)) return Ok{};
  MINT_TRY_VOID(MakeDirs(Dirname(dir)));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return Fail("cannot create ", dir, ": ", std::strerror(errno));
  return Ok{};
}

// A temporary file holding `text`; removed when the holder goes.
class TempFile {
 public:
  static Result<TempFile> Create(const std::string& text) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/mint-host-setup-XXXXXX";
    int fd = ::mkstemp(pattern.data());
    if (fd < 0) return Fail("cannot create a temporary file: ", std::strerror(errno));
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    TempFile file(pattern);
    if (!ok) return Fail("cannot write ", pattern);
    return file;
  }
  TempFile(TempFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempFile(const TempFile&) = delete;
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace

std::string UnderRoot(const std::string& root, const std::string& relative) {
  if (root.empty() || root == "/") return "/" + relative;
  return (root.ends_with("/") ? root : root + "/") + relative;
}

Result<std::string> ReadRunningCmdline(const std::string& root) {
  std::string path = UnderRoot(root, "proc/cmdline");
  auto text = ReadWhole(path);
  if (!text) return Fail("cannot read ", path, " (the running kernel's command line)");
  return *text;
}

Result<GrubConfig> ReadGrubConfig(const std::string& root,
                                  const std::optional<std::string>& drop_in) {
  GrubConfig config;
  const std::string defaults = UnderRoot(root, "etc/default");
  const std::string drop_in_name = "mint.cfg";
  std::vector<std::string> names;
  if (DIR* dir = ::opendir((defaults + "/grub.d").c_str())) {
    while (dirent* entry = ::readdir(dir)) names.emplace_back(entry->d_name);
    ::closedir(dir);
  }
  bool have_default = Exists(defaults + "/grub");
  std::vector<std::string> order =
      GrubSourceOrder(have_default, names, drop_in_name, drop_in.has_value());
  config.present = have_default || order.size() > (drop_in ? 1u : 0u);
  std::optional<TempFile> candidate;
  if (drop_in) candidate.emplace(MINT_TRY(TempFile::Create(*drop_in)));
  auto out = MINT_TRY(TempFile::Create(""));
  // grub-mkconfig: ". ${sysconfdir}/default/grub", then each grub.d/*.cfg that exists. The
  // files' own output goes to the captured stream; the two values go to the file in $1.
  std::vector<std::string> argv = {
      "/bin/sh", "-c",
      "out=$1; shift; unset GRUB_CMDLINE_LINUX GRUB_CMDLINE_LINUX_DEFAULT\n"
      "for x in \"$@\"; do . \"$x\"; done\n"
      "printf '%s\\0%s\\0' \"$GRUB_CMDLINE_LINUX\" \"$GRUB_CMDLINE_LINUX_DEFAULT\" > \"$out\"\n",
      "mint-host-setup", out.path()};
  for (const std::string& rel : order) {
    std::string path = defaults + "/" + rel;
    config.sourced.push_back(path);
    argv.push_back(rel == "grub.d/" + drop_in_name && candidate ? candidate->path() : path);
  }
  if (!config.present) return config;
  auto ran = MINT_TRY(RunProgram(argv));
  if (ran.status != 0)
    return Fail("reading GRUB's configuration (", defaults, "/grub and grub.d/*.cfg) with /bin/sh ",
                "failed (status ", std::to_string(ran.status), "): ", ran.output);
  auto values = ReadWhole(out.path());
  size_t first = values ? values->find('\0') : std::string::npos;
  if (first == std::string::npos)
    return Fail("reading GRUB's configuration: /bin/sh printed nothing");
  config.cmdline_linux = values->substr(0, first);
  size_t second = values->find('\0', first + 1);
  config.cmdline_default = values->substr(
      first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  return config;
}

Result<std::optional<std::string>> ReadDropIn(const std::string& root) {
  std::string path = UnderRoot(root, kGrubDropIn);
  if (!Exists(path)) return std::optional<std::string>();
  auto text = ReadWhole(path);
  if (!text) return Fail("cannot read ", path);
  return std::optional<std::string>(*text);
}

Result<void> WriteFileAtomic(const std::string& path, const std::string& text) {
  MINT_TRY_VOID(MakeDirs(Dirname(path)));
  std::string temp = path + ".mint-new";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail("cannot create ", temp, ": ", std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(temp.c_str());
    return Fail("cannot write ", temp, ": ", std::strerror(saved));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    saved = errno;
    ::unlink(temp.c_str());
    return Fail("cannot rename ", temp, " to ", path, ": ", std::strerror(saved));
  }
  return Ok{};
}

Result<void> RestoreDropIn(const std::string& root, const std::optional<std::string>& previous) {
  std::string path = UnderRoot(root, kGrubDropIn);
  if (previous) return WriteFileAtomic(path, *previous);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Fail("cannot remove ", path, ": ", std::strerror(errno));
  return Ok{};
}

Result<CommandResult> RunShellCommand(const std::string& command) {
  return RunProgram({"/bin/sh", "-c", command});
}

SecureBootState ReadSecureBootState(const std::string& root) {
  SecureBootState state;
  state.efi = Exists(UnderRoot(root, "sys/firmware/efi"));
  std::string variable =
      UnderRoot(root, "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c");
  if (auto bytes = ReadWhole(variable))
    state.secure_boot = ParseSecureBootVariable(std::vector<uint8_t>(bytes->begin(), bytes->end()));
  if (auto text = ReadWhole(UnderRoot(root, "sys/kernel/security/lockdown")))
    state.lockdown = ParseLockdown(*text);
  return state;
}

}  // namespace mint
