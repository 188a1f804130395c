// The command line as mint parses it (cli/app.h: BuildApp), for ps, exec, console, suspend,
// resume, snapshot, restart and store; and what ps prints, from made-up node statuses.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app.h"
#include "ps.h"

namespace mint::cli {
namespace {

// One command line parsed the way Main parses it, nothing run.
class Parsed {
 public:
  explicit Parsed(std::vector<std::string> args) : app_(std::make_unique<CLI::App>("", "mint")) {
    BuildApp(*app_, chosen_);
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
    try {
      app_->parse(reversed);
    } catch (const CLI::ParseError& error) {
      error_ = error.what();
      failed_ = true;
    }
  }
  bool ok() const { return !failed_ && chosen_ != nullptr; }
  const std::string& error() const { return error_; }
  // The strings given to `option` of subcommand `path` ("exec", "store rm").
  std::vector<std::string> Given(const std::string& path, const std::string& option) const {
    CLI::App* app = app_.get();
    std::string rest = path;
    while (!rest.empty()) {
      size_t space = rest.find(' ');
      app = app->get_subcommand(rest.substr(0, space));
      rest = space == std::string::npos ? "" : rest.substr(space + 1);
    }
    return app->get_option(option)->results();
  }
  bool Chose(const std::string& command) const { return app_->get_subcommand(command)->parsed(); }

 private:
  std::unique_ptr<CLI::App> app_;
  Command chosen_;
  std::string error_;
  bool failed_ = false;
};

using Strings = std::vector<std::string>;

TEST(CliParse, RequiredPositionalsAreRequired) {
  struct Case {
    Strings args;
    std::string missing;
  };
  for (const Case& c : std::vector<Case>{{{"exec"}, "NODE"},
                                         {{"exec", "alpha"}, "COMMAND"},
                                         {{"exec", "alpha", "--"}, "COMMAND"},
                                         {{"console"}, "NODE"},
                                         {{"suspend", "--json"}, "NODE"},
                                         {{"resume"}, "NODE"},
                                         {{"snapshot", "--out", "x.img"}, "NODE"},
                                         {{"restart"}, "NODE"},
                                         {{"store", "add"}, "FILE|URL"},
                                         {{"store", "rm"}, "SHA|PATH"},
                                         {{"store", "corrupt"}, "SHA|PATH"}}) {
    Parsed parsed(c.args);
    EXPECT_FALSE(parsed.ok()) << c.args[0];
    EXPECT_EQ(parsed.error(), c.missing + " is required") << c.args[0];
  }
}

TEST(CliParse, TakesEachCommandsPositionals) {
  EXPECT_TRUE(Parsed({"console", "alpha", "--history"}).ok());
  EXPECT_TRUE(Parsed({"suspend", "alpha", "--timeout", "5", "--json"}).ok());
  EXPECT_TRUE(Parsed({"resume", "--device=/dev/x", "alpha"}).ok());
  EXPECT_TRUE(Parsed({"snapshot", "alpha", "--out", "a.img", "--no-store"}).ok());
  Parsed restart({"restart", "alpha", "plans/two.toml", "--timeout", "30"});
  ASSERT_TRUE(restart.ok()) << restart.error();
  EXPECT_EQ(restart.Given("restart", "PLAN"), Strings{"plans/two.toml"});
  EXPECT_EQ(restart.Given("restart", "--timeout"), Strings{"30"});
  EXPECT_FALSE(Parsed({"restart", "alpha", "plan.toml", "extra"}).ok());
  EXPECT_FALSE(Parsed({"console", "alpha", "beta"}).ok());
}

TEST(CliParse, RefusesBadSecondsNamingTheValue) {
  struct Case {
    Strings args;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {{"exec", "alpha", "--timeout", "0", "--", "true"},
            "--timeout: '0' must be a positive number of seconds"},
           {{"exec", "alpha", "--timeout=soon", "--", "true"},
            "--timeout: 'soon' must be a positive number of seconds"},
           {{"suspend", "alpha", "--timeout", "-1"},
            "--timeout: '-1' must be a positive number of seconds"},
           {{"resume", "alpha", "--timeout", "2x"},
            "--timeout: '2x' must be a positive number of seconds"},
           {{"restart", "alpha", "--timeout", "0"},
            "--timeout: '0' must be a positive number of seconds"},
           {{"ps", "--hung-after", "0"}, "--hung-after: '0' must be a positive number of seconds"},
           {{"console", "alpha", "--quiet-after", "nan"},
            "--quiet-after: 'nan' must be a positive number of seconds"},
           {{"console", "alpha", "--wait", "0"},
            "--wait: '0' must be a positive number of seconds"},
       }) {
    Parsed parsed(c.args);
    EXPECT_FALSE(parsed.ok()) << c.args[0];
    EXPECT_EQ(parsed.error(), c.error);
  }
  EXPECT_TRUE(Parsed({"exec", "alpha", "--timeout", "0.5", "--", "true"}).ok());
  EXPECT_TRUE(Parsed({"ps", "--hung-after", "10"}).ok());
  EXPECT_TRUE(Parsed({"console", "alpha", "--wait", "120"}).ok());
}

TEST(CliParse, ExecTakesEverythingAfterDashDashAsTheCommand) {
  // Options after -- are the command's own, mint's included.
  Parsed parsed({"exec", "alpha", "--timeout", "5", "--", "ls", "-l", "--timeout", "3", "/"});
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.Given("exec", "NODE"), Strings{"alpha"});
  EXPECT_EQ(parsed.Given("exec", "COMMAND"), (Strings{"ls", "-l", "--timeout", "3", "/"}));
  EXPECT_EQ(parsed.Given("exec", "--timeout"), Strings{"5"});

