#include "host_cmdline.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "format.h"
#include "phys_range.h"

namespace mint {
namespace {

bool Blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The kernel's memparse (lib/cmdline.c): a number in C notation (0x hex, leading 0 octal,
// else decimal) with an optional K, M, G, T, P or E suffix. None when no digits start `text`;
// `rest` is what follows.
std::optional<uint64_t> MemParse(std::string_view text, std::string_view& rest) {
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(copy.c_str(), &end, 0);
  if (end == copy.c_str() || errno != 0 || copy[0] == '-' || copy[0] == '+') return std::nullopt;
  size_t used = static_cast<size_t>(end - copy.c_str());
  if (used < copy.size()) {
    int shift = 0;
    switch (std::toupper(static_cast<unsigned char>(copy[used]))) {
      case 'E':
        shift = 60;
        break;
      case 'P':
        shift = 50;
        break;
      case 'T':
        shift = 40;
        break;
      case 'G':
        shift = 30;
        break;
      case 'M':
        shift = 20;
        break;
      case 'K':
        shift = 10;
        break;
      default:
        break;
    }
    if (shift) {
      if (value > (UINT64_MAX >> shift)) return std::nullopt;
      value <<= shift;
      ++used;
    }
  }
  rest = text.substr(used);
  return value;
}

// One entry of a memmap= option (arch/x86/kernel/e820.c parse_memmap_one).
struct MemmapEntry {
  char kind = 0;  // '$' reserved, '@' RAM, '#' ACPI data, '!' persistent, '%' retyped,
                  // 'x' exactmap, 0 a limit (memory above size removed)
  PhysRange range;
};

Result<MemmapEntry> ParseMemmapEntry(std::string_view text) {
  if (text == "exactmap") return MemmapEntry{'x', {}};
  std::string_view rest;
  auto size = MemParse(text, rest);
  if (!size) return Fail("does not start with a size");
  if (rest.empty()) return MemmapEntry{0, {*size, UINT64_MAX}};
  char kind = rest[0];
  if (kind != '$' && kind != '@' && kind != '#' && kind != '!' && kind != '%')
    return Fail("'", std::string(1, kind), "' after the size is none of $ @ # ! %, and the ",
                "kernel then drops all RAM above ", Hex(*size));
  std::string_view after;
  auto start = MemParse(rest.substr(1), after);
  if (!start) return Fail("no address after '", std::string(1, kind), "'");
  if (kind != '%' && !after.empty()) return Fail("'", std::string(after), "' follows the address");
  if (*size == 0 || *start > UINT64_MAX - *size) return Fail("an empty or overflowing range");
  return MemmapEntry{kind, {*start, *start + *size}};
}

// The reserved ranges given as ranges merged where they touch, to see whether they cover one.
bool Covered(std::vector<PhysRange> ranges, const PhysRange& range) {
  std::sort(ranges.begin(), ranges.end(),
            [](const PhysRange& a, const PhysRange& b) { return a.start < b.start; });
  uint64_t reach = range.start;
  for (const PhysRange& r : ranges) {
    if (r.start > reach) break;
    reach = std::max(reach, r.end);
    if (reach >= range.end) return true;
  }
  return false;
}

std::string KindName(char kind) {
  switch (kind) {
    case '@':
      return "usable RAM";
    case '#':
      return "ACPI data";
    case '!':
      return "persistent memory";
    case '%':
      return "a retyped range";
    case 'x':
      return "an exact map (only the memmap= ranges exist)";
    default:
      return "a memory limit (RAM above it is dropped)";
  }
}

// The GRUB script characters a word needs escaped outside quotes (grub-core/script/yylex.l:
// blanks and the metacharacters that end or start a token, quotes, the backslash, $).
bool GrubSpecial(char c) {
  return std::string_view("$\\\"'{}|&;<>").find(c) != std::string_view::npos;
}

}  // namespace

std::vector<std::string> SplitKernelCmdline(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && Blank(line[i])) ++i;
    if (i >= line.size()) break;
    std::string word;
    bool quoted = false;
    for (; i < line.size() && (quoted || !Blank(line[i])); ++i) {
      if (line[i] == '"') {
        quoted = !quoted;
        continue;
      }
      word.push_back(line[i]);
    }
    words.push_back(std::move(word));
  }
  return words;
}

std::string_view OptionName(std::string_view option) {
  return option.substr(0, option.find('='));
}

bool CmdlineDiff::Complete() const {
  return problems.empty() && std::all_of(options.begin(), options.end(), [](const OptionStatus& o) {
           return o.state == OptionStatus::State::kPresent;
         });
}

std::vector<std::string> CmdlineDiff::Missing() const {
  std::vector<std::string> out;
  for (const OptionStatus& o : options)
    if (o.state != OptionStatus::State::kPresent) out.push_back(o.option);
  return out;
}

