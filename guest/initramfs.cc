#include "initramfs.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "byte_reader.h"

namespace mint {
namespace {

// Linux's fixed character device numbers (Documentation/admin-guide/devices.txt).
struct DeviceNode {
  const char* path;
  uint32_t major;
  uint32_t minor;
  uint32_t mode;
};
constexpr DeviceNode kDeviceNodes[] = {
    {"/dev/console", 5, 1, 0600},
    {"/dev/null", 1, 3, 0666},
    {"/dev/kmsg", 1, 11, 0644},
};

std::string Basename(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<std::vector<uint8_t>> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Fail("cannot read ", path, ": ", std::strerror(errno));
  std::streamsize size = in.tellg();
  if (size < 0) return Fail("cannot read ", path, ": not a regular file");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size))
    return Fail("cannot read ", path, ": short read");
  return bytes;
}

Result<void> WriteWholeFile(const std::string& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Fail("cannot write ", path, ": ", std::strerror(errno));
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Fail("cannot write ", path, ": write failed (disk full?)");
  return Ok{};
}

Result<std::vector<uint8_t>> Gzip(std::span<const uint8_t> bytes) {
  z_stream stream{};
  // windowBits 15 + 16 asks zlib for a gzip wrapper; its header has mtime 0 and no name.
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return Fail("gzip: zlib would not initialize");
  std::vector<uint8_t> out(deflateBound(&stream, static_cast<uLong>(bytes.size())));
  stream.next_in = const_cast<Bytef*>(bytes.data());
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  int status = deflate(&stream, Z_FINISH);
  size_t written = stream.total_out;
  deflateEnd(&stream);
  if (status != Z_STREAM_END)
    return Fail("gzip: zlib failed to compress (status ", std::to_string(status), ")");
  out.resize(written);
  return out;
}

Result<void> CheckStaticExecutable(std::span<const uint8_t> bytes, const std::string& path,
                                   std::string_view hint) {
  // ELF header and program headers (System V gABI, "ELF Header" and "Program Header"): ELF64
  // x86-64, or ELF32 i386 for an i386 node's image.
  constexpr uint32_t kPtInterp = 3;
  constexpr uint8_t kElfClass32 = 1, kElfClass64 = 2;
  constexpr uint16_t kMachine386 = 3, kMachineX86_64 = 62;
  ByteReader reader(bytes);
  auto magic = reader.ReadAt<uint32_t>(0);
  auto elf_class = reader.ReadAt<uint8_t>(4);
  auto machine = reader.ReadAt<uint16_t>(18);
  bool is64 = elf_class && *elf_class == kElfClass64 && machine && *machine == kMachineX86_64;
  bool is32 = elf_class && *elf_class == kElfClass32 && machine && *machine == kMachine386;
  if (!magic || *magic != 0x464c457fu || !(is64 || is32))
    return Fail(path, " is not an x86-64 or i386 ELF executable; ", std::string(hint));
  std::optional<uint64_t> phoff;
  if (is64) {
    phoff = reader.ReadAt<uint64_t>(32);
  } else if (auto phoff32 = reader.ReadAt<uint32_t>(28)) {
    phoff = *phoff32;
  }
  auto phentsize = reader.ReadAt<uint16_t>(is64 ? 54 : 42);
  auto phnum = reader.ReadAt<uint16_t>(is64 ? 56 : 44);
  for (uint16_t i = 0; i < *phnum; ++i) {
    auto type = reader.ReadAt<uint32_t>(*phoff + uint64_t{i} * *phentsize);
    if (!type) return Fail(path, " has truncated ELF program headers; ", std::string(hint));
    if (*type == kPtInterp)
      return Fail(path, " is dynamically linked, but a guest image has no libraries; ",
                  std::string(hint));
  }
  return Ok{};
}