  // A second -- and a word naming another mint command are arguments too.
  Parsed nested({"exec", "--device", "/dev/x", "alpha", "--", "store", "--", "ps"});
  ASSERT_TRUE(nested.ok()) << nested.error();
  EXPECT_EQ(nested.Given("exec", "COMMAND"), (Strings{"store", "--", "ps"}));
  EXPECT_EQ(nested.Given("exec", "--device"), Strings{"/dev/x"});

  // Without --, a command with options of its own does not parse: its option is mint's.
  EXPECT_FALSE(Parsed({"exec", "alpha", "ls", "-l"}).ok());
}

TEST(CliParse, StatusIsPs) {
  Parsed status({"status", "--json", "--hung-after", "5"});
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_TRUE(status.Chose("ps"));
  EXPECT_EQ(status.Given("ps", "--hung-after"), Strings{"5"});
  // Main knows it as a command (not "unknown command", status 2): it fails opening the device.
  testing::internal::CaptureStderr();
  EXPECT_EQ(Main({"status", "--device", "/nonexistent"}), 1);
  EXPECT_TRUE(testing::internal::GetCapturedStderr().starts_with("mint: cannot open /nonexistent"));
}

TEST(CliParse, StoreSubcommandsShareTheLocationOptions) {
  Parsed before({"store", "--plan", "p.toml", "--device", "/dev/x", "rm", "abc", "def"});
  ASSERT_TRUE(before.ok()) << before.error();
  EXPECT_EQ(before.Given("store rm", "SHA|PATH"), (Strings{"abc", "def"}));
  EXPECT_EQ(before.Given("store", "--plan"), Strings{"p.toml"});

  Parsed after({"store", "ls", "--json", "--store-file", "s.bin", "--store-size", "64M"});
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ(after.Given("store ls", "--json").size(), 1u);
  EXPECT_EQ(after.Given("store", "--store-file"), Strings{"s.bin"});
  EXPECT_EQ(after.Given("store", "--store-size"), Strings{"64M"});

  for (Strings args : {Strings{"store", "add", "a", "b"}, Strings{"store", "verify"},
                       Strings{"store", "corrupt", "abc"}})
    EXPECT_TRUE(Parsed(args).ok()) << args[1];

  EXPECT_EQ(Parsed({"store"}).error(), "a subcommand (add, ls, rm, verify or corrupt) is required");
  EXPECT_EQ(Parsed({"store", "frob"}).error(), "The following argument was not expected: frob");
  EXPECT_EQ(Parsed({"store", "corrupt", "a", "b"}).error(),
            "The following argument was not expected: b");
  EXPECT_FALSE(Parsed({"store", "verify", "--json"}).ok());  // --json is ls's
  EXPECT_EQ(Parsed({"store", "--store-size", "12Q", "ls"}).error(),
            "--store-size: '12Q' is not a number (size such as 512M)");
}

