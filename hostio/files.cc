#include "files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mint {

namespace {

struct OpenFile {
  int fd;
  size_t size;
};

// A regular file opened for reading, and its size; the caller closes fd.
Result<OpenFile> OpenRegular(const std::string& path, const std::string& what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("cannot read ", what, " ", path, ": ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Fail(what, " ", path, " is not a regular file");
  }
  return OpenFile{fd, static_cast<size_t>(st.st_size)};
}

}  // namespace

Result<std::vector<uint8_t>> ReadFile(const std::string& path, const std::string& what) {
  auto [fd, size] = MINT_TRY(OpenRegular(path, what));
  std::vector<uint8_t> bytes(size);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return Fail("reading ", what, " ", path, ": ", std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return bytes;
}

Result<std::unique_ptr<MappedFile>> MappedFile::Map(const std::string& path,
                                                    const std::string& what) {
  auto [fd, size] = MINT_TRY(OpenRegular(path, what));
  if (size == 0) {
    ::close(fd);
    return Fail(what, " ", path, " is empty");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (map == MAP_FAILED) return Fail("cannot map ", what, " ", path, ": ", std::strerror(err));
  return std::unique_ptr<MappedFile>(new MappedFile(static_cast<const uint8_t*>(map), size));
}

MappedFile::~MappedFile() {
  ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace mint