Result<void> AddTree(CpioArchive& archive, const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(root, error)) return Fail("cannot read the folder ", root);
  std::vector<fs::path> entries;
  for (auto it = fs::recursive_directory_iterator(root, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error))
    if (it->is_symlink() || it->is_regular_file()) entries.push_back(it->path());
  if (error) return Fail("cannot list ", root, ": ", error.message());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& entry : entries) {
    std::string path = "/" + fs::relative(entry, root).string();
    if (fs::is_symlink(entry)) {
      MINT_TRY_VOID(archive.AddSymlink(path, fs::read_symlink(entry).string()));
    } else {
      std::vector<uint8_t> bytes = MINT_TRY(ReadWholeFile(entry.string()));
      auto mode = static_cast<uint32_t>(fs::status(entry).permissions() & fs::perms::mask);
      MINT_TRY_VOID(archive.AddFile(path, bytes, mode));
    }
  }
  return {};
}

Result<void> AddInitramfsBase(CpioArchive& archive, const std::string& busybox_path) {
  auto busybox = ReadWholeFile(busybox_path);
  if (!busybox.ok())
    return Fail(busybox.error().message,
                " (a static busybox: `apt-get install busybox-static`, which scripts/setup does)");
  MINT_TRY_VOID(CheckStaticExecutable(*busybox, busybox_path,
                                      "install busybox-static (scripts/setup does) and use its "
                                      "/bin/busybox"));
  MINT_TRY_VOID(archive.AddFile("/bin/busybox", *busybox, 0755));
  MINT_TRY_VOID(archive.AddSymlink("/bin/sh", "busybox"));
  for (const DeviceNode& node : kDeviceNodes)
    MINT_TRY_VOID(archive.AddCharDevice(node.path, node.major, node.minor, node.mode));
  for (const char* dir : {"/proc", "/sys", "/tmp", "/run", "/root", "/sbin"})
    MINT_TRY_VOID(archive.AddDirectory(dir, 0755));
  return Ok{};
}

std::string HostInitScript(const std::string& marker, bool with_module) {
  std::string script = R"sh(#!/bin/sh
# The lab host's /init, generated by mint-lab (guest/initramfs.cc; protocol in lab/README.md).
say() { echo "mint-lab[@MARKER@]: $*"; }
fail() {
  say "setup failed: $*"
  /bin/busybox poweroff -f
  while :; do /bin/busybox sleep 60; done
}
/bin/busybox mount -t devtmpfs devtmpfs /dev || fail "mount -t devtmpfs devtmpfs /dev"
/bin/busybox mount -t proc proc /proc || fail "mount -t proc proc /proc"
/bin/busybox mount -t sysfs sysfs /sys || fail "mount -t sysfs sysfs /sys"
/bin/busybox --install -s /bin || fail "busybox --install -s /bin"
export PATH=/bin:/sbin HOME=/root
cd /root
)sh";
  script += R"sh(for m in /lib/mint/kernel/*.ko; do
  [ -e "$m" ] && { insmod "$m" || fail "insmod $m (see the kernel messages above)"; }
done
)sh";
  if (with_module)
    script += "insmod @MODULE@ || fail \"insmod @MODULE@ (see the kernel messages above)\"\n";
  script += R"sh(export MINT_PLAN=@PLAN@
say "command start (uptime $(cut -d' ' -f1 /proc/uptime) s)"
sh -c "$(cat @COMMAND@)" </dev/null
say "exit $?"
poweroff -f
)sh";
  auto replace = [&script](std::string_view key, std::string_view value) {
    for (size_t pos = script.find(key); pos != std::string::npos;
         pos = script.find(key, pos + value.size()))
      script.replace(pos, key.size(), value);
  };
  replace("@MARKER@", marker);
  replace("@MODULE@", kHostModulePath);
  replace("@PLAN@", kHostPlanPath);
  replace("@COMMAND@", kHostCommandPath);
  return script;
}

std::optional<HostMarkerLine> ParseHostMarker(std::string_view line, std::string_view marker) {
  std::string prefix = "mint-lab[" + std::string(marker) + "]: ";
  size_t at = line.find(prefix);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + prefix.size());
  if (rest.starts_with("command start"))
    return HostMarkerLine{.kind = HostMarkerLine::Kind::kCommandStart, .status = 0, .detail = {}};
  if (rest.starts_with("setup failed: "))
    return HostMarkerLine{.kind = HostMarkerLine::Kind::kSetupFailed,
                          .status = 0,
                          .detail = std::string(rest.substr(14))};
  if (rest.starts_with("exit ")) {
    rest.remove_prefix(5);
    int status = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), status);
    if (ec != std::errc() || end == rest.data()) return std::nullopt;
    return HostMarkerLine{.kind = HostMarkerLine::Kind::kExit, .status = status, .detail = {}};
  }
  return std::nullopt;
}