TEST(CliParse, SnapshotCodecsAreRawOrLz4) {
  EXPECT_TRUE(Parsed({"snapshot", "alpha", "--store-codec", "lz4", "--file-codec", "raw"}).ok());
  EXPECT_EQ(Parsed({"snapshot", "alpha", "--file-codec", "zip"}).error(),
            "--file-codec: zip not in {raw,lz4}");
}

TEST(CliMain, ParseErrorsExit2AndMissingDevicesExit1) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(Main({"exec", "alpha"}), 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "mint: COMMAND is required\nRun 'mint exec --help' for the options.\n");
  testing::internal::CaptureStderr();
  EXPECT_EQ(Main({"store"}), 2);
  testing::internal::GetCapturedStderr();
  for (Strings args : {Strings{"ps", "--device", "/nonexistent"},
                       Strings{"exec", "alpha", "--device", "/nonexistent", "--", "true"},
                       Strings{"console", "alpha", "--device", "/nonexistent"},
                       Strings{"suspend", "alpha", "--device", "/nonexistent"},
                       Strings{"resume", "alpha", "--device", "/nonexistent"},
                       Strings{"snapshot", "alpha", "--device", "/nonexistent"},
                       Strings{"restart", "alpha", "p.toml", "--device", "/nonexistent"},
                       Strings{"store", "ls", "--device", "/nonexistent"}}) {
    testing::internal::CaptureStderr();
    EXPECT_EQ(Main(args), 1) << args[0];
    std::string said = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(said.starts_with("mint: cannot open /nonexistent")) << said;
  }
}

// mint store end to end on a plain file (no module): what each subcommand prints.
TEST(CliMain, StoreInAFile) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mint_cli_test." + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string store = (dir / "s.bin").string(), image = (dir / "a.img").string();
  std::ofstream(image) << "hello\n";
  auto run = [&](Strings args, int status) {
    args.insert(args.end(), {"--store-file", store, "--store-size", "4M"});
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    EXPECT_EQ(Main(args), status) << args[1];
    testing::internal::GetCapturedStderr();
    return testing::internal::GetCapturedStdout();
  };
  EXPECT_EQ(run({"store", "add", image}, 0), "stored 5891b5b522d5 " + image + " (6 B)\n");
  std::string listed = run({"store", "ls"}, 0);
  EXPECT_NE(listed.find("5891b5b522d5  6 B        0x"), std::string::npos) << listed;
  auto json = nlohmann::json::parse(run({"store", "ls", "--json"}, 0));
  EXPECT_EQ(json["images"][0]["source"], image);
  EXPECT_EQ(run({"store", "corrupt", "5891"}, 0),
            "flipped one byte in the middle of 5891b5b522d5 (" + image + ", 6 B)\n");
  EXPECT_EQ(run({"store", "verify"}, 1),
            "BAD 5891b5b522d5 (" + image +
                ", 6 B): its bytes no longer have its SHA-256; dropped\n"
                "0 of 1 image(s) match their SHA-256\n");
  run({"store", "rm", "5891"}, 1);  // dropped by verify
  std::filesystem::remove_all(dir);
}

// What the ps tests feed PsTable and PsJson: a clock at 1 GHz reading 13 s, and nodes booted
// (INIT sent) at 1 s.
constexpr uint64_t kGhz = 1000000;  // tsc_khz
constexpr uint64_t kSecond = 1000000000;
const PsClock kClock{kGhz, 13 * kSecond};