std::vector<const OptionStatus*> CmdlineDiff::Conflicts() const {
  std::vector<const OptionStatus*> out;
  for (const OptionStatus& o : options)
    if (o.state == OptionStatus::State::kConflict) out.push_back(&o);
  return out;
}

CmdlineDiff CompareHostCmdline(const std::vector<std::string>& required,
                               const std::vector<std::string>& all_words) {
  CmdlineDiff diff;
  // The kernel stops reading its parameters at "--": what follows is init's.
  const std::vector<std::string> words(
      all_words.begin(), std::find(all_words.begin(), all_words.end(), std::string("--")));
  // Every memmap= entry of the line, with the word it came from.
  std::vector<std::pair<MemmapEntry, std::string>> memmaps;
  for (const std::string& word : words) {
    if (OptionName(word) != "memmap") continue;
    std::string_view value = std::string_view(word).substr(std::min(word.size(), size_t{7}));
    while (true) {
      size_t comma = value.find(',');
      std::string_view one = value.substr(0, comma);
      auto entry = ParseMemmapEntry(one);
      if (entry)
        memmaps.emplace_back(*entry, word);
      else
        diff.problems.push_back(
            word + ": the kernel cannot read '" + std::string(one) + "' (" + entry.error().message +
            "); a memmap= reservation is SIZE$ADDR, and a $ lost to the shell or to GRUB (written "
            "without its backslashes in /etc/default/grub) leaves words like this one");
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  for (const std::string& option : required) {
    OptionStatus status;
    status.option = option;
    std::string_view name = OptionName(option);
    if (name == "memmap") {
      auto entry =
          ParseMemmapEntry(std::string_view(option).substr(std::min(option.size(), size_t{7})));
      if (!entry || entry->kind != '$') {
        status.state = OptionStatus::State::kConflict;
        status.why = "Mint asks only for memmap=SIZE$ADDR reservations";
        diff.options.push_back(std::move(status));
        continue;
      }
      std::vector<PhysRange> reserved;
      for (const auto& [have, word] : memmaps) {
        bool overlaps = have.kind == 'x' || have.range.Overlaps(entry->range);
        if (have.kind == '$' && overlaps) {
          reserved.push_back(have.range);
          if (std::find(status.found.begin(), status.found.end(), word) == status.found.end())
            status.found.push_back(word);
        } else if (overlaps && status.state != OptionStatus::State::kConflict) {
          status.state = OptionStatus::State::kConflict;
          status.found = {word};
          status.why = word + " makes " + FormatRange(entry->range) + " " + KindName(have.kind) +
                       ", not reserved";
        }
      }
      if (status.state != OptionStatus::State::kConflict)
        status.state = Covered(reserved, entry->range) ? OptionStatus::State::kPresent
                                                       : OptionStatus::State::kMissing;
      if (status.state == OptionStatus::State::kMissing) status.found.clear();
      diff.options.push_back(std::move(status));
      continue;
    }
    // The last occurrence wins, as each early_param handler overwrites what the one before set.
    const std::string* last = nullptr;
    for (const std::string& word : words)
      if (OptionName(word) == name) last = &word;
    if (last == nullptr) {
      status.state = OptionStatus::State::kMissing;
    } else if (*last == option) {
      status.state = OptionStatus::State::kPresent;
      status.found = {*last};
    } else {
      status.state = OptionStatus::State::kConflict;
      status.found = {*last};
      status.why =
          *last + " is the line's last " + std::string(name) + "=, and the kernel takes it";
    }
    diff.options.push_back(std::move(status));
  }
  return diff;
}

GrubWords SplitGrubArgs(std::string_view args) {
  GrubWords out;
  size_t i = 0;
  auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < args.size()) {
    while (i < args.size() && Blank(args[i])) ++i;
    if (i >= args.size()) break;
    const size_t begin = i;
    std::string word;
    bool expanded = false;
    char quote = 0;
    for (; i < args.size() && (quote || !Blank(args[i])); ++i) {
      char c = args[i];
      if (quote == '\'') {
        if (c == '\'')
          quote = 0;
        else
          word.push_back(c);
        continue;
      }
      if (c == '\\' && i + 1 < args.size()) {
        char next = args[i + 1];
        // Inside double quotes GRUB drops the backslash only before $ \ " (and a newline).
        if (quote == '"' && next != '$' && next != '\\' && next != '"') {
          word.push_back(c);
          continue;
        }
        word.push_back(next);
        ++i;
        continue;
      }
      if (c == '"' || (c == '\'' && !quote)) {
        quote = quote ? 0 : c;
        continue;
      }
      if (c == '$' && i + 1 < args.size()) {
        size_t j = i + 1;
        if (args[j] == '{') {
          size_t close = args.find('}', j);
          if (close != std::string_view::npos) {
            expanded = true;
            i = close;
            continue;
          }
        } else if (std::isdigit(static_cast<unsigned char>(args[j]))) {
          // $0x40000000 is the positional parameter $0 followed by "x40000000".
          while (j < args.size() && std::isdigit(static_cast<unsigned char>(args[j]))) ++j;
          expanded = true;
          i = j - 1;
          continue;
        } else if (name_char(args[j]) || args[j] == '?' || args[j] == '#' || args[j] == '@' ||
                   args[j] == '*') {
          if (name_char(args[j]))
            while (j < args.size() && name_char(args[j])) ++j;
          else
            ++j;
          expanded = true;
          i = j - 1;
          continue;
        }
      }
      word.push_back(c);
    }
    if (expanded) out.expanded.emplace_back(args.substr(begin, i - begin));
    if (!word.empty()) out.words.push_back(std::move(word));
  }
  return out;
}

Result<std::string> GrubConfigEscape(std::string_view option) {
  std::string grub;
  for (char c : option) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ')
      return Fail("kernel option '", std::string(option),
                  "' holds a blank or control character, which a GRUB drop-in cannot pass");
    if (GrubSpecial(c)) grub.push_back('\\');
    grub.push_back(c);
  }
  std::string shell;
  for (char c : grub) {
    if (c == '\\' || c == '$' || c == '"' || c == '`') shell.push_back('\\');
    shell.push_back(c);
  }
  return shell;
}

