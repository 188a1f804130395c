// mint-mkinitrd: writes an initramfs made of the shared base (static busybox, device nodes,
// mount points) and the files named on the command line. Used by CMake for the node image;
// needs no root and gives the same bytes for the same inputs.
//
//   mint-mkinitrd -o OUT [--gzip] --busybox PATH [--file GUEST=HOST[:MODE]]... [--tree DIR]...
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "initramfs.h"

namespace {

constexpr char kUsage[] =
    "usage: mint-mkinitrd -o OUT [--gzip] --busybox PATH [--file GUEST=HOST[:MODE]]... "
    "[--tree DIR]...\n"
    "  GUEST is the path inside the image, HOST the file to copy, MODE octal (default 0644);\n"
    "  --tree adds every file and symlink under DIR at the same paths, modes kept\n";

mint::Result<void> Run(int argc, char** argv) {
  std::string out_path;
  std::string busybox;
  bool gzip = false;
  struct FileArg {
    std::string guest, host;
    uint32_t mode;
  };
  std::vector<FileArg> files;
  std::vector<std::string> trees;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> mint::Result<std::string> {
      if (i + 1 >= argc) return mint::Fail(std::string(arg), " needs a value\n", kUsage);
      return std::string(argv[++i]);
    };
    if (arg == "-o") {
      out_path = MINT_TRY(value());
    } else if (arg == "--gzip") {
      gzip = true;
    } else if (arg == "--busybox") {
      busybox = MINT_TRY(value());
    } else if (arg == "--tree") {
      trees.push_back(MINT_TRY(value()));
    } else if (arg == "--file") {
      std::string spec = MINT_TRY(value());
      size_t equals = spec.find('=');
      if (equals == std::string::npos)
        return mint::Fail("--file '", spec, "' is not GUEST=HOST[:MODE]");
      FileArg file{spec.substr(0, equals), spec.substr(equals + 1), 0644};
      if (size_t colon = file.host.rfind(':'); colon != std::string::npos) {
        char* end = nullptr;
        unsigned long mode = std::strtoul(file.host.c_str() + colon + 1, &end, 8);
        if (*end != '\0' || mode > 07777)
          return mint::Fail("--file '", spec, "': mode '", file.host.substr(colon + 1),
                            "' is not octal like 0755");
        file.mode = static_cast<uint32_t>(mode);
        file.host.resize(colon);
      }
      files.push_back(std::move(file));
    } else {
      return mint::Fail("unknown argument '", std::string(arg), "'\n", kUsage);
    }
  }
  if (out_path.empty() || busybox.empty())
    return mint::Fail("-o and --busybox are required\n", kUsage);

  mint::CpioArchive archive;
  MINT_TRY_VOID(mint::AddInitramfsBase(archive, busybox));
  for (const FileArg& file : files) {
    std::vector<uint8_t> bytes = MINT_TRY(mint::ReadWholeFile(file.host));
    MINT_TRY_VOID(archive.AddFile(file.guest, bytes, file.mode));
  }
  for (const std::string& tree : trees) MINT_TRY_VOID(mint::AddTree(archive, tree));
  std::vector<uint8_t> image = archive.Serialize();
  if (gzip) image = MINT_TRY(mint::Gzip(image));
  return mint::WriteWholeFile(out_path, image);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto result = Run(argc, argv);
  if (!result.ok()) {
    std::fprintf(stderr, "mint-mkinitrd: %s\n", result.error().message.c_str());
    return 1;
  }
  return 0;
}