PsNode Node(uint32_t id, const char* name, uint32_t state) {
  PsNode node;
  node.status.id = id;
  node.status.state = state;
  std::strncpy(node.status.name, name, sizeof(node.status.name));
  node.status.n_cpus = 2;
  node.status.apic_ids[0] = 2 + 2 * id;
  node.status.apic_ids[1] = 3 + 2 * id;
  node.status.n_ranges = 2;
  node.status.ranges[0] = {0x98000, 0x8000};  // the low slice, not counted
  node.status.ranges[1] = {0x40000000ull + id * 0x10000000ull, 0x10000000};
  node.status.tsc_before_init = kSecond;
  return node;
}

mint_node_page Page(uint32_t condition) {
  mint_node_page page{};
  page.magic = MINT_NODE_PAGE_MAGIC;
  page.condition = condition;
  page.heartbeat = 120;
  page.tsc_heartbeat = 13 * kSecond - kSecond / 5;  // 0.2 s ago
  page.console_head = 4096;
  return page;
}

// A running node, one that panicked with a hostile reason and one that is suspended.
std::vector<PsNode> ThreeNodes(const std::string& reason_text) {
  PsNode running = Node(0, "alpha", MINT_STATE_READY);
  running.page = Page(MINT_NODE_UP);
  running.page->cores_online[0] = (1u << 2) | (1u << 3);  // its kernel runs on both cores
  PsNode crashed = Node(1, "beta", MINT_STATE_READY);
  crashed.page = Page(MINT_NODE_PARKED);
  crashed.page->reason = MINT_PARK_PANIC;
  crashed.page->tsc_parked = 5 * kSecond;
  std::memcpy(crashed.page->reason_text, reason_text.data(),
              std::min(reason_text.size(), sizeof(crashed.page->reason_text)));
  PsNode suspended = Node(2, "gamma", MINT_STATE_SUSPENDED);
  suspended.status.tsc_suspended = 3 * kSecond;
  suspended.status.suspends = 1;
  return {running, crashed, suspended};
}

TEST(PsTable, ShowsEachNode) {
  EXPECT_EQ(PsTable(ThreeNodes("panic: sysrq triggered crash"), kClock),
            "ID  NAME        STATE     CORES  MEMORY     UP       BEAT       REASON\n"
            "0   alpha       running   2,3    256.0 MiB  12 s     0.2 s ago  \n"
            "1   beta        crashed   4,5    256.0 MiB  4.0 s    -          panic: sysrq "
            "triggered crash\n"
            "2   gamma       suspended 6,7    256.0 MiB  12 s     -          asleep 10 s (mint "
            "resume wakes it)\n");
}

// A diskless node (docs/diskless.md) whose root did not mount, and one whose root server died.
TEST(PsJson, DisklessNodesSayWhatWentWrong) {
  PsNode failed = Node(0, "alpha", MINT_STATE_STARTED);
  failed.status.page.magic = MINT_STATUS_MAGIC;  // `mint-agent fail`: no READY phase
  std::strncpy(failed.status.page.message, "root: cannot reach 10.77.0.1:10810",
               sizeof(failed.status.page.message));
  PsNode orphan = Node(1, "beta", MINT_STATE_READY);
  orphan.page = Page(MINT_NODE_UP);
  orphan.root_problem = "its root server (qemu-nbd, pid 7) is gone";
  nlohmann::json nodes = PsJson({failed, orphan}, kClock);
  EXPECT_EQ(nodes[0]["reason"], "failed: root: cannot reach 10.77.0.1:10810");
  EXPECT_EQ(nodes[1]["reason"], "its root server (qemu-nbd, pid 7) is gone");
  EXPECT_EQ(nodes[1]["state"], "running");
}

TEST(PsTable, HungAfterIsTheCallersThreshold) {
  std::vector<PsNode> nodes = {Node(0, "alpha", MINT_STATE_READY)};
  nodes[0].page = Page(MINT_NODE_UP);
  nodes[0].page->tsc_heartbeat = 8 * kSecond;  // 5 s ago
  EXPECT_EQ(PsJson(nodes, kClock)[0]["state"], "hung");
  EXPECT_EQ(PsJson(nodes, kClock, 10)[0]["state"], "running");
}

