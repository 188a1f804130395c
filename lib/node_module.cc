#include "node_module.h"

#include <zlib.h>

#include <cstdlib>

#include "byte_reader.h"
#include "cpio.h"
#include "format.h"

namespace mint {
namespace {

// The few ELF fields a section lookup needs, for either class (elf(5)).
struct ElfClass {
  size_t shoff, shentsize, shnum, shstrndx;  // offsets in the ELF header
  size_t sh_offset, sh_size;                 // offsets in a section header
  bool wide;                                 // 64-bit offsets and sizes
};
constexpr ElfClass kElf32{0x20, 0x2e, 0x30, 0x32, 0x10, 0x14, false};
constexpr ElfClass kElf64{0x28, 0x3a, 0x3c, 0x3e, 0x18, 0x20, true};

std::optional<uint64_t> ReadWord(const ByteReader& reader, size_t offset, bool wide) {
  if (wide) return reader.ReadAt<uint64_t>(offset);
  auto value = reader.ReadAt<uint32_t>(offset);
  return value ? std::optional<uint64_t>(*value) : std::nullopt;
}

// Inflates one gzip member at the start of `bytes`; `used` is how many bytes it took.
Result<std::vector<uint8_t>> Gunzip(std::span<const uint8_t> bytes, uint64_t max_out,
                                    size_t& used) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return Fail("gzip: cannot start zlib");
  std::vector<uint8_t> out;
  stream.next_in = const_cast<Bytef*>(bytes.data());
  stream.avail_in = static_cast<uInt>(std::min<size_t>(bytes.size(), UINT32_MAX));
  int status = Z_OK;
  while (status == Z_OK) {
    if (out.size() >= max_out) {
      inflateEnd(&stream);
      return Fail("gzip: unpacks to more than ", Bytes(max_out));
    }
    size_t chunk = std::min<uint64_t>(uint64_t{1} << 20, max_out - out.size());
    size_t before = out.size();
    out.resize(before + chunk);
    stream.next_out = out.data() + before;
    stream.avail_out = static_cast<uInt>(chunk);
    status = inflate(&stream, Z_NO_FLUSH);
    out.resize(before + chunk - stream.avail_out);
  }
  used = bytes.size() - stream.avail_in;
  inflateEnd(&stream);
  if (status != Z_STREAM_END) return Fail("gzip: the stream is damaged or cut short");
  return out;
}

const char* CompressedName(std::span<const uint8_t> bytes) {
  auto starts = [&](std::initializer_list<uint8_t> magic) {
    return bytes.size() >= magic.size() && std::equal(magic.begin(), magic.end(), bytes.begin());
  };
  if (starts({0x28, 0xb5, 0x2f, 0xfd})) return "zstd";
  if (starts({0xfd, '7', 'z', 'X', 'Z'})) return "xz";
  if (starts({0x5d, 0x00})) return "lzma";
  if (starts({'B', 'Z', 'h'})) return "bzip2";
  if (starts({0x02, 0x21, 0x4c, 0x18})) return "lz4";
  if (starts({0x89, 'L', 'Z', 'O'})) return "lzo";
  return nullptr;
}

}  // namespace

std::string KernelCacheDir() {
  const char* env = std::getenv("MINT_KERNEL_CACHE");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("/var/cache/mint");
}

Result<std::string> ModuleVermagic(std::span<const uint8_t> ko) {
  ByteReader reader(ko);
  auto ident = reader.SpanAt(0, 6);
  if (!ident || (*ident)[0] != 0x7f || (*ident)[1] != 'E' || (*ident)[2] != 'L' ||
      (*ident)[3] != 'F')
    return Fail("not an ELF file");
  if ((*ident)[5] != 1) return Fail("not a little-endian ELF file");
  const ElfClass* elf = (*ident)[4] == 1 ? &kElf32 : (*ident)[4] == 2 ? &kElf64 : nullptr;
  if (elf == nullptr)
    return Fail("ELF class ", std::to_string((*ident)[4]), " is neither 32 nor 64");
  auto shoff = ReadWord(reader, elf->shoff, elf->wide);
  auto shentsize = reader.ReadAt<uint16_t>(elf->shentsize);
  auto shnum = reader.ReadAt<uint16_t>(elf->shnum);
  auto shstrndx = reader.ReadAt<uint16_t>(elf->shstrndx);
  if (!shoff || !shentsize || !shnum || !shstrndx || *shstrndx >= *shnum ||
      *shentsize < elf->sh_size + (elf->wide ? 8 : 4))
    return Fail("the ELF header's section table is damaged");
  auto section = [&](size_t index) -> std::optional<std::span<const uint8_t>> {
    uint64_t header = *shoff + uint64_t{index} * *shentsize;
    auto offset = ReadWord(reader, header + elf->sh_offset, elf->wide);
    auto size = ReadWord(reader, header + elf->sh_size, elf->wide);
    if (!offset || !size) return std::nullopt;
    return reader.SpanAt(*offset, *size);
  };
  auto names = section(*shstrndx);
  if (!names) return Fail("the ELF section names lie outside the file");
  ByteReader name_reader(*names);
  for (size_t index = 0; index < *shnum; ++index) {
    auto name_offset = reader.ReadAt<uint32_t>(*shoff + uint64_t{index} * *shentsize);
    if (!name_offset) return Fail("the ELF section table lies outside the file");
    auto name = name_reader.CStringAt(*name_offset, 64);
    if (!name || *name != ".modinfo") continue;
    auto modinfo = section(index);
    if (!modinfo) return Fail("the .modinfo section lies outside the file");
    // NUL-separated "key=value" strings.
    std::string_view text(reinterpret_cast<const char*>(modinfo->data()), modinfo->size());
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\0', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view entry = text.substr(start, end - start);
      if (entry.starts_with("vermagic=")) return std::string(entry.substr(9));
      start = end + 1;
    }
    return Fail("its .modinfo has no vermagic");
  }
  return Fail("no .modinfo section: not a kernel module");
}

