#include "app.h"

#include <cstdlib>
#include <iostream>

#include "commands.h"

namespace mint::cli {

CLI::Validator PositiveSeconds() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        double value = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !(value > 0))
          return "'" + text + "' must be a positive number of seconds";
        return "";
      },
      "SECONDS");
}

CLI::Validator PositiveCount() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        long value = std::strtol(text.c_str(), &end, 10);
        if (end == text.c_str() || *end != '\0' || value <= 0)
          return "'" + text + "' must be a positive whole number";
        return "";
      },
      "N");
}

void BuildApp(CLI::App& app, Command& chosen) {
  app.description(
      "Runs independent Linux kernels (nodes) on spare cores of this machine.\n"
      "Run 'mint COMMAND --help' for a command's options.");
  app.require_subcommand(1);
  app.set_version_flag("--version", "mint " MINT_VERSION);
  app.failure_message(CLI::FailureMessage::simple);
  for (AddCommand add :
       {AddInspect, AddInventory, AddCheck,   AddPlan,   AddDown,      AddBoot, AddUp,  AddPs,
        AddStop,    AddRestart,   AddSuspend, AddResume, AddSnapshot,  AddCpu,  AddMem, AddRootfs,
        AddConsole, AddExec,      AddStore,   AddKernel, AddHostSetup, AddBench})
    add(app, chosen);
}

int Main(const std::vector<std::string>& args) {
  CLI::App app{"", "mint"};
  Command chosen;
  BuildApp(app, chosen);
  if (!args.empty() && !args[0].starts_with("-") && args[0] != "help") {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known |= sub->check_name(args[0]);
    if (!known) {
      std::cerr << "mint: unknown command '" << args[0]
                << "'\nRun 'mint --help' for the commands.\n";
      return 2;
    }
  }
  if (!args.empty() && args[0] == "help") return Main({"--help"});
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    std::cerr << "mint: " << error.what() << "\n";
    std::string command = args.empty() || args[0].starts_with("-") ? "" : args[0] + " ";
    std::cerr << "Run 'mint " << command << "--help' for the options.\n";
    return 2;
  }
  if (!chosen) return 0;
  auto status = chosen();
  if (!status) return Error(status.error().message);
  return *status;
}

}  // namespace mint::cli
