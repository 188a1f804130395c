// The mint command line: one CLI11 application whose subcommands each come from a cli/*.cc
// file (AddBoot, AddUp, ...). A command's options are declared once, and its --help is made
// from them, so the help cannot drift from what the command accepts. Parsing only chooses
// what to run; the chosen command runs after the parse and returns its exit status or an error,
// which Main prints in one place ("mint: ...", status 1).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "result.h"

namespace mint::cli {

// What a parsed command line runs: an exit status, or an error for Main to print.
using Command = std::function<Result<int>()>;

// Registers a subcommand on `app`; its callback stores in `chosen` what to run.
using AddCommand = void (*)(CLI::App& app, Command& chosen);

void AddInspect(CLI::App& app, Command& chosen);  // cli/inspect.cc
void AddBoot(CLI::App& app, Command& chosen);     // cli/boot.cc, as is AddStop
void AddStop(CLI::App& app, Command& chosen);
void AddUp(CLI::App& app, Command& chosen);     // cli/up.cc
void AddCheck(CLI::App& app, Command& chosen);  // cli/check.cc, as are the next three
void AddInventory(CLI::App& app, Command& chosen);
void AddPlan(CLI::App& app, Command& chosen);
void AddDown(CLI::App& app, Command& chosen);
void AddPs(CLI::App& app, Command& chosen);       // cli/ps.cc (mint status is an alias)
void AddExec(CLI::App& app, Command& chosen);     // cli/exec.cc
void AddConsole(CLI::App& app, Command& chosen);  // cli/console.cc
void AddRestart(CLI::App& app, Command& chosen);  // cli/restart.cc
void AddSuspend(CLI::App& app, Command& chosen);  // cli/suspend.cc, as is AddResume
void AddResume(CLI::App& app, Command& chosen);
void AddSnapshot(CLI::App& app, Command& chosen);   // cli/snapshot.cc
void AddCpu(CLI::App& app, Command& chosen);        // cli/cpu.cc
void AddMem(CLI::App& app, Command& chosen);        // cli/mem.cc
void AddRootfs(CLI::App& app, Command& chosen);     // cli/rootfs.cc
void AddStore(CLI::App& app, Command& chosen);      // cli/store.cc
void AddKernel(CLI::App& app, Command& chosen);     // cli/kernel.cc
void AddHostSetup(CLI::App& app, Command& chosen);  // cli/host_setup.cc
void AddBench(CLI::App& app, Command& chosen);  // bench/bench.cc: parallel|load|entry|image|net|cpu

// The whole application, every subcommand registered (tests parse with it too).
void BuildApp(CLI::App& app, Command& chosen);

// Parses `args` (without the program name) and runs the chosen command: its exit status; 2 for
// a command line that does not parse (the reason and a pointer to --help on stderr); 1 for a
// command's error, printed as "mint: MESSAGE".
int Main(const std::vector<std::string>& args);

// Option checks with messages for people, naming the bad value.
// A positive number of seconds ("--timeout 0: must be a positive number of seconds").
CLI::Validator PositiveSeconds();
// A positive whole number (--rounds, --max).
CLI::Validator PositiveCount();

}  // namespace mint::cli
