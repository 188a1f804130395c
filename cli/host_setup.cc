// mint host-setup PLAN: the host kernel options the plan needs (the ones mint plan prints),
// compared with the running kernel and with GRUB's configuration for the next boot; with
// consent, a GRUB drop-in that appends what is missing and a run of update-grub.
#include "host_setup.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "app.h"
#include "boot_config.h"
#include "commands.h"
#include "plan.h"
#include "plan_site.h"

namespace mint::cli {
namespace {

struct HostSetupArgs {
  std::string plan;
  std::string root = "/";
  bool dry_run = false;
  bool yes = false;
  bool json = false;
  bool keep_on_failure = false;
  std::string update_grub;  // empty: "update-grub", and only when root is "/"
};

const char* StateName(OptionStatus::State state) {
  switch (state) {
    case OptionStatus::State::kPresent:
      return "present";
    case OptionStatus::State::kMissing:
      return "missing";
    case OptionStatus::State::kConflict:
      return "conflict";
  }
  return "?";
}

nlohmann::ordered_json DiffJson(const CmdlineDiff& diff) {
  nlohmann::ordered_json out;
  out["complete"] = diff.Complete();
  nlohmann::ordered_json options = nlohmann::ordered_json::array();
  for (const OptionStatus& o : diff.options) {
    nlohmann::ordered_json entry;
    entry["option"] = o.option;
    entry["state"] = StateName(o.state);
    entry["found"] = o.found;
    if (!o.why.empty()) entry["why"] = o.why;
    options.push_back(entry);
  }
  out["options"] = options;
  out["problems"] = diff.problems;
  return out;
}

// The words GRUB's linux line would pass, and what GRUB would expand in them.
CmdlineDiff CompareGrub(const std::vector<std::string>& required, const GrubConfig& config) {
  GrubWords words = SplitGrubArgs(config.Args());
  CmdlineDiff diff = CompareHostCmdline(required, words.words);
  for (const std::string& word : words.expanded)
    diff.problems.push_back(word + ": GRUB replaces the $ in it by a variable's value (written " +
                            "with one backslash or none in /etc/default/grub; $ needs \\\\\\$ " +
                            "inside double quotes there)");
  return diff;
}

std::string Indented(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    out += "    " + text.substr(pos, end - pos) + "\n";
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

// Asks on the terminal; anything but y or yes is no.
bool Confirm(const std::string& question) {
  std::cout << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

Result<int> RunHostSetup(const HostSetupArgs& args) {
  const Plan plan = MINT_TRY(LoadHostPlan(args.plan));
  const std::vector<std::string> required = HostKernelOptions(plan.host);
  const std::string drop_in_path = UnderRoot(args.root, kGrubDropIn);

  // The running kernel: what a reboot is needed for.
  std::optional<CmdlineDiff> running;
  std::string running_note;
  if (auto cmdline = ReadRunningCmdline(args.root))
    running = CompareHostCmdline(required, SplitKernelCmdline(*cmdline));
  else
    running_note = cmdline.error().message;

  // The next boot: GRUB's configuration now, and with the drop-in this plan wants.
  // The drop-in names the plan by its absolute path: it is read long after, from elsewhere.
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(args.plan, error);
  const std::string desired =
      MINT_TRY(GrubDropIn(required, error ? args.plan : absolute.lexically_normal().string()));
  const std::optional<std::string> previous = MINT_TRY(ReadDropIn(args.root));
  const GrubConfig current = MINT_TRY(ReadGrubConfig(args.root, previous));
  if (!current.present)
    return Fail("no GRUB configuration under ", UnderRoot(args.root, "etc/default"),
                " (grub, grub.d/*.cfg): this machine boots some other way; give the host kernel "
                "these options through its boot loader by hand: ",
                HostKernelArgs(plan.host));
  const CmdlineDiff now = CompareGrub(required, current);
  const GrubConfig after = MINT_TRY(ReadGrubConfig(args.root, desired));
  const CmdlineDiff with_drop_in = CompareGrub(required, after);

  // Nothing to do when the drop-in already says this, or the configuration has every option
  // without one; a conflict the drop-in cannot override stops everything.
  std::string action = "write";
  if (previous == desired || (!previous && now.Complete())) action = "none";
  // (The drop-in already in place but the configuration incomplete: something after it
  // contradicts the plan, which the comparison with the drop-in shows too.)
  const bool blocked = !(action == "none" && now.Complete()) && !with_drop_in.Complete();
  if (blocked) action = "blocked";

  const SecureBootState secure_boot = ReadSecureBootState(args.root);
  const std::vector<std::string> advice = SecureBootAdvice(secure_boot);

  bool consent = args.yes && !args.dry_run;
  bool asked = false;
  if (action == "write" && !args.yes && !args.dry_run && !args.json && ::isatty(0) && ::isatty(1))
    asked = true;

  nlohmann::ordered_json json;
  if (args.json) {
    json["plan"] = args.plan;
    json["options"] = required;
    if (running)
      json["running"] = DiffJson(*running);
    else
      json["running"] = {{"error", running_note}};
    json["running"]["source"] = UnderRoot(args.root, "proc/cmdline");
    json["grub"] = DiffJson(now);
    json["grub"]["files"] = current.sourced;
    json["grub"]["cmdline_linux"] = current.cmdline_linux;
    json["grub"]["cmdline_linux_default"] = current.cmdline_default;
    json["drop_in"] = {{"path", drop_in_path}, {"text", desired}, {"action", action}};
    if (blocked) json["drop_in"]["with_drop_in"] = DiffJson(with_drop_in);
    json["secure_boot"] = {
        {"efi", secure_boot.efi},
        {"secure_boot", secure_boot.secure_boot ? nlohmann::ordered_json(*secure_boot.secure_boot)
                                                : nlohmann::ordered_json(nullptr)},
        {"lockdown", secure_boot.lockdown},
        {"advice", advice}};
  } else {
    std::cout << "host kernel options for " << args.plan << ": " << HostKernelArgs(plan.host)
              << "\n";
    if (running) {
      std::cout << "running kernel (" << UnderRoot(args.root, "proc/cmdline") << "):\n";
      for (const std::string& line : DiffLines(*running)) std::cout << line << "\n";
    } else {
      std::cout << "running kernel: " << running_note << "\n";
    }
    std::cout << "next boot (GRUB:";
    for (const std::string& file : current.sourced) std::cout << " " << file;
    std::cout << "):\n";
    for (const std::string& line : DiffLines(now)) std::cout << line << "\n";
    for (const std::string& line : advice) std::cout << "note: " << line << "\n";
  }

  auto finish = [&](int status) -> Result<int> {
    if (args.json) std::cout << json.dump(2) << "\n";
    return status;
  };

  if (action == "blocked") {
    std::string what;
    for (const OptionStatus* c : with_drop_in.Conflicts())
      what += "\n  " + c->option + ": " + c->why;
    for (const std::string& p : with_drop_in.problems) what += "\n  " + p;
    if (args.json) {
      json["drop_in"]["written"] = false;
      (void)finish(1);
    }
    return Fail("GRUB's configuration has options that Mint's drop-in cannot override (an ",
                "option the kernel cannot read, another kind of memmap= over a reserved range, ",
                "or a contradicting one in GRUB_CMDLINE_LINUX_DEFAULT, which GRUB puts after ",
                "GRUB_CMDLINE_LINUX: the last occurrence wins); remove them from the files ",
                "above, then run mint host-setup again. Nothing was written:", what);
  }
  if (action == "none") {
    if (!args.json)
      std::cout << "GRUB's configuration already gives every option: nothing to do"
                << (running && !running->Complete() ? " (reboot to use them)" : "") << "\n";
    json["drop_in"]["written"] = false;
    return finish(0);
  }

  if (!args.json) {
    std::cout << (previous ? "to replace " : "to write ") << drop_in_path << ":\n"
              << Indented(desired);
  }
  const bool run_update = args.update_grub.empty() ? (args.root == "/" || args.root.empty()) : true;
  const std::string update_command = args.update_grub.empty() ? "update-grub" : args.update_grub;
  if (asked)
    consent = Confirm("Write " + drop_in_path +
                      (run_update ? " and run " + update_command : std::string()) + "?");
  if (!consent) {
    if (!args.json)
      std::cout << "not written: " << (args.dry_run ? "--dry-run" : "no consent")
                << " (mint host-setup " << args.plan << " --yes writes it"
                << (run_update ? " and runs " + update_command : std::string()) << ")\n";
    json["drop_in"]["written"] = false;
    return finish(0);
  }

  MINT_TRY_VOID(WriteFileAtomic(drop_in_path, desired));
  json["drop_in"]["written"] = true;
  if (!args.json) std::cout << "wrote " << drop_in_path << "\n";
  if (!run_update) {
    if (!args.json)
      std::cout << "update-grub not run: --root " << args.root
                << " names another tree (--update-grub CMD runs a command for it)\n";
    return finish(0);
  }
  if (!args.json) std::cout << "running " << update_command << "\n" << std::flush;
  auto ran = RunShellCommand(update_command);
  int status = ran ? ran->status : 127;
  std::string output = ran ? ran->output : ran.error().message;
  json["update_grub"] = {{"command", update_command}, {"status", status}, {"output", output}};
  if (status == 0) {
    if (!args.json)
      std::cout << Indented(output) << update_command << ": done; reboot for the host to boot "
                << "with these options\n";
    return finish(0);
  }
  // A failed update-grub leaves grub.cfg as it was; by default the drop-in goes too, so the
  // next update-grub (a kernel upgrade's) does not change the boot options unannounced.
  std::string kept;
  if (args.keep_on_failure) {
    kept = "the drop-in is kept (--keep-on-failure): the next successful update-grub applies it";
  } else {
    auto restored = RestoreDropIn(args.root, previous);
    kept = restored ? (previous ? "the previous drop-in was put back" : "the drop-in was removed")
                    : "putting the drop-in back failed too: " + restored.error().message;
  }
  json["drop_in"]["kept"] = args.keep_on_failure;
  if (args.json) (void)finish(1);
  return Fail(update_command, " failed (status ", std::to_string(status), "); ", kept,
              ". Its output:\n", output);
}

}  // namespace

std::vector<std::string> DiffLines(const CmdlineDiff& diff) {
  std::vector<std::string> lines;
  for (const OptionStatus& o : diff.options) {
    std::string line = "  " + std::string(StateName(o.state));
    line.resize(12, ' ');
    line += o.option;
    if (o.state == OptionStatus::State::kConflict)
      line += ": " + o.why;
    else if (o.state == OptionStatus::State::kPresent && !o.found.empty() &&
             !(o.found.size() == 1 && o.found[0] == o.option)) {
      line += " (";
      for (size_t i = 0; i < o.found.size(); ++i) line += (i ? " " : "") + o.found[i];
      line += ")";
    }
    lines.push_back(line);
  }
  for (const std::string& problem : diff.problems) lines.push_back("  problem   " + problem);
  return lines;
}

std::vector<std::string> HostNotes(const Plan& plan, const std::string& plan_path,
                                   const std::string& cmdline, const SecureBootState& secure_boot) {
  std::vector<std::string> notes;
  CmdlineDiff diff = CompareHostCmdline(HostKernelOptions(plan.host), SplitKernelCmdline(cmdline));
  if (!diff.Complete()) {
    std::string missing;
    for (const std::string& option : diff.Missing()) missing += " " + option;
    notes.push_back("the host kernel was booted without" + missing +
                    " (from /proc/cmdline); 'mint host-setup " + plan_path +
                    "' shows why and writes them for GRUB");
    for (const std::string& line : DiffLines(diff))
      if (!line.starts_with("  present")) notes.push_back(line.substr(2));
  }
  for (const std::string& line : SecureBootAdvice(secure_boot)) notes.push_back(line);
  return notes;
}

void AddHostSetup(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<HostSetupArgs>();
  CLI::App* cmd = app.add_subcommand(
      "host-setup", "the host kernel options a plan needs, written for GRUB with consent");
  cmd->footer(
      "Computes the host kernel options PLAN needs (those 'mint plan' prints: maxcpus= for the\n"
      "host's cores, memmap=SIZE$ADDR for each [host] reserved range, no_ipi_broadcast=1) and\n"
      "compares them with the running kernel (/proc/cmdline) and with GRUB's configuration for\n"
      "the next boot (/etc/default/grub and /etc/default/grub.d/*.cfg, read with /bin/sh as\n"
      "grub-mkconfig does). When options are missing it shows the drop-in\n"
      "/etc/default/grub.d/mint.cfg that appends them to GRUB_CMDLINE_LINUX (each $ written\n"
      "\\\\\\$, docs/hardware.md) and, with consent (--yes, or y at the prompt on a terminal),\n"
      "writes it atomically and runs update-grub; without consent it writes nothing. A second\n"
      "run finds nothing to do. An option in GRUB_CMDLINE_LINUX_DEFAULT that contradicts the\n"
      "plan (maxcpus=4), another kind of memmap= over a reserved range, or a memmap= the\n"
      "kernel cannot read is reported and nothing is written. When update-grub fails its output is "
      "shown and the drop-in is put\n"
      "back as it was, unless --keep-on-failure. Also says whether Secure Boot restricts\n"
      "modules and what to run then (signing mint.ko with DKMS's MOK key). Exits 0 when the\n"
      "configuration is right or was written (or --dry-run showed what would be), 1 otherwise.");
  cmd->add_option("PLAN", args->plan, "the plan file")->required();
  cmd->add_flag("--dry-run", args->dry_run, "show what would be written, write nothing");
  cmd->add_flag("-y,--yes", args->yes, "write the drop-in and run update-grub without asking");
  cmd->add_flag("--json", args->json, "the comparison and what was done, as JSON (never asks)");
  cmd->add_option("--root", args->root,
                  "read proc/, sys/ and etc/ under DIR instead of / (a copy of a machine's files; "
                  "update-grub then runs only when --update-grub names a command)")
      ->type_name("DIR")
      ->capture_default_str();
  cmd->add_option("--update-grub", args->update_grub,
                  "the command run (through /bin/sh) after writing the drop-in [update-grub]")
      ->type_name("CMD");
  cmd->add_flag("--keep-on-failure", args->keep_on_failure,
                "keep the new drop-in when update-grub fails (default: put back what was there)");
  cmd->callback([args, &chosen] { chosen = [args] { return RunHostSetup(*args); }; });
}

}  // namespace mint::cli