Result<HostInitramfs> BuildHostInitramfs(const HostInitramfsSpec& spec) {
  CpioArchive archive;
  MINT_TRY_VOID(AddInitramfsBase(archive, spec.busybox));
  if (!spec.mint.empty()) {
    auto mint = ReadWholeFile(spec.mint);
    if (!mint.ok())
      return Fail(mint.error().message, " (the mint CLI: `cmake --build build --target mint`)");
    MINT_TRY_VOID(CheckStaticExecutable(*mint, spec.mint, "the mint CLI must be linked -static"));
    MINT_TRY_VOID(archive.AddFile(kHostMintPath, *mint, 0755));
  }
  if (!spec.module.empty()) {
    auto module = ReadWholeFile(spec.module);
    if (!module.ok())
      return Fail(module.error().message,
                  " (the host module: `cmake --build build --target mint_host_ko`)");
    MINT_TRY_VOID(archive.AddFile(kHostModulePath, *module, 0644));
  }
  // Numbered, so that /init's glob loads them in the order given.
  for (size_t i = 0; i < spec.kernel_modules.size(); ++i) {
    auto bytes = ReadWholeFile(spec.kernel_modules[i]);
    if (!bytes.ok())
      return Fail(bytes.error().message, " (a host kernel module, unpacked by scripts/setup)");
    MINT_TRY_VOID(archive.AddFile(std::string(kHostKernelModuleDir) + "/" + std::to_string(10 + i) +
                                      "-" + Basename(spec.kernel_modules[i]),
                                  *bytes, 0644));
  }

  // Every image the plan names, once per source path, under its own name where it is free.
  HostInitramfs out;
  out.guest_plan = spec.plan;
  std::map<std::string, std::string> guest_path_of;  // source path -> path in the host
  auto place = [&](const std::string& source, const std::string& what) -> Result<std::string> {
    if (auto it = guest_path_of.find(source); it != guest_path_of.end()) return it->second;
    auto bytes = ReadWholeFile(source);
    if (!bytes.ok()) return Fail(what, ": ", bytes.error().message);
    std::string name = Basename(source);
    std::string guest_path = std::string(kHostImageDir) + "/" + name;
    for (int n = 2; archive.Contains(guest_path); ++n)
      guest_path = std::string(kHostImageDir) + "/" + std::to_string(n) + "-" + name;
    MINT_TRY_VOID(archive.AddFile(guest_path, *bytes, 0644));
    guest_path_of.emplace(source, guest_path);
    return guest_path;
  };
  for (NodePlan& node : out.guest_plan.nodes) {
    node.kernel = MINT_TRY(place(node.kernel, "node " + node.name + ": kernel"));
    if (!node.initrd.empty())
      node.initrd = MINT_TRY(place(node.initrd, "node " + node.name + ": initrd"));
    if (!node.node_module.empty() && node.node_module != "none")
      node.node_module = MINT_TRY(place(node.node_module, "node " + node.name + ": node_module"));
    // A root from a URL stays a URL: the lab host fetches it on demand like any host.
    if (!node.root.empty() && node.root.find("://") == std::string::npos)
      node.root = MINT_TRY(place(node.root, "node " + node.name + ": root"));
  }
  MINT_TRY_VOID(archive.AddFile(kHostPlanPath, SerializePlan(out.guest_plan), 0644));
  MINT_TRY_VOID(archive.AddFile(kHostCommandPath, spec.command, 0644));
  out.init_script = HostInitScript(spec.marker, !spec.module.empty());
  MINT_TRY_VOID(archive.AddFile("/init", out.init_script, 0755));
  out.cpio = archive.Serialize();
  return out;
}

}  // namespace mint