// Issue 18 item 2: a node's reason_text is the node's bytes. Invalid UTF-8 made
// nlohmann::json's dump throw (mint ps --json aborted) and an escape sequence in it reached
// the operator's terminal.
const std::string kHostileReason = "panic: \x1b]0;owned\x07\x1b[2J\xc0\xaf\xff\xe2\x82";

TEST(PsJson, HostileReasonTextStaysValidJson) {
  nlohmann::json nodes = PsJson(ThreeNodes(kHostileReason), kClock);
  std::string text;
  ASSERT_NO_THROW(text = nodes.dump(2));
  auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed[1]["reason"],
            "panic: \\x1b]0;owned\\x07\\x1b[2J\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(parsed[1]["reason_code"], "panic");
  EXPECT_EQ(parsed[1]["state"], "crashed");
}

TEST(PsTable, HostileReasonTextCannotReachTheTerminal) {
  std::string table = PsTable(ThreeNodes(kHostileReason), kClock);
  EXPECT_EQ(table.find('\x1b'), std::string::npos) << table;
  EXPECT_EQ(table.find('\x07'), std::string::npos) << table;
  EXPECT_NE(table.find("panic: \\x1b]0;owned\\x07\\x1b[2J\xef\xbf\xbd"), std::string::npos)
      << table;
}

TEST(PsTable, ReasonTextWithoutItsNulIsCutAtItsSize) {
  // The node page promises a NUL; a node that leaves none gets 128 bytes shown, no more.
  std::vector<PsNode> nodes = ThreeNodes(std::string(200, 'x'));
  EXPECT_EQ(PsJson(nodes, kClock)[1]["reason"], std::string(128, 'x'));
}

TEST(PsJson, ShowsEachNode) {
  nlohmann::json nodes = PsJson(ThreeNodes("panic: sysrq triggered crash"), kClock);
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].dump(),
            R"({"apic_ids":[2,3],"console_bytes":4096,"cores_online":[2,3],"direct_links":[],)"
            R"("heartbeat":0,)"
            R"("heartbeat_age_s":0.2,"id":0,"kernel_heartbeat":120,"link":null,)"
            R"("memory_bytes":268435456,"name":"alpha",)"
            R"("ranges":["0x98000-0x9ffff","0x40000000-0x4fffffff"],"reason":"",)"
            R"("reason_code":"","state":"running","suspends":0,"uptime_s":12.0})");
  EXPECT_EQ(nodes[2]["asleep_s"], 10.0);
  EXPECT_EQ(nodes[2]["kernel_heartbeat"], nullptr);
  EXPECT_EQ(nodes[2]["reason"], "asleep 10 s (mint resume wakes it)");
}

// A node with a network link gets its host device's state and counters; one without gets
// nothing in the table and null in the JSON.
TEST(PsLink, TableLineAndJsonObject) {
  std::vector<PsNode> nodes = {Node(0, "alpha", MINT_STATE_READY),
                               Node(1, "beta", MINT_STATE_READY)};
  nodes[0].page = Page(MINT_NODE_UP);
  nodes[1].page = Page(MINT_NODE_UP);
  nodes[0].link = LinkStatus{"up", 3 << 20, 2048, 2500, 16};
  std::string table = PsTable(nodes, kClock);
  EXPECT_NE(table.find("0   alpha       running   2,3    256.0 MiB  12 s     0.2 s ago  \n"
                       "    link mint-alpha up, rx 3.0 MiB (2500 packets), tx 2.0 KiB (16 "
                       "packets)\n1   beta"),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("mint-beta"), std::string::npos) << table;
  nlohmann::json json = PsJson(nodes, kClock);
  EXPECT_EQ(json[0]["link"].dump(),
            R"({"ifname":"mint-alpha","rx_bytes":3145728,"rx_packets":2500,"state":"up",)"
            R"("tx_bytes":2048,"tx_packets":16})");
  EXPECT_EQ(json[1]["link"], nullptr);
}

template <size_t N>
void SetName(char (&field)[N], const char* name) {
  std::memcpy(field, name, std::min(std::strlen(name), N - 1));
}