Result<std::string> GrubDropIn(const std::vector<std::string>& options,
                               const std::string& plan_path) {
  std::string line;
  for (const std::string& option : options) {
    std::string escaped = MINT_TRY(GrubConfigEscape(option));
    line.append(" ").append(escaped);
  }
  for (char c : plan_path)
    if (c == '\n' || c == '\r') return Fail("plan path '", plan_path, "' holds a line break");
  return "# Written by mint host-setup for " + plan_path +
         ": the host kernel options the plan needs\n"
         "# (docs/hardware.md). grub-mkconfig sources this file after /etc/default/grub and\n"
         "# appends the options to every menu entry; each $ is written \\\\\\$ so that the shell\n"
         "# leaves \\$ in grub.cfg and GRUB passes $ to the kernel. To undo: delete this file\n"
         "# and run update-grub.\n"
         "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX" +
         line + "\"\n";
}

std::vector<std::string> GrubSourceOrder(bool have_default, std::vector<std::string> cfg_names,
                                         const std::string& drop_in, bool with_drop_in) {
  std::erase_if(cfg_names, [&](const std::string& name) {
    return name == drop_in || name.size() < 4 || !name.ends_with(".cfg");
  });
  if (with_drop_in) cfg_names.push_back(drop_in);
  std::sort(cfg_names.begin(), cfg_names.end());
  std::vector<std::string> order;
  if (have_default) order.push_back("grub");
  for (const std::string& name : cfg_names) order.push_back("grub.d/" + name);
  return order;
}

std::optional<bool> ParseSecureBootVariable(const std::vector<uint8_t>& bytes) {
  if (bytes.size() != 5) return std::nullopt;
  return bytes[4] == 1;
}

std::string ParseLockdown(std::string_view text) {
  size_t open = text.find('[');
  size_t close = text.find(']', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return "";
  return std::string(text.substr(open + 1, close - open - 1));
}

bool SecureBootState::Restricts() const {
  return secure_boot.value_or(false) || (!lockdown.empty() && lockdown != "none");
}

std::vector<std::string> SecureBootAdvice(const SecureBootState& state) {
  if (!state.Restricts()) return {};
  std::vector<std::string> out;
  std::string what = state.secure_boot.value_or(false) ? "Secure Boot is on" : "Secure Boot is off";
  if (!state.lockdown.empty() && state.lockdown != "none")
    what += " and the kernel is locked down (" + state.lockdown + ")";
  out.push_back(what +
                ": Debian's kernel then loads only modules signed by a key it trusts, so an "
                "unsigned or self-signed mint.ko is refused (insmod: Operation not permitted; "
                "dmesg: Lockdown: unsigned module loading is restricted).");
  out.push_back(
      "Debian 12's DKMS signs every module it builds with /var/lib/dkms/mok.key (made at its first "
      "build, certificate /var/lib/dkms/mok.pub); enroll that certificate once as a Machine Owner "
      "Key: sudo mokutil --import /var/lib/dkms/mok.pub (choose a one-time password), reboot, "
      "choose 'Enroll MOK' in the blue MokManager screen and give the password.");
  out.push_back(
      "Then check: mokutil --test-key /var/lib/dkms/mok.pub says it is enrolled, and modinfo mint "
      "shows 'signer: DKMS module signing key'. A mint.ko built outside DKMS must be signed with "
      "that key by hand (/usr/lib/linux-kbuild-*/scripts/sign-file sha256 /var/lib/dkms/mok.key "
      "/var/lib/dkms/mok.pub mint.ko). docs/hardware.md has the details.");
  return out;
}

}  // namespace mint