std::string KernelRelease(std::string_view version) {
  size_t start = version.find_first_not_of(' ');
  if (start == std::string_view::npos) return {};
  size_t end = version.find(' ', start);
  return std::string(version.substr(start, end == std::string_view::npos ? end : end - start));
}

Result<std::optional<std::vector<uint8_t>>> FindInInitramfs(std::span<const uint8_t> initrd,
                                                            std::string_view path,
                                                            uint64_t max_unpacked) {
  std::optional<std::vector<uint8_t>> found;
  // The archives to walk: the initrd, then whatever a gzip member unpacks to (its archives,
  // then the bytes after it). A stack keeps the unpacked buffers alive while they are walked.
  std::vector<std::vector<uint8_t>> unpacked;
  uint64_t unpacked_total = 0;
  struct Span {
    std::span<const uint8_t> bytes;
    size_t offset;
  };
  std::vector<Span> work{{initrd, 0}};
  while (!work.empty()) {
    Span& current = work.back();
    std::span<const uint8_t> rest = current.bytes.subspan(current.offset);
    // The kernel skips zero padding between archives.
    size_t zeros = 0;
    while (zeros < rest.size() && rest[zeros] == 0) ++zeros;
    rest = rest.subspan(zeros);
    current.offset += zeros;
    if (rest.empty()) {
      work.pop_back();
      continue;
    }
    if (rest.size() >= 6 && rest[0] == '0' && rest[1] == '7' && rest[2] == '0' && rest[3] == '7') {
      size_t consumed = 0;
      auto entries = ParseCpio(rest, consumed);
      if (!entries)
        return Fail("initramfs at byte ", std::to_string(current.offset), ": ",
                    entries.error().message);
      std::string_view want = path.starts_with('/') ? path.substr(1) : path;
      for (CpioEntry& entry : *entries) {
        std::string_view name = entry.path;
        if (name.starts_with("./")) name.remove_prefix(2);
        if (name.starts_with('/')) name.remove_prefix(1);
        if (name == want) found = std::move(entry.data);
      }
      current.offset += consumed;
      continue;
    }
    if (rest.size() >= 2 && rest[0] == 0x1f && (rest[1] == 0x8b || rest[1] == 0x9e)) {
      size_t used = 0;
      auto inflated = Gunzip(rest, max_unpacked - unpacked_total, used);
      if (!inflated)
        return Fail("initramfs at byte ", std::to_string(current.offset), ": ",
                    inflated.error().message);
      current.offset += used;
      unpacked_total += inflated->size();
      unpacked.push_back(std::move(*inflated));
      work.push_back({unpacked.back(), 0});
      continue;
    }
    if (const char* name = CompressedName(rest))
      return Fail("initramfs at byte ", std::to_string(current.offset), " is ", name,
                  "-compressed, which mint does not unpack (it reads cpio and gzip)");
    return Fail("initramfs at byte ", std::to_string(current.offset),
                " is neither a cpio archive nor gzip");
  }
  return found;
}

Result<std::vector<uint8_t>> AppendToInitramfs(std::span<const uint8_t> initrd,
                                               std::string_view path,
                                               std::span<const uint8_t> data) {
  CpioArchive archive;
  MINT_TRY_VOID(archive.AddFile(path, data, 0644));
  std::vector<uint8_t> out(initrd.begin(), initrd.end());
  out.resize((out.size() + 3) & ~size_t{3}, 0);
  std::vector<uint8_t> extra = archive.Serialize();
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

std::string NodeModuleProblem(const NodePlan& node, const NodeModuleFacts& facts) {
  if (node.node_module == kNoNodeModule) return {};
  std::string built_for = KernelRelease(facts.vermagic);
  if (!facts.vermagic.empty() && built_for == facts.kernel_release) return {};
  std::string what = "node " + node.name + ": ";
  if (facts.vermagic.empty())
    what += "no mint_node.ko for its kernel " + facts.kernel_release + " (" + facts.from + ")";
  else
    what += "the mint_node.ko it would load (" + facts.from + ") is built for " + built_for +
            ", not for its kernel " + facts.kernel_release;
  return what +
         "; without it the node's reboot or panic resets the whole machine. Build one "
         "with `mint kernel fetch " +
         facts.kernel_release +
         "` and name it in the plan (node_module = \"PATH\", or kernel = \"debian:" +
         facts.kernel_release + "\"), or write node_module = \"none\" to boot it without";
}

}  // namespace mint
