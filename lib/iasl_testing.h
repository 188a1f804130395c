// Test support: runs Debian's iasl (acpica-tools) in a scratch directory, so unit tests can have
// an outside tool compile the ASL written beside golden bytes and decompile generated tables.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace mint::testing {

struct ShellResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

inline ShellResult RunShell(const std::string& command) {
  ShellResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) {
    return result;
  }
  char buffer[4096];
  size_t count;
  while ((count = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, count);
  }
  int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline bool HaveIasl() {
  return RunShell("command -v iasl").status == 0;
}

// A scratch directory, removed when the object goes away unless Keep() was called (a failing test
// keeps its files for a look).
class ScratchDir {
 public:
  ScratchDir() {
    char name[] = "/tmp/mint_iasl_XXXXXX";
    if (mkdtemp(name) != nullptr) {
      path_ = name;
    }
  }
  ~ScratchDir() {
    if (!path_.empty() && !keep_) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  void Keep() { keep_ = true; }

  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }
  void Write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    std::ofstream(path_ / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  std::vector<uint8_t> ReadBytes(const std::string& name) const {
    std::ifstream in(path_ / name, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }
  std::string ReadText(const std::string& name) const {
    std::ifstream in(path_ / name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Runs `iasl arguments` inside the directory.
  ShellResult Iasl(const std::string& arguments) const {
    return RunShell("cd '" + path_.string() + "' && iasl " + arguments);
  }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace mint::testing
