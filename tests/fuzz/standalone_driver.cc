// Replays a libFuzzer corpus without libFuzzer: each argument is a file or a
// directory of files; each file is passed once to LLVMFuzzerTestOneInput.
// Used so `make test` runs every fuzz target over its seed corpus.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {
int RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                                bytes.size());
}
}  // namespace

int main(int argc, char** argv) {
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) {
          RunFile(e.path());
          ++count;
        }
      }
    } else if (std::filesystem::exists(p)) {
      RunFile(p);
      ++count;
    } else {
      std::fprintf(stderr, "no such corpus: %s\n", argv[i]);
      return 2;
    }
  }
  // Also run the empty input: every decoder must reject it gracefully.
  LLVMFuzzerTestOneInput(nullptr, 0);
  std::printf("replayed %zu corpus inputs\n", count);
  return 0;
}
