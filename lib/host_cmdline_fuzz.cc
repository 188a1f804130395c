// libFuzzer target for the host command-line readers: the bytes are a command line as
// /proc/cmdline or a user's GRUB configuration holds it. Invariants: CompareHostCmdline gives
// one status per option asked for, and a complete diff has every option present and no
// problem; an option GrubConfigEscape accepts comes back unchanged through the shell's double
// quotes and GRUB's reading (SplitGrubArgs), as the kernel would receive it.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "host_cmdline.h"

namespace {

// The shell's reading of a double-quoted value: a backslash before \ $ " ` is dropped.
std::string ShellDoubleQuoted(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() &&
        std::string_view("\\$\"`").find(text[i + 1]) != std::string_view::npos)
      ++i;
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t half = bytes.size() / 2;
  std::vector<std::string> required = mint::SplitKernelCmdline(bytes.substr(0, half));
  std::vector<std::string> words = mint::SplitKernelCmdline(bytes.substr(half));
  mint::CmdlineDiff diff = mint::CompareHostCmdline(required, words);
  if (diff.options.size() != required.size()) std::abort();
  if (diff.Complete() && (!diff.Missing().empty() || !diff.problems.empty())) std::abort();
  mint::GrubWords grub = mint::SplitGrubArgs(bytes);
  (void)mint::CompareHostCmdline(required, grub.words);

  auto escaped = mint::GrubConfigEscape(bytes);
  if (escaped && !bytes.empty()) {
    mint::GrubWords back = mint::SplitGrubArgs(ShellDoubleQuoted(*escaped));
    if (back.words.size() != 1 || back.words[0] != bytes || !back.expanded.empty()) std::abort();
  }
  return 0;
}