// A direct link's status as MINT_IOC_DLINK_STATUS gives it: side 0 is `a`, side 1 `b`.
mint_dlink_status DirectLinkStatus(const char* name, const char* a, const char* b) {
  mint_dlink_status link{};
  SetName(link.name, name);
  link.side[0] = {.node = {},
                  .running = 1,
                  .epoch = 7,
                  .ack = 9,
                  .pad0 = 0,
                  .tx_bytes = 32 << 20,
                  .rx_bytes = 4096};
  SetName(link.side[0].node, a);
  link.side[1] = {.node = {},
                  .running = 1,
                  .epoch = 9,
                  .ack = 7,
                  .pad0 = 0,
                  .tx_bytes = 4096,
                  .rx_bytes = 32 << 20};
  SetName(link.side[1].node, b);
  return link;
}

// Each node gets a line for its side of a direct link: the peer, the state both control pages
// give, and its own counters; the JSON has the same under "direct_links".
TEST(PsDirectLink, EachSideShowsItsPeerStateAndCounters) {
  std::vector<PsNode> nodes = {Node(0, "alpha", MINT_STATE_READY),
                               Node(1, "beta", MINT_STATE_READY),
                               Node(2, "gamma", MINT_STATE_READY)};
  AddDirectLinks(nodes, {DirectLinkStatus("alpha-beta", "alpha", "beta")});
  std::string table = PsTable(nodes, kClock);
  EXPECT_NE(table.find("\n    direct link alpha-beta to beta up, sent 32.0 MiB, received 4.0 KiB"
                       "\n1   beta"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("\n    direct link alpha-beta to alpha up, sent 4.0 KiB, received "
                       "32.0 MiB\n2   gamma"),
            std::string::npos)
      << table;
  nlohmann::json json = PsJson(nodes, kClock);
  EXPECT_EQ(json[0]["direct_links"].dump(),
            R"([{"name":"alpha-beta","peer":"beta","rx_bytes":4096,"state":"up",)"
            R"("tx_bytes":33554432}])");
  EXPECT_EQ(json[2]["direct_links"].dump(), "[]");
}

// Down: a side that stopped (its magic cleared), a side still on the peer's old epoch, or a
// side no node has now.
TEST(PsDirectLink, DownUnlessBothSidesRunAndAckEachOther) {
  auto state_of_alpha = [](const mint_dlink_status& link) {
    std::vector<PsNode> nodes = {Node(0, "alpha", MINT_STATE_READY)};
    AddDirectLinks(nodes, {link});
    return PsJson(nodes, kClock)[0]["direct_links"][0]["state"].get<std::string>();
  };
  mint_dlink_status link = DirectLinkStatus("alpha-beta", "alpha", "beta");
  EXPECT_EQ(state_of_alpha(link), "up");
  mint_dlink_status stopped = link;
  stopped.side[1].running = 0;
  stopped.side[1].epoch = 0;
  EXPECT_EQ(state_of_alpha(stopped), "down");
  mint_dlink_status stale = link;
  stale.side[0].ack = 8;  // alpha has not yet reset for beta's new epoch
  EXPECT_EQ(state_of_alpha(stale), "down");
  mint_dlink_status alone = link;
  std::memset(alone.side[1].node, 0, sizeof(alone.side[1].node));
  std::vector<PsNode> nodes = {Node(0, "alpha", MINT_STATE_READY)};
  AddDirectLinks(nodes, {alone});
  EXPECT_NE(PsTable(nodes, kClock).find("direct link alpha-beta to (no node)"), std::string::npos);
}

// The names come through the module from the user, and a name without its NUL is cut at its
// size: nothing unprintable reaches the terminal.
TEST(PsDirectLink, NamesArePrintable) {
  mint_dlink_status link = DirectLinkStatus("x", "alpha", "beta");
  std::memset(link.name, 0x1b, sizeof(link.name));
  std::vector<PsNode> nodes = {Node(0, "alpha", MINT_STATE_READY)};
  AddDirectLinks(nodes, {link});
  std::string table = PsTable(nodes, kClock);
  EXPECT_EQ(table.find('\x1b'), std::string::npos) << table;
}

}  // namespace
}  // namespace mint::cli
